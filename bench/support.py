"""Support: DynamoDB round trips of an approval, and the items the spending report reads with
10 and with 10,000 applications (it is kept as counters, so the same).

python -m bench support [--n 10000]
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from typing import Any

from bench.stack import moto_endpoint
from tests.support.roundtrips import count_items

HIDA = "212172"


def _table(rows: list[tuple[Any, ...]], header: tuple[str, ...]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")


def measure(n: int) -> None:
    moto_endpoint()
    from dataclasses import replace

    from furusato import clock
    from furusato.store import support as store
    from furusato.store.ids import new_id
    from furusato.store.lgs import lg_pk
    from furusato.store.models import MeasureItem, SupportApplicationItem
    from tests.support.lambda_api import call
    from tests.support.support_world import apply, new_measure, registrant
    from tests.support.world import admin, onboard

    clock.freeze(datetime.fromisoformat("2027-05-10T10:00:00+09:00"))
    onboard(HIDA)
    measure = new_measure(budget_total=10_000_000_000 // 10, max_per_application=10_000)
    mid = measure["measure_id"]
    registrant("bench-1")
    rows: list[tuple[Any, ...]] = []

    def counted(label: str, action: Any) -> Any:
        with count_items() as (calls, _):
            result = action()
        rows.append((label, sum(calls.values()), ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))))
        return result

    app = counted("POST /v1/me/support-applications", lambda: apply("bench-1", mid, 10_000)).body
    path = f"/v1/admin/lgs/{HIDA}/support-applications/{app['application_id']}"
    counted(
        "POST …/decision (approve)",
        lambda: call("POST", f"{path}/decision", {"decision": "approve"}, claims=admin(HIDA, "coordinator")),
    )
    counted(
        "POST …/payment",
        lambda: call(
            "POST", f"{path}/payment", {"paid_on": "2027-05-10", "reference": "R"}, claims=admin(HIDA)
        ),
    )
    print("Round trips per request (target: an approval costs at most 3):\n")
    _table(rows, ("request", "DynamoDB round trips", "calls"))

    # The report with 10 applications, then with n. moto copies the whole table for every
    # transaction (to roll back), so thousands of submissions through it would take hours: the
    # others are written as the state n submissions leave (the application items, and the
    # measure's counter moved by the same amount), with BatchWriteItem and one UpdateItem.
    for _ in range(9):
        apply("bench-1", mid, 1)
    template = store.find_mine("bench-1", app["application_id"])
    assert template is not None
    report_rows: list[tuple[Any, ...]] = []

    def report(count: int) -> None:
        reply_items: dict[str, int] = {}
        with count_items() as (calls, items):
            reply = call("GET", f"/v1/admin/lgs/{HIDA}/support-measures/{mid}/report", claims=admin(HIDA))
        reply_items = dict(items)
        counts = reply.body["applications"]
        assert sum(counts.values()) == count, counts
        with count_items() as (list_calls, list_items):
            cursor = None
            while True:
                query = {"limit": "200", **({"cursor": cursor} if cursor else {})}
                page = call(
                    "GET", f"/v1/admin/lgs/{HIDA}/support-applications", query=query, claims=admin(HIDA)
                )
                cursor = page.body["next_cursor"]
                if not cursor:
                    break
        report_rows.append(
            (
                count,
                sum(calls.values()),
                sum(reply_items.values()),
                sum(list_calls.values()),
                sum(list_items.values()),
            )
        )

    report(10)
    started = time.monotonic()
    now = clock.iso(clock.now())
    with SupportApplicationItem.batch_write() as batch:
        for _ in range(n - 10):
            batch.save(
                store.application_item(
                    replace(
                        template,
                        application_id=new_id("sap"),
                        status="submitted",
                        amount_requested=1,
                        amount_granted=None,
                        decision=None,
                        history=[],
                        payment=None,
                        submitted_at=now,
                        updated_at=now,
                        version=0,
                    )
                )
            )
    MeasureItem(lg_pk(HIDA), store.measure_sk(mid)).update(actions=[MeasureItem.n_submitted.add(n - 10)])
    built = time.monotonic() - started
    report(n)
    print(
        f"\nThe spending report with 10 and with {n:,} applications ({n - 10:,} written in {built:.0f} s):\n"
    )
    _table(
        report_rows,
        (
            "applications",
            "report: round trips",
            "report: items read",
            "listing them all: round trips",
            "listing them all: items read",
        ),
    )


def main(argv: list[str]) -> None:
    n = 10_000
    if "--n" in argv:
        n = int(argv[argv.index("--n") + 1])
    measure(n)


if __name__ == "__main__":
    main(sys.argv[1:])
