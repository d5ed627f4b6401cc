"""Tokens of deleted accounts (rule 24: later calls with the same token answer 401).

Reads that load the person's partition see the deletion there; lists that never load it (the
inbox, support applications, consultations) ask here, and only when their first page is empty,
so people with data pay nothing."""

from __future__ import annotations

from typing import Any

from furusato.domain.errors import Unauthenticated


def refuse_empty_page(sub: str, items: list[Any], cursor: str | None) -> None:
    """401 for an empty first page of an account deleted while its token is still valid."""
    if items or cursor:
        return
    from furusato.store import personal_data  # one GetItem, only for an empty first page

    if personal_data.is_gone(sub):
        raise Unauthenticated("this account was deleted")
