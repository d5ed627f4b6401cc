"""moto's server for benchmarks that compare table sizes, without moto's two whole-table costs.

    python -m bench.moto_keyed -H 127.0.0.1 -p 5000

moto walks (and sorts) every item of the table on each Query, main table or index, and
deep-copies every table a transaction touches before it runs (for its rollback): both cost
O(table) per call, which DynamoDB's do not, so any timing that compares table sizes measures
moto. This launcher changes only where the candidates come from, before moto's own code runs:

- a Query's candidates are the items of its partition: the main table's own hash map, or, for a
  global secondary index, a map from the index's partition value to item keys that every write
  (put, update, delete, and so batch writes and transactions) keeps current;
- a page of a global secondary index partition costs the page: moto sorts every candidate and
  walks up to the ExclusiveStartKey on each Query (a 50,000-item partition took minutes a page
  under load), so the partition's order is kept (moto's own sort key, sorted again only after a
  write to that partition) and a Query with a Limit and no range condition is handed the Limit
  + 1 items that follow its ExclusiveStartKey (enough for moto to take the page and see that
  more follow);
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


def _orders(table: Table) -> dict[tuple[str, DynamoType], tuple[list[Item], dict[Key, int]]]:
    """(index, partition value) -> the partition's items in moto's order, and each key's place."""
    found: dict[tuple[str, DynamoType], tuple[list[Item], dict[Key, int]]] | None = getattr(
        table, "_bench_order", None
    )
    if found is None:
        found = {}
        table._bench_order = found  # type: ignore[attr-defined]
    return found


def _reindex(table: Table, key: Key, before: dict[str, DynamoType | None], after: Item | None) -> None:
    index = _index_map(table)
    orders = _orders(table)
    for name, value in before.items():
        if value is not None:
            index.get(name, {}).get(value, {}).pop(key, None)
            orders.pop((name, value), None)
    for name, value in _gsi_values(table, after).items():
        if value is not None:
            index.setdefault(name, {}).setdefault(value, {})[key] = None
            orders.pop((name, value), None)


def _key_of(table: Table, attrs: dict[str, Any]) -> Key:
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


_QUERY_OPTIONS = frozenset(
    {"consistent_read", "filter_expression", "hash_key_conditions", "range_key_conditions"}
)
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


def _ordered(table: Table, index_name: str, value: DynamoType) -> tuple[list[Item], dict[Key, int]]:
    """The index partition's items in the order moto's Query sorts them (index hash and range
    keys, then the table's keys), without the items the index leaves out (no range key value)."""
    orders = _orders(table)
    found = orders.get((index_name, value))
    if found is None:
        index = next(i for i in table.global_indexes if i.name == index_name)
        hash_attrs = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        range_attrs: list[str | None] = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        # moto's sort key, built as its Query builds it (a range-less index sorts by the table's).
        attrs = table._generate_attr_to_sort_by(
            [*hash_attrs, table.hash_key_attr],
            [*(range_attrs or [table.range_key_attr]), table.range_key_attr],
        )
        keys = _index_map(table).get(index_name, {}).get(value, {})
        items = [item for k in keys if (item := table.get_item(*k)) is not None]
        items = [item for item in items if all(a and item.attrs.get(a) for a in range_attrs)]
        items.sort(key=lambda item: tuple(item.attrs[a] for a in attrs))
        places = {(item.hash_key, item.range_key): n for n, item in enumerate(items)}
        found = orders[(index_name, value)] = (items, places)
    return found


def _window(
    table: Table,
    index_name: str,
    value: DynamoType,
    limit: int | None,
    start: dict[str, Any] | None,
    forward: bool,
    whole: bool,
) -> list[Item]:
    """The candidates a page needs: from just after `start`, `limit` + 1 items in the Query's
    direction (moto sorts and reverses them itself); the whole partition when a range or legacy
    condition may skip items, or without a Limit."""
    items, places = _ordered(table, index_name, value)
    if start is None:
        here = 0 if forward else len(items)
    else:
        place = places.get(_key_of(table, start))
        if place is None:  # the start item is gone: moto's own walk finds where to go on
            return list(items)
        here = place + 1 if forward else place
    if whole or limit is None:
        return items[here:] if forward else items[:here]
    return items[here : here + limit + 1] if forward else items[max(0, here - limit - 1) : here]


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
            legacy = {k: v for k, v in kwargs.items() if k not in _QUERY_OPTIONS}  # moto's filter_kwargs
            whole = bool(range_comparison or legacy or len(kwargs.get("range_key_conditions") or []) > 1)
            candidates = _window(
                self, index_name, value, limit, exclusive_start_key, scan_index_forward is not False, whole
            )
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
