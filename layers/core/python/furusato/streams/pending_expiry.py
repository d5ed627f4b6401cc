"""A backfilled pending participant counts on its activity while their row lives (docs/imports.md):
when DynamoDB's TTL removes the row (nobody with the same facts registered in time), the count
goes down with it.

Only a removal by the TTL: a row that attaching replaced by the registrant's participation
keeps its count (the participation takes it over), and a row dropped with its count
(`store.matching`) is an application delete. The decrement is committed with the change's marker
(`store.applied.apply_once`), so a redelivered record changes nothing (docs/streams.md).
"""

from __future__ import annotations

from typing import ClassVar

from furusato.store import applied, counters
from furusato.streams import Change, Consumer


class PendingExpiry(Consumer):
    name = "pending-expiry"
    item_types: ClassVar[frozenset[str]] = frozenset({"pending_participation"})

    def apply(self, change: Change) -> None:
        if change.event_name != "REMOVE" or not change.expired or change.old is None:
            return
        activity_id = str(change.old["activity_id"])
        participation_id = str(change.old["participation_id"])
        applied.apply_once(
            self.name, change.event_id, [counters.update_element(activity_id, participation_id, -1)]
        )
