"""The statistics consumer of the main table's stream.

- A change of a person's profile or of one of their registrations that touches an attribute the
  statistics read (`store.FACTS`; the daily last-seen write touches none): the person is recounted
  from the table's current state (their profile and registrations), compared with the
  contributions stored when they were last counted, and only the difference is applied, one
  registration per transaction, under the versions read. A redelivered or reordered change
  finds nothing to apply; two concurrent recounts of one person cannot both apply.
- A change of a registration also books the month's change of the population (the history)
  from its own old and new images, in the month of the change, once per change (marker).
- A participation added or removed, or confirmed: its government's month, once per change
  (marker). Only confirmed participations count: an offline scan awaiting staff (or rejected)
  adds nothing, and its confirmation (a MODIFY) adds one.
- A government onboarded (or removed): the national count, once per change (marker).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from furusato import clock
from furusato.clock import JST
from furusato.domain import statistics as rules
from furusato.store import statistics as store
from furusato.streams import Change, Consumer


class StatisticsConsumer(Consumer):
    name = "statistics"
    item_types: ClassVar[frozenset[str]] = frozenset({"lg", "person", "registration", "participation"})

    def apply(self, change: Change) -> None:
        kind = change.item_type
        if kind in ("person", "registration"):
            if not moves_counters(change):
                return  # e.g. the daily last-seen write: nothing the statistics read changed
            recount(change.pk.removeprefix("P#"))
            if kind == "registration":
                _history(change)
        elif kind == "participation":
            _participation(change)
        elif kind == "lg":
            _government(change)


def moves_counters(change: Change) -> bool:
    """Whether a change of a profile or a registration can move a counter: it adds or removes
    the item, or changes an attribute the recount reads (`store.FACTS`). Anything else (last
    seen, the inactivity or renewal due keys, answers, notices) leaves every counter as it is,
    and the registration's history too (it reads a subset of the same attributes)."""
    if change.old is None or change.new is None:
        return True
    return any(change.old.get(name) != change.new.get(name) for name in store.FACTS)


def month_of_change(change: Change) -> str:
    """The JST month the change happened in, for the monthly history: the item's `updated_at`
    (business time, written with the change), else now (a removal)."""
    stamp = (change.new or {}).get("updated_at")
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp).astimezone(JST).date().isoformat()[:7]
        except ValueError:
            pass
    return clock.today().isoformat()[:7]


def recount(sub: str) -> int:
    """Bring a person's contributions to the counters in line with their records; returns the
    number of registrations whose contribution changed."""
    birth_date, residence, registrations = store.current_facts(sub)
    desired = rules.contributions(birth_date, residence, registrations)
    stored = store.load_contributions(sub)
    changed = 0
    for lg_code in sorted(set(desired) | set(stored.by_lg)):
        old = stored.by_lg.get(lg_code)
        old_c = old[0] if old else None
        new_c = desired.get(lg_code)
        if old_c == new_c:
            continue
        counted_before = {lg for lg, (c, _) in stored.by_lg.items() if c.counted}
        counted_after = counted_before - {lg_code} | ({lg_code} if new_c and new_c.counted else set())
        remaining = set(stored.by_lg) - {lg_code} | ({lg_code} if new_c else set())
        plans = rules.plan_change(old_c, new_c)
        totals = rules.change(old_c, new_c)
        national = {f"plan:{plan}": n for plan, n in plans.items()}
        if counted_after and not counted_before:
            national["people"] = 1
        elif counted_before and not counted_after:
            national["people"] = -1
        store.commit_change(
            sub,
            lg_code,
            stored,
            new_c,
            person_remains=bool(remaining),
            totals=totals,
            days=rules.day_change(old_c, new_c),
            national=national,
        )
        changed += 1
    return changed


def _history(change: Change) -> None:
    """The month's change of the population, from this change's own images (not the current
    state), so each month shows what happened in it even when the consumer lags; once per change."""
    plans = rules.plan_change(_counted_as(change.old), _counted_as(change.new))
    image = change.new or change.old or {}
    if plans and image.get("lg_code"):
        month = month_of_change(change)
        increments = {f"h:{month}:{plan}": n for plan, n in plans.items()}
        store.add_once(f"{change.event_id}#history", str(image["lg_code"]), change.pk, increments)


def _counted_as(image: dict[str, object] | None) -> rules.Contribution | None:
    """A registration image's plan and whether it counts (birth date and residence do not
    matter for the population's size)."""
    if not image or image.get("status") != "active":
        return None
    return rules.Contribution(
        plan=str(image.get("plan")),
        own_residence=bool(image.get("own_residence")),
        long_term_stayer=False,
        birth_date=None,
        prefecture_code=None,
    )


def _participation(change: Change) -> None:
    increments: dict[tuple[str, str], int] = {}
    for image, sign in ((change.old, -1), (change.new, 1)):
        if image and image.get("lg_code") and image.get("day") and rules.participation_counts(image):
            key = (str(image["lg_code"]), str(image["day"])[:7])
            increments[key] = increments.get(key, 0) + sign
    sub = str((change.new or change.old or {}).get("sub", change.pk))
    for (lg_code, month), n in sorted(increments.items()):
        if n:
            store.add_once(f"{change.event_id}#{lg_code}#{month}", lg_code, sub, {f"part:{month}": n})


def _government(change: Change) -> None:
    n = {"INSERT": 1, "REMOVE": -1}.get(change.event_name, 0)
    if n:
        store.add_once(change.event_id, store.NATIONAL, change.pk, {"lgs": n})
