"""A local stack with demo data for the console's screenshots and Lighthouse runs.

Starts `python -m infra.local` on free ports (what `make run` runs), then adds, through the API, what
a clerk of 飛騨市 would see on an ordinary day: activities of each check-in mode, a registrant who
checked in, an application waiting for review, an organization.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from infra.local.aws import free_port

ROOT = Path(__file__).resolve().parents[1]
HIDA = "212172"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Demo:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.activity_ids: dict[str, str] = {}

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def token(self, sub: str, role: str, **claims: str) -> str:
        return str(self.call("POST", "/local/token", json={"sub": sub, "role": role, **claims})["token"])

    def seed(self) -> None:
        staff = self.token("demo-admin", "staff", lg_code=HIDA, staff_role="admin")
        admin = f"/v1/admin/lgs/{HIDA}"
        self.call(
            "POST",
            f"{admin}/organizations",
            staff,
            json={
                "name": "古川町まちづくり協議会",
                "kind": "neighborhood_association",
                "designation": "per_activity",
            },
        )
        now = datetime.now().astimezone().replace(second=0, microsecond=0)
        plans = [
            ("里山の草刈りボランティア", "static_qr", now - timedelta(minutes=30), "古川町 里山公園"),
            ("飛騨古川 きつね火まつり 設営", "rotating_qr", now - timedelta(minutes=20), "古川町 まつり広場"),
            ("朝市の手伝い", "staff_scan", now + timedelta(days=2), "宮川朝市"),
            ("雪下ろし応援隊", "static_qr", now + timedelta(days=30), "河合町 公民館"),
        ]
        for name, mode, start, place in plans:
            created = self.call(
                "POST",
                f"{admin}/activities",
                staff,
                json={
                    "name": name,
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=3)).isoformat(),
                    "place": place,
                    "checkin_mode": mode,
                    "designated": True,
                    "capacity": 30,
                    "conditions": "動きやすい服装でお越しください。",
                },
            )
            self.activity_ids[mode if mode not in self.activity_ids else name] = created["activity_id"]
        qr = self.call(
            "GET", f"{admin}/activities/{self.activity_ids['static_qr']}/qr", staff, params={"format": "json"}
        )
        for i, name in enumerate(["飛騨 花子", "高山 次郎", "古川 三郎"]):
            person = self.token(f"demo-person-{i}", "registrant")
            self.call(
                "PUT",
                "/v1/me/profile",
                person,
                json={
                    "name": name,
                    "birth_date": f"198{i}-04-01",
                    "gender": "female" if i % 2 == 0 else "male",
                    "postal_code": "160-0022",
                    "address": "東京都新宿区新宿1-1-1",
                },
            )
            self.call(
                "PUT",
                f"/v1/me/registrations/{HIDA}",
                person,
                json={"plan": "basic", "survey_answers": {"relationship": ["観光・訪問"]}},
            )
            self.call(
                "POST", "/v1/checkins", person, json={"token": qr["token"], "nonce": f"demo-nonce-{i:04d}"}
            )


@contextmanager
def demo_stack() -> Iterator[Demo]:
    port, moto_port = free_port(), free_port()
    while moto_port == port:
        moto_port = free_port()
    log = Path(tempfile.mkdtemp(prefix="furusato-console-")) / "stack.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--port", str(port), "--moto-port", str(moto_port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base_url + "/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the local stack did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        demo = Demo(base_url)
        demo.seed()
        yield demo
    finally:
        process.terminate()
        process.wait(timeout=15)
