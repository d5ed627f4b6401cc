"""The low-level DynamoDB client, for what the pynamodb models do not express (transactions
across item types, the idempotency table, the operator's whole-table reads), and the decoding of
the attribute-value maps it answers with (a stream record's images too). With store/s3.py,
store/keyring.py and store/accounts.py, the only code that calls boto3."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from furusato.settings import settings


def main_client() -> Any:
    """The main table's own connection: its botocore client is created once per container."""
    from furusato.store.models import MainItem

    return MainItem._get_connection().connection.client


def main_table() -> str:
    from furusato.store.models import MainItem

    return str(MainItem.Meta.table_name)


@lru_cache(maxsize=1)
def idempotency_client() -> Any:
    """The client the idempotency records are written with (created on first use: only
    requests that carry a key pay for it)."""
    import boto3

    return boto3.client("dynamodb", region_name=settings().region)


def from_attribute_values(item: dict[str, Any]) -> dict[str, Any]:
    """An item in DynamoDB's attribute-value form ({"S": ...}, {"N": ...}) as Python values
    (numbers as `Decimal`)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.items()}
