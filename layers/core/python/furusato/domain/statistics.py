"""Relationship-population statistics (rule 23), as pure functions over anonymous counters.

A government's relationship population is its **active** registrations minus the
`own_residence` ones, counted by plan, long-term stayers, age band, residence prefecture and
over time; nationally a person counts once. Withdrawn, lapsed and pending registrations are not
counted; active `own_residence` ones are counted apart (`own_residence_excluded`).

The counters hold no person: per government, counts by plan, by birth month, by birth date
(for the years whose people may be crossing an age band this month), by residence prefecture,
by participation month and the monthly change of the population. Age bands are derived at
read time from the birth-month counts and the JST date of `as_of`, so a birthday moves a
person between bands without any write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

# (label, lowest age); each band runs to the next band's lowest age.
AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("0-17", 0),
    ("18-29", 18),
    ("30-39", 30),
    ("40-49", 40),
    ("50-59", 50),
    ("60-69", 60),
    ("70+", 70),
)
BAND_EDGES: tuple[int, ...] = tuple(low for _, low in AGE_BANDS[1:])
PLANS = ("basic", "premium")


@dataclass(frozen=True)
class Contribution:
    """What one active registration adds to its government's counters."""

    plan: str
    own_residence: bool
    long_term_stayer: bool
    birth_date: str | None  # ISO date, None when the profile has none
    prefecture_code: str | None  # of the residence

    @property
    def counted(self) -> bool:
        """In the relationship population (rule 5: own residence is excluded)."""
        return not self.own_residence


@dataclass(frozen=True)
class RegistrationFacts:
    lg_code: str
    plan: str
    status: str
    own_residence: bool
    long_term_stayer: bool


def contributions(
    birth_date: str | None, residence_lg_code: str | None, registrations: Iterable[RegistrationFacts]
) -> dict[str, Contribution]:
    """The contribution of each of a person's registrations that statistics count (active ones)."""
    prefecture = residence_lg_code[:2] if residence_lg_code else None
    out: dict[str, Contribution] = {}
    for reg in registrations:
        if reg.status != "active":
            continue
        out[reg.lg_code] = Contribution(
            plan=reg.plan,
            own_residence=reg.own_residence,
            long_term_stayer=reg.plan == "premium" and reg.long_term_stayer,
            birth_date=birth_date,
            prefecture_code=prefecture,
        )
    return out


def counter_names(c: Contribution) -> dict[str, int]:
    """The counters of a government's totals item one registration adds 1 to."""
    if not c.counted:
        return {"own_residence": 1}
    names = {f"plan:{c.plan}": 1}
    if c.long_term_stayer:
        names["long_term_stayers"] = 1
    if c.birth_date:
        names[f"bm:{c.birth_date[:7]}"] = 1
    if c.prefecture_code:
        names[f"pref:{c.prefecture_code}"] = 1
    return names


def birth_day_counter(c: Contribution) -> tuple[str, str] | None:
    """(birth year, "MM-DD") of the per-day counters, for counted registrations with a birth date."""
    if not c.counted or not c.birth_date:
        return None
    return c.birth_date[:4], c.birth_date[5:10]


def diff(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    out = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
    return {k: v for k, v in out.items() if v}


def change(old: Contribution | None, new: Contribution | None) -> dict[str, int]:
    """Increments of the totals item when a registration's contribution goes from old to new."""
    return diff(counter_names(old) if old else {}, counter_names(new) if new else {})


def plan_change(old: Contribution | None, new: Contribution | None) -> dict[str, int]:
    """Increments of the counted population by plan (for the history and the national totals)."""
    before = {old.plan: 1} if old and old.counted else {}
    after = {new.plan: 1} if new and new.counted else {}
    return diff(before, after)


def day_change(old: Contribution | None, new: Contribution | None) -> dict[tuple[str, str], int]:
    """Increments of the per-day counters, by (birth year, "MM-DD")."""
    out: dict[tuple[str, str], int] = {}
    for c, sign in ((old, -1), (new, 1)):
        key = birth_day_counter(c) if c else None
        if key:
            out[key] = out.get(key, 0) + sign
    return {k: v for k, v in out.items() if v}


def month_of(day: str) -> str:
    return day[:7]


# --- reading ----------------------------------------------------------------------------------


def band_of(age: int) -> str:
    label = AGE_BANDS[0][0]
    for name, low in AGE_BANDS:
        if age >= low:
            label = name
    return label


def boundary_birth_years(as_of: date) -> tuple[int, ...]:
    """Birth years whose people turn a band's lowest age during `as_of`'s year: only for them
    does the day of birth decide the band, so only their per-day counters are read."""
    return tuple(as_of.year - edge for edge in BAND_EDGES)


def age_bands(
    as_of: date, by_birth_month: Mapping[str, int], by_birth_day: Mapping[str, int]
) -> dict[str, int]:
    """Counts by age band on the JST date `as_of`.

    `by_birth_month`: {"YYYY-MM": n}; `by_birth_day`: {"YYYY-MM-DD": n} for (at least) the
    boundary birth years. A person born in `as_of`'s month of a boundary year is placed by day.
    """
    bands = {name: 0 for name, _ in AGE_BANDS}
    boundary = set(boundary_birth_years(as_of))
    for month, n in by_birth_month.items():
        if not n:
            continue
        year, mon = int(month[:4]), int(month[5:7])
        if year in boundary and mon == as_of.month:
            continue  # placed by day below
        # The day of birth does not change the band: born in another month, or in a year whose
        # people are in one band before and after this year's birthday (take the older age).
        age = as_of.year - year - (1 if mon > as_of.month else 0)
        bands[band_of(max(age, 0))] += n
    for day, n in by_birth_day.items():
        year, mon, dom = int(day[:4]), int(day[5:7]), int(day[8:10])
        if not n or year not in boundary or mon != as_of.month:
            continue
        age = as_of.year - year - (1 if dom > as_of.day else 0)
        bands[band_of(max(age, 0))] += n
    return bands


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def history(deltas: Mapping[str, Mapping[str, int]], through: str) -> list[dict[str, object]]:
    """The population at the end of each month (the current month: now), from the monthly
    changes by plan {"YYYY-MM": {"basic": n, "premium": n}}."""
    months = sorted(m for m in deltas if m <= through)
    if not months:
        return []
    out: list[dict[str, object]] = []
    running = dict.fromkeys(PLANS, 0)
    for month in _month_range(months[0], through):
        for plan in PLANS:
            running[plan] += int(deltas.get(month, {}).get(plan, 0))
        out.append(
            {
                "month": month,
                "total": running["basic"] + running["premium"],
                "basic": running["basic"],
                "premium": running["premium"],
            }
        )
    return out


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def participation_counts(item: Mapping[str, object]) -> bool:
    """A participation (a stored item's attributes) counts in the monthly participations once
    confirmed; records written without a status always were (docs/domain.md, "Offline scans")."""
    return item.get("status") in (None, "confirmed")
