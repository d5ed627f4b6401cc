"""moto's server for benchmarks that compare table sizes, without moto's two whole-table costs.

    python -m bench.moto_keyed -H 127.0.0.1 -p 5000

moto walks (and sorts) every item of the table on each Query, main table or index, and
deep-copies every table a transaction touches before it runs (for its rollback): both cost
O(table) per call, which DynamoDB's do not, so any timing that compares table sizes measures
moto. This launcher changes only where the candidates come from, before moto's own code runs:

- a Query's candidates are the items of its partition: the main table's own hash map, or, for a
  global secondary index, a map from the index's partition value to item keys that every write
  (put, update, delete, and so batch writes and transactions) keeps current;
- a transaction backs up the items it names (deep copies) instead of the whole table, and puts
  them back when it is cancelled.

Key conditions, sort order, filters, limits, pagination, conditions, projections, streams:
moto's own code, unchanged. `bench/sweeps.py --plain-moto` runs the same benchmark on plain
moto (small sizes) to show the figures other than time agree.
"""

from __future__ import annotations

import copy
import sys
import threading
from typing import Any

import moto.dynamodb.models as backend_module
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_lock = threading.RLock()
Key = tuple[DynamoType, DynamoType | None]


def _index_map(table: Table) -> dict[str, dict[DynamoType, dict[Key, None]]]:
    found: dict[str, dict[DynamoType, dict[Key, None]]] | None = getattr(table, "_bench_gsi", None)
    if found is None:
        found = {}
        table._bench_gsi = found  # type: ignore[attr-defined]
    return found


def _gsi_hash_attrs(table: Table) -> dict[str, str]:
    return {
        index.name: next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
        for index in table.global_indexes
    }


def _gsi_values(table: Table, item: Item | None) -> dict[str, DynamoType | None]:
    if item is None:
        return {}
    return {name: item.attrs.get(attr) for name, attr in _gsi_hash_attrs(table).items()}


def _reindex(table: Table, key: Key, before: dict[str, DynamoType | None], after: Item | None) -> None:
    index = _index_map(table)
    for name, value in before.items():
        if value is not None:
            index.get(name, {}).get(value, {}).pop(key, None)
    for name, value in _gsi_values(table, after).items():
        if value is not None:
            index.setdefault(name, {}).setdefault(value, {})[key] = None


def _key_of(table: Table, attrs: dict[str, Any]) -> Key:
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


_put = Table.put_item
_delete = Table.delete_item
_query = Table.query
_update = DynamoDBBackend.update_item
_transact = DynamoDBBackend.transact_write_items


def put_item(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
    with _lock:
        key = _key_of(self, item_attrs)
        before = _gsi_values(self, self.get_item(*key))
        item = _put(self, item_attrs, *args, **kwargs)
        _reindex(self, key, before, item)
        return item


def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
    with _lock:
        before = _gsi_values(self, self.get_item(hash_key, range_key))
        item = _delete(self, hash_key, range_key)
        _reindex(self, (hash_key, range_key), before, None)
        return item


def update_item(
    self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
) -> Item:
    with _lock:
        table = self.get_table(table_name)
        item_key = _key_of(table, key)
        before = _gsi_values(table, table.get_item(*item_key))
        try:
            return _update(self, table_name, key, *args, **kwargs)
        finally:
            _reindex(table, item_key, before, table.get_item(*item_key))


def query(
    self: Table,
    hash_key: DynamoType,
    range_comparison: Any,
    range_objs: Any,
    limit: Any,
    exclusive_start_key: Any,
    scan_index_forward: Any,
    projection_expressions: Any,
    index_name: str | None = None,
    *args: Any,
    **kwargs: Any,
) -> Any:
    with _lock:
        if index_name and index_name in _gsi_hash_attrs(self):
            attr = _gsi_hash_attrs(self)[index_name]
            conditions = dict(kwargs.get("hash_key_conditions") or [])
            value = conditions.get(attr, hash_key)
            keys = list(_index_map(self).get(index_name, {}).get(value, {}))
            candidates = [item for k in keys if (item := self.get_item(*k)) is not None]
        elif index_name:
            candidates = None  # a local index: moto's own walk
        else:
            partition = self.items.get(hash_key)
            candidates = list(partition.values()) if isinstance(partition, dict) else []
        if candidates is not None:
            self.all_items = lambda: candidates  # type: ignore[method-assign]
        try:
            return _query(
                self,
                hash_key,
                range_comparison,
                range_objs,
                limit,
                exclusive_start_key,
                scan_index_forward,
                projection_expressions,
                index_name,
                *args,
                **kwargs,
            )
        finally:
            if candidates is not None:
                del self.all_items


class _CopyForTransactions:
    """`copy` as moto's backend module sees it: a table is not copied (the transaction backs up
    its items instead); everything else is."""

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    with _lock:
        backups: list[tuple[Table, Key, Item | None]] = []
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = _key_of(table, op["Item"] if "Item" in op else op["Key"])
            backups.append((table, key, copy.deepcopy(table.get_item(*key))))
        try:
            _transact(self, transact_items)
        except Exception:
            for table, key, old in reversed(backups):
                before = _gsi_values(table, table.get_item(*key))
                hash_value, range_value = key
                if old is None:
                    if table.get_item(*key) is not None:
                        if range_value is None:
                            table.items.pop(hash_value)
                        else:
                            table.items[hash_value].pop(range_value)
                elif range_value is None:
                    table.items[hash_value] = old  # type: ignore[assignment]
                else:
                    table.items[hash_value][range_value] = old
                _reindex(table, key, before, old)
            raise


def install_keyed_query() -> None:
    """A Query's candidates from its partition, and the index maps kept current by every write."""
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign,assignment]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def install() -> None:
    install_keyed_query()
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    backend_module.copy = _CopyForTransactions()  # type: ignore[assignment]


def main() -> None:
    install()
    from moto.server import main as serve

    serve(sys.argv[1:])


if __name__ == "__main__":
    main()
