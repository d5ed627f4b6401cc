"""The consumers of the main table's stream, in the order each change reaches them.

To add one: write a `furusato.streams.Consumer`, add it to the tuple below, and list its item
types in `topology.STREAM_SOURCES` (tests/integration/test_streams.py checks that they are).
"""

from __future__ import annotations

from functools import lru_cache

from furusato.streams import Consumer


@lru_cache(maxsize=1)
def consumers() -> tuple[Consumer, ...]:
    # Imported here, so that each consumer's module loads only in the streams function.
    from furusato.capabilities.activity_copies import ActivityCopies
    from furusato.capabilities.roster_exports import RosterExports
    from furusato.statistics.consumer import StatisticsConsumer
    from furusato.streams.disaster_notices import DisasterNotices
    from furusato.streams.pending_expiry import PendingExpiry

    return (DisasterNotices(), StatisticsConsumer(), ActivityCopies(), RosterExports(), PendingExpiry())
