"""Content and consultations over real HTTP: staff publish targeted content and two registrants
with different survey answers see exactly their items; a registrant asks a question, a
coordinator answers, and the registrant is notified and reads the answer."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import StackClient

pytestmark = pytest.mark.e2e
MATSUE = "322016"


def test_targeted_content_reaches_exactly_the_right_feeds(stack: StackClient) -> None:
    staff = stack.token("e2e-content-staff", "staff", lg_code=MATSUE, staff_role="coordinator")
    farmer = stack.token("e2e-content-farmer", "registrant")
    visitor = stack.token("e2e-content-visitor", "registrant")
    for token, interest in ((farmer, "農林漁業"), (visitor, "観光・交流")):
        body = {"plan": "basic", "survey_answers": {"relationship": ["観光・訪問"], "interests": [interest]}}
        registered = stack.put(f"/v1/me/registrations/{MATSUE}", token=token, json=body)
        assert registered.status_code in (200, 201), registered.text

    base = f"/v1/admin/lgs/{MATSUE}/contents"
    published = {}
    for title, target in (
        ("e2e 松江市からのお知らせ", {}),
        ("e2e 農業ボランティア募集", {"survey": {"interests": ["農林漁業"]}}),
        ("e2e 観光モニター募集", {"survey": {"interests": ["観光・交流"]}}),
        ("e2e プレミアム会員限定", {"plans": ["premium"]}),
    ):
        kind = "recruitment" if "募集" in title else "news"
        body = {"kind": kind, "title": title, "body": f"**{title}** の詳細", "target": target}
        created = stack.post(base, token=staff, json=body)
        assert created.status_code == 201, created.text
        published[title] = created.json()["content_id"]
    listed = stack.get(base, token=staff).json()["items"]
    assert set(published.values()) <= {c["content_id"] for c in listed}

    def feed_titles(token: str) -> set[str]:
        response = stack.get("/v1/me/feed", token=token)
        assert response.status_code == 200, response.text
        return {item["title"] for item in response.json()["items"] if item["lg_code"] == MATSUE}

    assert feed_titles(farmer) == {"e2e 松江市からのお知らせ", "e2e 農業ボランティア募集"}
    assert feed_titles(visitor) == {"e2e 松江市からのお知らせ", "e2e 観光モニター募集"}
    item = stack.get("/v1/me/feed", token=farmer).json()["items"][0]
    assert item["lg_name"] == "松江市" and "<strong>" in item["body_html"]


def test_a_question_is_answered_and_the_registrant_is_told(stack: StackClient) -> None:
    person = stack.token("e2e-consult-person", "registrant")
    coordinator = stack.token("e2e-consult-staff", "staff", lg_code=MATSUE, staff_role="coordinator")
    body = {"plan": "basic", "survey_answers": {"relationship": ["出身地"]}}
    assert stack.put(f"/v1/me/registrations/{MATSUE}", token=person, json=body).status_code in (200, 201)

    asked = stack.post(
        "/v1/me/consultations",
        token=person,
        json={
            "lg_code": MATSUE,
            "topic": "community",
            "subject": "e2e 自治会への参加",
            "message": "週末だけ滞在する者でも自治会の行事に参加できますか。",
        },
    )
    assert asked.status_code == 201, asked.text
    cid = asked.json()["consultation_id"]
    waiting = stack.get(
        f"/v1/admin/lgs/{MATSUE}/consultations", token=coordinator, params={"status": "open"}
    ).json()["items"]
    assert cid in [c["consultation_id"] for c in waiting]

    answer = "はい、歓迎します。町内会長をご紹介します。"
    replied = stack.post(
        f"/v1/admin/lgs/{MATSUE}/consultations/{cid}/messages", token=coordinator, json={"body": answer}
    )
    assert replied.status_code == 201 and replied.json()["status"] == "answered", replied.text

    inbox = stack.get("/v1/me/notifications", token=person).json()["items"]
    assert [n["kind"] for n in inbox if n["lg_code"] == MATSUE] == ["consultation_reply"]
    read = stack.get(f"/v1/me/consultations/{cid}", token=person).json()
    assert read["status"] == "answered" and read["messages"][-1] == {
        "from": "staff",
        "body": answer,
        "at": read["messages"][-1]["at"],
    }
    closed = stack.post(f"/v1/admin/lgs/{MATSUE}/consultations/{cid}/close", token=coordinator)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_a_disaster_notice_reaches_the_inbox(stack: StackClient) -> None:
    staff = stack.token("e2e-disaster-staff", "staff", lg_code=MATSUE, staff_role="admin")
    reader = stack.token("e2e-disaster-reader", "registrant")
    body = {"plan": "basic", "survey_answers": {"relationship": ["家族・親族が居住"]}}
    assert stack.put(f"/v1/me/registrations/{MATSUE}", token=reader, json=body).status_code in (200, 201)
    notice = {"kind": "disaster", "title": "e2e 大雨特別警報", "body": "直ちに命を守る行動をとってください。"}
    created = stack.post(f"/v1/admin/lgs/{MATSUE}/contents", token=staff, json=notice)
    assert created.status_code == 201, created.text
    drained = stack.post("/local/streams/drain")
    assert drained.status_code == 200 and drained.json()["dead_lettered"] == 0, drained.text
    inbox = stack.get("/v1/me/notifications", token=reader).json()["items"]
    assert [(n["kind"], n["title"]) for n in inbox if n["lg_code"] == MATSUE] == [
        ("content", "e2e 大雨特別警報")
    ]
    feed = stack.get("/v1/me/feed", token=reader).json()["items"]
    assert "e2e 大雨特別警報" in [item["title"] for item in feed]
