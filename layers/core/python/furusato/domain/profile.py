"""A registrant's profile: the four basic facts plus the postal code that fixes the residence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from furusato.domain.errors import InvalidInput
from furusato.domain.postal import lg_code_for_postal_code, normalize_postal_code
from furusato.domain.text import contains_individual_number

Gender = Literal["male", "female", "other", "no_answer"]
GENDERS: tuple[str, ...] = ("male", "female", "other", "no_answer")
OLDEST_BIRTH_DATE = date(1900, 1, 1)


@dataclass(frozen=True)
class Profile:
    name: str
    birth_date: date
    gender: Gender
    postal_code: str  # 7 digits; empty when only a verified address is known
    address: str
    residence_lg_code: str


def make_profile(
    *, name: str, birth_date: date, gender: str, postal_code: str, address: str, today: date
) -> Profile:
    bad: dict[str, str] = {}
    name = " ".join(name.split())
    address = address.strip()
    if not name:
        bad["name"] = "required"
    if not address:
        bad["address"] = "required"
    for field_name, value in (("name", name), ("address", address)):
        if contains_individual_number(value):
            bad[field_name] = "must not contain an individual number"
    if not OLDEST_BIRTH_DATE <= birth_date <= today:
        bad["birth_date"] = "a past date"
    if gender not in GENDERS:
        bad["gender"] = f"one of {', '.join(GENDERS)}"
    code = normalize_postal_code(postal_code)
    residence = lg_code_for_postal_code(code) if code else None
    if code is None:
        bad["postal_code"] = "7 digits, e.g. 160-0022"
    elif residence is None:
        bad["postal_code"] = "unknown postal code"
    if bad:
        raise InvalidInput("invalid profile", details=bad)
    assert code is not None and residence is not None
    return Profile(name, birth_date, gender, code, address, residence)  # type: ignore[arg-type]
