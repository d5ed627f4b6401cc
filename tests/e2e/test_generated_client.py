"""A client generated from docs/openapi.json by openapi-python-client walks the app's journey
against the local stack: directory, profile, registration, check-in, registrations, card.

Every call goes through the generated code, which parses each answer into its declared model:
a response that drifts from the document fails to parse here.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scripts.openapi import OUTPUT
from tests.e2e.conftest import StackClient

pytestmark = pytest.mark.e2e
TAKAYAMA = "212032"
PACKAGE = "furusato_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("client")
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(OUTPUT),
            "--meta",
            "none",
            "--output-path",
            str(out / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (out / PACKAGE / "client.py").exists(), result.stdout + result.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def op(package: ModuleType, tag: str, operation_id: str) -> Any:
    return importlib.import_module(f"{package.__name__}.api.{tag}.{operation_id}")


def model(package: ModuleType, name: str) -> Any:
    return getattr(importlib.import_module(f"{package.__name__}.models"), name)


def answer(question: dict[str, Any]) -> Any:
    options = question.get("options") or ["はい"]
    return {"single_choice": options[0], "multi_choice": [options[0]], "number": 1}.get(
        question["type"], "テキスト"
    )


def test_a_generated_client_walks_the_app_journey(stack: StackClient, generated: ModuleType) -> None:
    def client(token: str | None = None) -> Any:
        if token is None:
            return generated.Client(base_url=stack.base_url, raise_on_unexpected_status=True)
        return generated.AuthenticatedClient(
            base_url=stack.base_url, token=token, raise_on_unexpected_status=True
        )

    public = client()
    stack.set_clock("2026-06-01T09:30:00+09:00")
    try:
        # Directory: the government and its survey.
        page = op(generated, "registration", "get_v1_local_governments").sync(
            client=public, prefecture_code="21"
        )
        assert TAKAYAMA in [lg.lg_code for lg in page.items]
        detail = op(generated, "registration", "get_v1_local_governments_lg_code").sync(
            TAKAYAMA, client=public
        )
        assert detail.lg_code == TAKAYAMA

        # Profile.
        person = client(stack.token("e2e-generated-person", "registrant"))
        profile = op(generated, "registration", "put_v1_me_profile").sync(
            client=person,
            body=model(generated, "ProfileIn").from_dict(
                {
                    "name": "高山 生成",
                    "birth_date": "1990-04-01",
                    "gender": "no_answer",
                    "postal_code": "160-0022",
                    "address": "新宿1-2-3",
                }
            ),
        )
        assert profile.residence_lg_code == "131041"

        # Registration, answering the government's survey as it stands.
        answers = {q["id"]: answer(q) for q in detail.to_dict()["survey"] if q["required"]}
        registered = op(generated, "registration", "put_v1_me_registrations_lg_code").sync_detailed(
            TAKAYAMA,
            client=person,
            body=model(generated, "RegistrationIn").from_dict({"plan": "basic", "survey_answers": answers}),
        )
        assert registered.status_code in (200, 201), registered.content
        assert registered.parsed.lg_code == TAKAYAMA

        # Check-in: staff print a QR code; the registrant scans it.
        staff = client(
            stack.token("e2e-generated-staff", "staff", lg_code=TAKAYAMA, staff_role="coordinator")
        )
        activity = op(generated, "checkin", "post_v1_admin_lgs_lg_code_activities").sync(
            TAKAYAMA,
            client=staff,
            body=model(generated, "ActivityIn").from_dict(
                {
                    "name": "生成クライアントの清掃活動",
                    "starts_at": "2026-06-01T10:00:00+09:00",
                    "ends_at": "2026-06-01T12:00:00+09:00",
                    "place": "高山市役所前",
                    "designated": True,
                }
            ),
        )
        qr_format = model(generated, "GetV1AdminLgsLgCodeActivitiesActivityIdQrFormat")
        code = op(generated, "checkin", "get_v1_admin_lgs_lg_code_activities_activity_id_qr").sync(
            TAKAYAMA, activity.activity_id, client=staff, format_=qr_format("json")
        )
        stack.set_clock("2026-06-01T10:05:00+09:00")
        scanned = op(generated, "checkin", "post_v1_checkins").sync_detailed(
            client=person,
            body=model(generated, "CheckinIn").from_dict(
                {"token": code.url, "nonce": "generated-nonce-0001"}
            ),
        )
        assert scanned.status_code == 201, scanned.content
        assert scanned.parsed.counted is True

        # My registrations and my card.
        mine = op(generated, "registration", "get_v1_me_registrations").sync(client=person)
        assert [r.lg_code for r in mine.items if r.lg_code == TAKAYAMA] == [TAKAYAMA]
        card = op(generated, "checkin", "get_v1_me_card").sync(client=person)
        assert card.member_token
    finally:
        stack.reset_clock()
