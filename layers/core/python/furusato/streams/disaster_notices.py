"""Disaster notices to readers' inboxes, following the table's changes (docs/content.md).

Two kinds of change reach it:
- `content`: the change that publishes a disaster notice starts its fan-out (page 0);
- `disaster_fanout`: a page just written; its readers get their notices and the next page is
  written. The consumer thus feeds itself one page at a time, on purpose: each stream record is
  bounded work (100 readers), and the chain ends at the last page, which writes no next one.

Every write has a deterministic key put with `attribute_not_exists`, so a redelivered record
changes nothing (the second way of docs/streams.md).
"""

from __future__ import annotations

from typing import ClassVar

from furusato.capabilities import disaster
from furusato.streams import Change, Consumer


class DisasterNotices(Consumer):
    name = "disaster-notices"
    item_types: ClassVar[frozenset[str]] = frozenset({"content", "disaster_fanout"})

    def apply(self, change: Change) -> None:
        if change.item_type == "content":
            if disaster.publishes_disaster(change.old, change.new):
                assert change.new is not None
                disaster.start(change.new)
        elif change.event_name == "INSERT" and change.new is not None:
            disaster.run_page(change.new)
