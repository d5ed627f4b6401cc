"""DynamoDB round trips of a feed page for a person with 1, 5 and 10 registrations.

python -m bench feed

The person registers with n prefectures (no automatic registrations, so n governments); each
government publishes 30 items, a third of them targeted at answers the person did not give.
Counted with the botocore hook of tests/support/roundtrips.py; no Scan may appear.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from bench.stack import moto_endpoint
from tests.support.roundtrips import count_calls

SIZES = (1, 5, 10)
ITEMS_PER_GOVERNMENT = 30
PAGE = 20


def measure() -> list[tuple[int, str, int, Counter[str]]]:
    moto_endpoint()
    from furusato import clock
    from furusato.capabilities import contents
    from furusato.domain.lg_code import prefecture_lg_code
    from tests.support.lambda_api import call, operator_claims
    from tests.support.world import person, register

    start = datetime.fromisoformat("2026-11-26T10:00:00+09:00")
    clock.freeze(start)
    codes = [prefecture_lg_code(f"{p:02d}") for p in range(1, 11)]
    for code in codes:
        body = {"lg_code": code, "name": f"県{code}", "kind": "prefecture", "prefecture_code": code[:2]}
        call("POST", "/v1/operator/lgs", body, claims=operator_claims())
        for i in range(ITEMS_PER_GOVERNMENT):
            clock.freeze(start - timedelta(hours=i, minutes=int(code[:2])))
            target = {"survey": {"interests": ["子育て・教育"]}} if i % 3 == 0 else None
            contents.create(
                code, "bench", {"kind": "news", "title": f"{code} {i}", "body": "本文", "target": target}
            )
    rows: list[tuple[int, str, int, Counter[str]]] = []
    for n in SIZES:
        sub = f"bench-feed-{n}"
        clock.freeze(start)
        for code in codes[:n]:
            register(sub, code, {"relationship": ["出身地"], "interests": ["農林漁業"]})
        clock.freeze(start + timedelta(days=1))

        def page(cursor: str | None = None, who: str = sub) -> str | None:
            query = {"limit": str(PAGE), **({"cursor": cursor} if cursor else {})}
            reply = call("GET", "/v1/me/feed", claims=person(who), query=query)
            assert reply.status == 200, reply
            return reply.body["next_cursor"]

        with count_calls() as calls:
            cursor = page()
        rows.append((n, "first page", sum(calls.values()), calls))
        with count_calls() as calls:
            page(cursor)
        rows.append((n, "second page (cursor)", sum(calls.values()), calls))
    clock.unfreeze()
    return rows


def main(argv: list[str] | None = None) -> None:
    print("| registrations | case | DynamoDB round trips | target (1 + governments) | operations |")
    print("|---:|---|---:|---:|---|")
    for n, case, trips, calls in measure():
        ops = ", ".join(f"{op} {count}" for op, count in sorted(calls.items()))
        assert "Scan" not in calls
        print(f"| {n} | {case} | {trips} | ≤ {1 + n} | {ops} |")


if __name__ == "__main__":
    main()
