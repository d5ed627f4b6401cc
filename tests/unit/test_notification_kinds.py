"""Notification kinds are declared once (domain/notifications.py): the store writes only those,
and the OpenAPI document lists exactly those."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from furusato.api.schema import Str
from furusato.domain.notifications import KINDS, NotificationKind
from furusato.shapes.people import NOTIFICATION
from furusato.store import notifications


def test_the_documented_kinds_are_the_declared_ones_in_order() -> None:
    kind = NOTIFICATION.fields["kind"]
    assert isinstance(kind, Str) and kind.choices == KINDS
    assert len(set(KINDS)) == len(KINDS) == len(NotificationKind)


def test_an_item_stores_the_kind_as_its_plain_name() -> None:
    item = notifications.notification_item(
        "sub-1", NotificationKind.UPGRADED, title="t", body="b", lg_code="212172", dedupe_key="reg:2027"
    )
    assert json.dumps(item.to_dynamodb_dict()["kind"]) == '{"S": "upgraded"}'


def test_the_notification_id_does_not_depend_on_how_the_kind_was_named() -> None:
    """Ids are what makes a retried sweep add nothing twice: they must not change with the enum."""
    named = notifications.notification_item(
        "s", NotificationKind.LAPSED, title="t", body="b", lg_code=None, dedupe_key="k"
    )
    plain = notifications.notification_item(
        "s", cast(Any, "lapsed"), title="t", body="b", lg_code=None, dedupe_key="k"
    )
    assert named.notification_id == plain.notification_id


def test_an_undeclared_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown notification kind"):
        notifications.notification_item(
            "s", cast(Any, "promoted"), title="t", body="b", lg_code=None, dedupe_key="k"
        )
