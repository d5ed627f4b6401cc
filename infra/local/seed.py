"""Demo data, created through the real handlers (never written to the tables directly).

The stack seeds in-process through the gateway's own `handle`, so every write passes the
authorizer, the handler's validation and the store, as a client's would. `python -m
infra.local.seed --url http://127.0.0.1:8000` seeds a running stack over HTTP the same way.
Seeding is idempotent: an already onboarded government (409 ALREADY_ONBOARDED) is fine, and the
page and survey PUTs replace what is there.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# (method, path, body, token) -> (status, parsed JSON body or None)
Call = Callable[[str, str, dict[str, Any] | None, str | None], tuple[int, Any]]


@dataclass(frozen=True)
class DemoGovernment:
    lg_code: str
    name: str
    kind: str
    prefecture_code: str
    title: str
    body: str
    question: dict[str, Any]


GOVERNMENTS: tuple[DemoGovernment, ...] = (
    DemoGovernment(
        "130001",
        "東京都",
        "prefecture",
        "13",
        "東京都へようこそ",
        "東京都は23の特別区と多摩地域の市町村、伊豆諸島・小笠原諸島からなる日本の首都です。"
        "都心のにぎわいの一方で、多摩の森林や島しょの豊かな自然を守る活動、地域の祭りを支える担い手を募集しています。",
        {
            "id": "visit_frequency",
            "label": "東京都を訪れる頻度",
            "type": "single_choice",
            "options": ["月に1回以上", "年に数回", "年に1回程度", "ほとんど訪れない"],
            "required": False,
        },
    ),
    DemoGovernment(
        "131041",
        "新宿区",
        "municipality",
        "13",
        "新宿区 ふるさと住民のご案内",
        "新宿区は東京都庁の所在地であり、新宿御苑の緑、神楽坂の路地、早稲田の学生街など多彩な顔を持つ街です。"
        "商店街のイベントや清掃活動など、まちを一緒に支えてくださる方をお待ちしています。",
        {
            "id": "wanted_activity",
            "label": "新宿区で参加してみたい活動",
            "type": "text",
            "required": False,
        },
    ),
    DemoGovernment(
        "210005",
        "岐阜県",
        "prefecture",
        "21",
        "清流の国ぎふ",
        "岐阜県は日本のほぼ中央に位置し、「飛山濃水」と呼ばれる山と川の豊かな自然に恵まれています。"
        "白川郷の合掌造り集落、長良川の鵜飼、関の刃物や美濃和紙などの伝統が息づいています。",
        {
            "id": "favorite_area",
            "label": "関心のある県内の地域",
            "type": "multi_choice",
            "options": ["岐阜", "西濃", "中濃", "東濃", "飛騨"],
            "required": False,
        },
    ),
    DemoGovernment(
        "212032",
        "高山市",
        "municipality",
        "21",
        "飛騨高山へようこそ",
        "高山市は日本一広い面積を持つ市で、江戸時代の城下町の面影を残す古い町並みや朝市で知られます。"
        "春と秋の高山祭を支える屋台の曳き手や、北アルプスの麓での農作業の担い手を募集しています。",
        {
            "id": "visits_per_year",
            "label": "高山市を訪れる年間の回数",
            "type": "number",
            "required": False,
        },
    ),
    DemoGovernment(
        "212172",
        "飛騨市",
        "municipality",
        "21",
        "飛騨市 ふるさと住民のご案内",
        "飛騨市は白壁土蔵の街並みと瀬戸川の鯉、勇壮な起し太鼓の古川祭で知られるまちです。"
        "神岡には宇宙素粒子研究の拠点があり、森や田畑の手入れなど、関わる方の力を生かす取り組みを続けています。",
        {
            "id": "how_you_knew",
            "label": "飛騨市を知ったきっかけ",
            "type": "single_choice",
            "options": ["ふるさと納税", "観光", "知人の紹介", "映画・アニメ", "その他"],
            "required": False,
        },
    ),
    DemoGovernment(
        "320005",
        "島根県",
        "prefecture",
        "32",
        "ご縁の国しまね",
        "島根県は出雲大社や世界遺産の石見銀山遺跡、隠岐諸島など、神話と歴史の息づく土地です。"
        "中山間地域や離島の暮らしを支え、伝統行事を受け継ぐ仲間を募集しています。",
        {
            "id": "connection_story",
            "label": "島根県とのご縁やエピソード",
            "type": "text",
            "required": False,
        },
    ),
    DemoGovernment(
        "322016",
        "松江市",
        "municipality",
        "32",
        "水の都 松江",
        "松江市は島根県の県庁所在地で、国宝松江城と堀川めぐり、宍道湖の夕日で知られる水の都です。"
        "小泉八雲ゆかりのまちで、茶の湯の文化も今に伝わっています。",
        {
            "id": "want_to_experience",
            "label": "松江で体験したいこと",
            "type": "multi_choice",
            "options": ["松江城と堀川めぐり", "宍道湖の夕日", "茶の湯", "しじみ漁", "その他"],
            "required": False,
        },
    ),
)

OPERATOR_SUB = "local-seed-operator"


@dataclass
class SeedReport:
    onboarded: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    surveys: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        total = len(GOVERNMENTS)
        lines = [
            f"seed: governments {len(self.onboarded)} onboarded, {len(self.already)} already there"
            f" (of {total}); pages {len(self.pages)}/{total}; surveys {len(self.surveys)}/{total}"
        ]
        lines += [f"seed: ! {problem}" for problem in self.problems]
        return "\n".join(lines)


def _code(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("code"))
    return "-"


def _token(call: Call, claims: dict[str, Any]) -> str:
    status, body = call("POST", "/local/token", claims, None)
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"/local/token answered {status} {_code(body)}")
    return str(body["token"])


def seed(call: Call) -> SeedReport:
    report = SeedReport()
    operator = _token(call, {"sub": OPERATOR_SUB, "role": "operator"})
    for lg in GOVERNMENTS:
        onboarding = {
            "lg_code": lg.lg_code,
            "name": lg.name,
            "kind": lg.kind,
            "prefecture_code": lg.prefecture_code,
        }
        status, body = call("POST", "/v1/operator/lgs", onboarding, operator)
        if status in (200, 201):
            report.onboarded.append(lg.lg_code)
        elif status == 409 and _code(body) == "ALREADY_ONBOARDED":
            report.already.append(lg.lg_code)
        elif status == 501:
            report.problems.append(
                "POST /v1/operator/lgs is not implemented (functions/registration/handler.py missing):"
                " no government seeded"
            )
            return report
        else:
            report.problems.append(f"POST /v1/operator/lgs {lg.lg_code}: {status} {_code(body)}")
            continue
        admin = _token(
            call,
            {
                "sub": f"local-seed-admin-{lg.lg_code}",
                "role": "staff",
                "lg_code": lg.lg_code,
                "staff_role": "admin",
            },
        )
        for what, path, payload, done in (
            ("page", f"/v1/admin/lgs/{lg.lg_code}/page", {"title": lg.title, "body": lg.body}, report.pages),
            ("survey", f"/v1/admin/lgs/{lg.lg_code}/survey", {"questions": [lg.question]}, report.surveys),
        ):
            status, body = call("PUT", path, payload, admin)
            if 200 <= status < 300:
                done.append(lg.lg_code)
            elif status == 501:
                problem = f"PUT /v1/admin/lgs/{{lg_code}}/{what} is not implemented (function missing)"
                if problem not in report.problems:
                    report.problems.append(problem)
            else:
                report.problems.append(f"PUT {path}: {status} {_code(body)}")
    return report


def http_call(base_url: str) -> Call:
    """A `Call` over HTTP, for seeding a stack that is already running."""

    def call(method: str, path: str, body: dict[str, Any] | None, token: str | None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base_url.rstrip("/") + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    return call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seed demo data into a running local stack.")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    report = seed(http_call(args.url))
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
