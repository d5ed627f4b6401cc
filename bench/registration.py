"""DynamoDB round trips per request of the registration slice, counted with a botocore hook.

python -m bench registration
"""

from __future__ import annotations

from datetime import datetime

from bench.stack import moto_endpoint
from tests.support.roundtrips import count_calls

TARGETS = {
    "PUT /v1/me/registrations/{lg_code}": 3,
    "PUT /v1/me/registrations/{lg_code} (premium)": 4,
    "GET /v1/me": 2,
    "GET /v1/local-governments/{lg_code}": 1,
}


def measure() -> list[tuple[str, str, int, int | None]]:
    moto_endpoint()
    from furusato import clock
    from tests.support.lambda_api import call
    from tests.support.world import onboard, person, register, set_profile

    clock.freeze(datetime.fromisoformat("2026-11-26T10:00:00+09:00"))
    onboard("212172", "210005")
    set_profile("bench-1")
    rows: list[tuple[str, str, int, int | None]] = []

    def counted(label: str, case: str, action: object) -> None:
        with count_calls() as calls:
            action()  # type: ignore[operator]
        rows.append((label, case, sum(calls.values()), TARGETS.get(label)))

    counted(
        "PUT /v1/me/registrations/{lg_code}", "create (+ prefecture)", lambda: register("bench-1", "212172")
    )
    counted(
        "PUT /v1/me/registrations/{lg_code}",
        "update",
        lambda: register("bench-1", "212172", {"relationship": ["出身地"]}),
    )
    counted(
        "PUT /v1/me/registrations/{lg_code}",
        "update with Idempotency-Key",
        lambda: register(
            "bench-1", "212172", {"relationship": ["出身地"]}, headers={"Idempotency-Key": "b1"}
        ),
    )
    counted(
        "PUT /v1/me/registrations/{lg_code}",
        "the same key again (replay)",
        lambda: register(
            "bench-1", "212172", {"relationship": ["出身地"]}, headers={"Idempotency-Key": "b1"}
        ),
    )
    counted("GET /v1/me", "later the same day", lambda: call("GET", "/v1/me", claims=person("bench-1")))
    clock.freeze(datetime.fromisoformat("2026-11-27T10:00:00+09:00"))
    counted(
        "GET /v1/me",
        "first access of a JST day (writes last_seen)",
        lambda: call("GET", "/v1/me", claims=person("bench-1")),
    )
    counted("GET /v1/local-governments/{lg_code}", "", lambda: call("GET", "/v1/local-governments/212172"))

    # A premium judgement: a verified person with three designated activities.
    from bench.stack import IDENTITY_PROVIDER
    from furusato.domain.checkin import ParticipationRecord
    from furusato.store import participations

    facts = {"subject": "bench-idp", "name": "山田 花子", "birth_date": "1990-04-01", "gender": "female"}
    facts["address"] = "東京都新宿区西新宿2-8-1"
    assertion = IDENTITY_PROVIDER.sign(facts, clock.now())
    call("POST", "/v1/me/identity-verifications", {"assertion": assertion}, claims=person("bench-1"))
    for i in range(3):
        day = datetime.fromisoformat(f"2026-11-0{i + 1}T10:00:00+09:00")
        participations.record(
            ParticipationRecord(
                activity_id=f"bench-act-{i}",
                lg_code="212172",
                designated=True,
                day=day.date(),
                sub="bench-1",
                participation_id=f"bench-p-{i}",
                activity_name="bench",
                activity_starts_at=day.isoformat(),
                activity_ends_at=day.isoformat(),
                place="bench",
                checked_in_at=day.isoformat(),
                recorded_at=day.isoformat(),
            )
        )
    body = {"plan": "premium", "survey_answers": None}
    counted(
        "PUT /v1/me/registrations/{lg_code} (premium)",
        "judgement passes, premium granted",
        lambda: call("PUT", "/v1/me/registrations/212172", body, claims=person("bench-1")),
    )
    clock.unfreeze()
    return rows


def main(argv: list[str] | None = None) -> None:
    print("| request | case | DynamoDB round trips | target |")
    print("|---|---|---:|---:|")
    for label, case, trips, target in measure():
        print(f"| `{label}` | {case} | {trips} | {'≤ ' + str(target) if target else ''} |")


if __name__ == "__main__":
    main()
