"""The official backfill template (令和8年4月以降における担い手活動実績記録用様式) as xlsx bytes.

Layout as in the ministry's sheet: a group row (活動情報 over the activity columns, 参加者情報
over the participant columns, merged), a 必須/任意 row, the column names, then empty rows
already formatted for dates, times and postal codes. A second sheet explains each column.
"""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from furusato.imports import COLUMNS

__all__ = [
    "DATA_FIRST_ROW",
    "DATA_SHEET_TITLE",
    "FORMATTED_ROWS",
    "GENDER_CHOICES",
    "GROUP_LABELS",
    "HEADER_ROW",
    "HELP_SHEET_TITLE",
    "TEMPLATE_FILENAME",
    "build_template",
]

TEMPLATE_FILENAME = "furusato_backfill_template.xlsx"
DATA_SHEET_TITLE = "活動実績"
HELP_SHEET_TITLE = "記入方法"
GROUP_LABELS = {"activity": "活動情報", "participant": "参加者情報"}
GROUP_ROW, REQUIRED_ROW, HEADER_ROW, DATA_FIRST_ROW = 1, 2, 3, 4
# Rows pre-formatted and covered by the 性別 list; clerks can add more below.
FORMATTED_ROWS = 1000
GENDER_CHOICES = ("男性", "女性", "その他", "回答しない")

_FORMATS = {
    "starts_at": "yyyy/m/d h:mm",
    "ends_at": "yyyy/m/d h:mm",
    "birth_date": "yyyy/m/d",
    # Text, so Excel keeps the leading zero of 067-3214 and does not turn 1247834 into a number.
    "postal_code": "@",
    "activity_ref": "@",
}
_WIDTHS = {
    "activity_ref": 10,
    "activity_name": 22,
    "starts_at": 18,
    "ends_at": 18,
    "place": 22,
    "conditions": 18,
    "name": 16,
    "postal_code": 11,
    "address": 36,
    "birth_date": 12,
    "gender": 10,
}
_FILLS = {"activity": "DDEBF7", "participant": "E2EFDA"}
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
# Fixed document dates: the template only changes with the code.
_TEMPLATE_DATE = datetime(2026, 3, 27)


def build_template() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = DATA_SHEET_TITLE
    _data_sheet(sheet)
    _help_sheet(workbook.create_sheet(HELP_SHEET_TITLE))
    workbook.properties.title = "令和8年4月以降における担い手活動実績記録用様式"
    workbook.properties.creator = "ふるさと住民登録システム"
    workbook.properties.created = workbook.properties.modified = _TEMPLATE_DATE
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _data_sheet(sheet: Worksheet) -> None:
    bold = Font(bold=True)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for group in ("activity", "participant"):
        indexes = [i for i, c in enumerate(COLUMNS, 1) if c.group == group]
        first, last = min(indexes), max(indexes)
        cell = sheet.cell(GROUP_ROW, first, GROUP_LABELS[group])
        cell.font, cell.alignment = bold, center
        sheet.merge_cells(start_row=GROUP_ROW, start_column=first, end_row=GROUP_ROW, end_column=last)
        for index in indexes:
            sheet.cell(GROUP_ROW, index).fill = PatternFill("solid", fgColor=_FILLS[group])
            sheet.cell(GROUP_ROW, index).border = _BOX
    for index, column in enumerate(COLUMNS, 1):
        fill = PatternFill("solid", fgColor=_FILLS[column.group])
        mark = sheet.cell(REQUIRED_ROW, index, "必須" if column.required else "任意")
        mark.font = Font(bold=column.required, color="C00000" if column.required else "595959")
        head = sheet.cell(HEADER_ROW, index, column.header)
        head.font = bold
        for cell in (mark, head):
            cell.alignment, cell.fill, cell.border = center, fill, _BOX
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _WIDTHS[column.key]
        number_format = _FORMATS.get(column.key)
        if number_format:
            for row in range(DATA_FIRST_ROW, DATA_FIRST_ROW + FORMATTED_ROWS):
                sheet.cell(row, index).number_format = number_format
    gender_letter = get_column_letter(next(i for i, c in enumerate(COLUMNS, 1) if c.key == "gender"))
    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(GENDER_CHOICES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="性別",
        error="男性・女性・その他・回答しない から選んでください。",
        promptTitle="性別",
        prompt="一覧から選んでください。",
        showInputMessage=True,
    )
    choices.add(f"{gender_letter}{DATA_FIRST_ROW}:{gender_letter}{DATA_FIRST_ROW + FORMATTED_ROWS - 1}")
    sheet.add_data_validation(choices)
    sheet.freeze_panes = sheet.cell(DATA_FIRST_ROW, 1)


_NOTES = (
    "1行に参加者1人・活動1つを記入します。同じ活動の参加者は行を分けて記入してください。",
    "令和8年(2026年)4月1日以降に実施し、終了した担い手活動を記録できます。",
    "日時は日本時間です。Excelの日付のほか、「2026年4月10日 10:00」「令和8年4月10日 10:00」"
    "のような文字でも読み取れます。",
    "1〜3行目（見出し）は消さないでください。列の並べ替えや、使わない任意の列の削除はかまいません。",
    "同じ活動に同じ人（氏名・生年月日が同じ）を2回記入した場合は、1件として取り込みます。",
    "取込結果はファイルとしてダウンロードでき、行ごとに取り込めなかった理由が記載されます。",
)


def _help_sheet(sheet: Worksheet) -> None:
    bold = Font(bold=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    sheet.append(["令和8年4月以降における担い手活動実績記録用様式　記入方法"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(["列", "区分", "必須/任意", "説明", "記入例"])
    for cell in sheet[3]:
        cell.font, cell.border = bold, _BOX
    for column in COLUMNS:
        sheet.append(
            [
                column.header,
                GROUP_LABELS[column.group],
                "必須" if column.required else "任意",
                column.description,
                column.example,
            ]
        )
        for cell in sheet[sheet.max_row]:
            cell.alignment, cell.border = wrap, _BOX
    sheet.append([])
    sheet.append(["注意事項"])
    sheet.cell(sheet.max_row, 1).font = bold
    for note in _NOTES:
        sheet.append([f"・{note}"])
    for letter, width in zip("ABCDE", (18, 12, 10, 70, 22), strict=True):
        sheet.column_dimensions[letter].width = width
