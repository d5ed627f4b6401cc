"""The local stack, with moto's Query reading only its partition (`bench/moto_keyed.py`).

    python -m bench.keyed_stack --port 8000 --no-seed      # the arguments of `python -m infra.local`

Plain moto walks every item of the table for every Query, main table or index: a profile of the
festival showed the stack spending ~60% of its time there with 1,200 items, and the cost grows
with the table while DynamoDB's does not. This runs `infra.local` unchanged except that each
Query's candidates come from its partition (the main table's hash map, or an index map every
write keeps current). The local stack's own transaction undo (`infra/local/moto_dynamodb.py`)
stays; its rollback, which writes moto's table directly, keeps the index maps current too.
Benchmarks only: the product, `make run` and the tests use the local stack as it is.
"""

from __future__ import annotations

from bench import moto_keyed
from infra.local import moto_dynamodb


def _install() -> None:
    moto_keyed.install_keyed_query()
    roll_back = moto_dynamodb._Undo.roll_back

    def keyed_roll_back(self: moto_dynamodb._Undo) -> None:
        # The undo restores every touched item in one pass; the index maps follow each one.
        touched = [(table, (hash_value, range_value)) for table, hash_value, range_value, _ in self.items]
        before = [(table, key, moto_keyed._gsi_values(table, table.get_item(*key))) for table, key in touched]
        roll_back(self)
        for table, key, values in before:
            moto_keyed._reindex(table, key, values, table.get_item(*key))

    moto_dynamodb._Undo.roll_back = keyed_roll_back  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    _install()
    from infra.local.__main__ import main as run

    return run(argv)


if __name__ == "__main__":
    from infra.local.__main__ import exit_now

    exit_now(main())
