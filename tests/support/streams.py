"""Deliver the main table's stream to the real streams `lambda_handler`, as the event source
mapping would (infra/local/streams.py): tests write, call `deliver()`, then assert."""

from __future__ import annotations

import os
from typing import Any

from furusato import topology
from infra.local.streams import DrainReport, StreamDelivery
from tests.support.lambda_api import LambdaContext, handler_module

_delivery: StreamDelivery | None = None


def _invoke(fn: topology.Function, event: dict[str, Any]) -> Any:
    return handler_module(fn.name).lambda_handler(event, LambdaContext())


def delivery() -> StreamDelivery:
    global _delivery
    if _delivery is None:
        tables = {t.env_var: os.environ[t.env_var] for t in topology.TABLES}
        _delivery = StreamDelivery(os.environ["AWS_ENDPOINT_URL"], tables, _invoke)
    return _delivery


def deliver() -> DrainReport:
    """Deliver every change written since the last call (a recreated table starts afresh)."""
    return delivery().drain()
