"""The two spreadsheet readers behind `iter_sheets`: python-calamine (Rust, the default when
installed) and openpyxl in read-only mode. They disagree on some representations (empty cells,
integer numbers, midnight datetimes); rows.py accepts both so results are identical.

Call safety.check_xlsx first (or read in the limited child while it runs, `imports.read_isolated`):
these open the file with a spreadsheet library.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from furusato.imports import FileRejected

__all__ = ["ReaderName", "SheetRows", "available_readers", "default_reader", "iter_sheets"]

ReaderName = Literal["calamine", "openpyxl"]


def available_readers() -> tuple[ReaderName, ...]:
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return ("openpyxl",)
    return ("calamine", "openpyxl")


def default_reader() -> ReaderName:
    """calamine: ~10x faster than openpyxl and the only one meeting 20,000 rows/s (docs/imports.md).

    openpyxl remains the fallback where python-calamine is not installed.
    """
    return available_readers()[0]


SheetRows = Iterator[tuple[int, Sequence[Any]]]


def iter_sheets(data: bytes, reader: ReaderName | None = None) -> Iterator[tuple[str, SheetRows]]:
    """Each worksheet as (name, rows) where rows yields (excel_row_number, values) lazily.

    Call safety.check_xlsx first, or read in the limited child: this opens the file with a library.
    """
    reader = reader or default_reader()
    if reader == "calamine":
        return _calamine_sheets(data)
    if reader == "openpyxl":
        return _openpyxl_sheets(data)
    raise ValueError(f"unknown reader {reader!r}")


def _unreadable(exc: Exception) -> FileRejected:
    return FileRejected(
        "unreadable",
        "ファイルを読み取れません。Excelで開いて.xlsx形式で保存し直してください。",
        f"the workbook cannot be read: {type(exc).__name__}",
    )


def _calamine_sheets(data: bytes) -> Iterator[tuple[str, SheetRows]]:
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    except (CalamineError, ValueError, OSError) as exc:
        raise _unreadable(exc) from exc
    with workbook:
        for name in sheets:
            try:
                sheet = workbook.get_sheet_by_name(name)
            except (CalamineError, ValueError, OSError) as exc:
                raise _unreadable(exc) from exc
            if sheet.start is None:  # an empty sheet: iter_rows would panic on it
                continue
            # iter_rows pads the empty rows above the data, so it always starts at row 1 (columns,
            # though, start at the first used one: header matching only needs relative positions).
            yield name, enumerate(sheet.iter_rows(), 1)


def _openpyxl_sheets(data: bytes) -> Iterator[tuple[str, SheetRows]]:
    from zipfile import BadZipFile

    from furusato.imports.safety import ensure_defused_xml

    ensure_defused_xml()
    import openpyxl

    try:
        # data_only: a formula cell gives its cached result, never the formula text.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise _unreadable(exc) from exc
    try:
        for sheet in workbook.worksheets:
            # Some tools write a wrong <dimension>; read-only mode would trust it and cut columns.
            sheet.reset_dimensions()
            yield sheet.title, enumerate(sheet.iter_rows(values_only=True), 1)
    finally:
        workbook.close()
