"""The festival's people, for Locust (`bench/festival.py` runs it headless; not run on its own).

Read from the environment `bench/festival.py` sets:
- FESTIVAL_PLAN: a JSON file with the activity, the QR token, a staff token and one token per
  registrant;
- FESTIVAL_PATCH_AT: after how many check-ins one staff member edits the activity (mid-rush).

`Registrant`s each take the next person of the plan and check in once (any answer but 201 is a
failure); when every person has had an answer, the run stops. `Staff` read the roster's first page
and the activity with its count, as a coordinator watching the rush would; one of them sends the
PATCH once, mid-rush.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import gevent
import locust.stats
from locust import HttpUser, between, events, task
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(Path(os.environ["FESTIVAL_PLAN"]).read_text())
PATCH_AT = int(os.environ.get("FESTIVAL_PATCH_AT", str(len(PLAN["people"]) // 2)))
STAFF = int(os.environ.get("FESTIVAL_STAFF", "2"))
ACTIVITY = f"/v1/admin/lgs/{PLAN['lg_code']}/activities/{PLAN['activity_id']}"

_next_person = iter(enumerate(PLAN["people"]))
_state = {"answered": 0, "patched": False, "patch_answered": False}


class Registrant(HttpUser):
    """One scan each: as many as the plan has people, spawned as fast as Locust is told."""

    weight = 20
    wait_time = between(0, 0)

    @task
    def check_in(self) -> None:
        try:
            i, token = next(_next_person)
        except StopIteration:
            raise StopUser() from None
        body = {"token": PLAN["qr_token"], "nonce": f"festival-{i:06d}"}
        headers = {"Authorization": f"Bearer {token}"}
        with self.client.post(
            "/v1/checkins", json=body, headers=headers, name="POST /v1/checkins", catch_response=True
        ) as reply:
            if reply.status_code != 201:
                reply.failure(f"{reply.status_code}: {reply.text[:200]}")
        _state["answered"] += 1
        raise StopUser()  # each person scans once


class Staff(HttpUser):
    """A coordinator at the venue: the roster and the count every second or two."""

    weight = 1
    fixed_count = STAFF
    wait_time = between(1, 2)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {PLAN['staff_token']}"}

    @task
    def watch(self) -> None:
        """The PATCH once half the people have checked in; otherwise the roster or the count."""
        if not _state["patched"] and _state["answered"] >= PATCH_AT:
            _state["patched"] = True
            self._request("PATCH", ACTIVITY, "PATCH activity", json={"place": PLAN["patched_place"]})
            _state["patch_answered"] = True
        elif random.random() < 0.5:
            self._request("GET", f"{ACTIVITY}/participants", "GET roster")
        else:
            self._request("GET", ACTIVITY, "GET activity", field="participant_count")

    def _request(self, method: str, path: str, name: str, *, field: str | None = None, **kwargs: Any) -> None:
        with self.client.request(
            method, path, headers=self._headers(), name=name, catch_response=True, **kwargs
        ) as reply:
            if reply.status_code != 200 or (field is not None and field not in reply.json()):
                reply.failure(f"{reply.status_code}: {reply.text[:200]}")


def _stop_when_all_answered(environment: Any) -> None:
    # Locust's pattern for stopping on a condition: a greenlet of its own, not a user's (a user
    # that quits the runner from its own task can leave the process waiting for itself).
    while _state["answered"] < len(PLAN["people"]) or (STAFF and not _state["patch_answered"]):
        gevent.sleep(0.5)
    # Locust writes its CSV statistics every second: let it write the last answers first.
    gevent.sleep(locust.stats.CSV_STATS_INTERVAL_SEC + 1.5)
    environment.runner.quit()


@events.init.add_listener
def _on_init(environment: Any, **_kwargs: Any) -> None:
    gevent.spawn(_stop_when_all_answered, environment)


@events.quitting.add_listener
def _summary(environment: Any, **_kwargs: Any) -> None:
    # Read by bench/festival.py: what was answered, and whether the PATCH went out.
    print(
        json.dumps({"festival": {"answered": _state["answered"], "patched": _state["patched"]}}), flush=True
    )
