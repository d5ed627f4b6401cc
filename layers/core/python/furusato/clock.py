"""The one source of "now". JST is the business time zone (DOMAIN.md, Time).

The local stack and tests freeze it; in AWS it is always the real clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")

_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, aware, in JST."""
    if _frozen is not None:
        return _frozen
    return datetime.now(JST)


def today() -> date:
    """Today's date in JST: a 'day' in every rule is a JST calendar day."""
    return now().date()


def freeze(instant: datetime) -> None:
    global _frozen
    if instant.tzinfo is None:
        raise ValueError("a frozen instant needs its offset")
    _frozen = instant.astimezone(JST)


def unfreeze() -> None:
    global _frozen
    _frozen = None


def is_frozen() -> bool:
    return _frozen is not None


def parse_instant(raw: object) -> datetime | None:
    """An ISO 8601 instant that carries its offset, else None (a naive time means nothing here)."""
    if not isinstance(raw, str):
        return None
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


def iso(instant: datetime) -> str:
    """ISO 8601 in JST with its offset, as responses carry instants."""
    return instant.astimezone(JST).isoformat(timespec="seconds")
