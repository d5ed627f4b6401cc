"""Every spreadsheet the system writes cleans illegal characters at the cell: data stored before
the text rule (or reaching a writer by another path) can never make an export fail."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl

from furusato.capabilities.rosters import roster_workbook
from furusato.clock import JST
from furusato.domain.activity import Activity
from furusato.domain.text import cell_text
from furusato.imports.report import display_text

# Every C0 and C1 control character, DEL, lone surrogates and the XML non-characters.
HOSTILE = "".join(chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]) + "\ud800\udfff\ufffe\uffff"


def _activity(name: str) -> Activity:
    start = datetime(2026, 5, 10, 9, tzinfo=JST)
    return Activity(
        activity_id="act_x",
        lg_code="212172",
        name=name,
        starts_at=start,
        ends_at=start,
        place=name,
        conditions=None,
        capacity=None,
        organization_id=None,
        designated=True,
        checkin_mode="static_qr",
        status="scheduled",
        created_at="",
        updated_at="",
    )


def test_cell_text_keeps_what_xml_can_hold() -> None:
    assert (
        cell_text(f"山田{HOSTILE}花子") == "山田\t\n\r" + "".join(chr(c) for c in range(0x7F, 0xA0)) + "花子"
    )
    assert len(cell_text("x" * 40_000)) == 32_767


def test_a_roster_holds_every_control_character_written_through_it() -> None:
    line = {
        "participation_id": "par_x",
        "name": f"山田{HOSTILE}花子",
        "registered": False,
        "registration_id": None,
        "source": "qr",
        "checkin_mode": "static_qr",
        "checked_in_at": "2026-05-10T09:00:00+09:00",
        "recorded_at": "2026-05-10T09:00:00+09:00",
        "offline": False,
        "status": "confirmed",
    }
    data = roster_workbook(_activity(f"清掃{HOSTILE}"), [line])
    sheet = openpyxl.load_workbook(io.BytesIO(data))["参加者"]
    name = sheet.cell(row=7, column=2).value
    assert name.startswith("山田") and name.endswith("花子") and "\x00" not in name


def test_the_import_report_cleans_every_cell() -> None:
    shown = display_text(f"a{HOSTILE}b")
    assert shown is not None and shown == cell_text(f"a{HOSTILE}b")
