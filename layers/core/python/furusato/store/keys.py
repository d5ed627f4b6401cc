"""The partition keys other aggregates point at (a government's, a person's, a registration's
sort key), kept apart from store/lgs.py and store/people.py so that a module needing only a key
does not load those stores and the domain types they convert to (a cold start pays for every
module it imports)."""

from __future__ import annotations

PROFILE_SK = "PROFILE"


def lg_pk(lg_code: str) -> str:
    """A government's partition: its item, organizations, activities, content, support measures."""
    return f"LG#{lg_code}"


def person_pk(sub: str) -> str:
    return f"P#{sub}"


def registration_sk(lg_code: str) -> str:
    return f"REG#{lg_code}"
