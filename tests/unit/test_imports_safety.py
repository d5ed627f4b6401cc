"""Checks before any spreadsheet library opens an upload: size, zip bombs, macros, XML entities."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from typing import Any

import pytest

from furusato.imports import FileRejected, safety
from furusato.imports.rows import parse_xlsx
from furusato.imports.safety import DEFAULT_LIMITS, SafetyLimits, check_xlsx, ensure_defused_xml
from furusato.imports.template import build_template
from tests.fixtures.imports import official, rezip, sample_rows

MiB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"


def reason(data: bytes, limits: SafetyLimits = DEFAULT_LIMITS) -> str:
    with pytest.raises(FileRejected) as caught:
        check_xlsx(data, limits)
    assert caught.value.message_ja and caught.value.message_en
    assert caught.value.code == "IMPORT_FILE_REJECTED" and caught.value.status == 400
    assert caught.value.details["reason"] == caught.value.reason
    return caught.value.reason


def zeros_entry(archive: zipfile.ZipFile, name: str, size: int) -> None:
    """A highly compressible entry written in chunks (a bomb without holding it in memory)."""
    chunk = b"\0" * MiB
    with archive.open(name, "w", force_zip64=True) as entry:
        for _ in range(size // MiB):
            entry.write(chunk)


def sample() -> bytes:
    return official(sample_rows())


def test_openpyxl_parses_with_defusedxml() -> None:
    import defusedxml
    import openpyxl.xml

    assert defusedxml.__version__
    assert openpyxl.xml.DEFUSEDXML is True
    ensure_defused_xml()


def test_real_files_pass() -> None:
    summary = check_xlsx(sample())
    assert summary.entries >= 8 and summary.uncompressed_bytes > summary.compressed_bytes
    check_xlsx(build_template())


def test_limits() -> None:
    assert DEFAULT_LIMITS.max_file_bytes == 10 * MiB
    assert DEFAULT_LIMITS.max_ratio == 100


def test_empty_file() -> None:
    assert reason(b"") == "empty"


def test_file_over_10_mb() -> None:
    assert reason(b"PK\x03\x04" + b"\0" * (10 * MiB)) == "too_large"
    assert reason(sample(), SafetyLimits(max_file_bytes=1000)) == "too_large"


@pytest.mark.parametrize(
    "data",
    [
        "ID,活動名,活動開始日時\nEVT-001,農業ボランティア,2026/4/10 10:00\n".encode(),
        b"%PDF-1.7\n",
        b"<html><body>not a workbook</body></html>",
        b"PK\x03\x04 truncated",
    ],
)
def test_not_a_zip(data: bytes) -> None:
    assert reason(data) == "not_zip"


def test_legacy_xls_or_password_protected() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    assert reason(ole) == "legacy_or_encrypted"


def test_macro_enabled_workbook_is_refused() -> None:
    assert reason(rezip(sample(), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"})) == "macro_enabled"


def test_macro_content_type_is_refused() -> None:
    data = sample()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml")
    xlsm = types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    assert xlsm != types
    assert reason(rezip(data, replace={"[Content_Types].xml": xlsm})) == "macro_enabled"


def test_other_zips_are_not_xlsx() -> None:
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert reason(docx.getvalue()) == "not_xlsx"
    xlsb = rezip(sample(), drop=["xl/workbook.xml"], add={"xl/workbook.bin": b"\x83\x01"})
    assert reason(xlsb) == "not_xlsx"


def test_zip_bomb_by_entry_size() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        zeros_entry(archive, SHEET, 200 * MiB)
    data = bomb.getvalue()
    assert len(data) < 1 * MiB  # 200 MB in a few hundred KB
    assert reason(data) == "entry_too_large"


def test_zip_bomb_by_ratio() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        zeros_entry(archive, SHEET, 20 * MiB)  # under the size caps, ~1000x compressed
    assert reason(bomb.getvalue()) == "compression_ratio"


def test_zip_bomb_by_total_size() -> None:
    limits = SafetyLimits(max_entry_bytes=4 * MiB, max_total_bytes=6 * MiB, max_ratio=10_000)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(3):
            zeros_entry(archive, f"xl/media/image{n}.png", 3 * MiB)
    assert reason(bomb.getvalue(), limits) == "total_too_large"


def test_too_many_entries() -> None:
    extra = {f"xl/media/image{n}.png": b"x" for n in range(DEFAULT_LIMITS.max_entries)}
    assert reason(rezip(sample(), add=extra)) == "too_many_entries"


def _patch_headers(
    data: bytes, *, name: str | None = None, size: int | None = None, flags: int | None = None
) -> bytes:
    """Overwrite fields of the local and central-directory headers of one entry (or of all):
    a hand-made bad zip that zipfile cannot write."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = [i for i in archive.infolist() if name is None or i.filename == name]
    for info in infos:
        local = info.header_offset
        central = -1
        for match in re.finditer(b"PK\x01\x02", data):
            name_len = struct.unpack_from("<H", data, match.start() + 28)[0]
            if data[match.start() + 46 : match.start() + 46 + name_len] == info.filename.encode():
                central = match.start()
        assert central >= 0
        if size is not None:
            struct.pack_into("<I", out, local + 22, size)
            struct.pack_into("<I", out, central + 24, size)
        if flags is not None:
            struct.pack_into("<H", out, local + 6, flags)
            struct.pack_into("<H", out, central + 8, flags)
    return bytes(out)


def test_entry_lying_about_its_size() -> None:
    # Declared as 1 KB, inflates to 3 MB: only inflating tells; zipfile stops at the declared
    # size and its CRC check fails.
    liar = io.BytesIO()
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr(SHEET, b"<worksheet>" + b"<row/>" * 500_000 + b"</worksheet>")
    patched = _patch_headers(liar.getvalue(), name=SHEET, size=1024)
    with zipfile.ZipFile(io.BytesIO(patched)) as archive:
        assert archive.getinfo(SHEET).file_size == 1024  # the directory now lies
    check_xlsx(patched, verify_content=False)  # the directory alone looks harmless
    assert reason(patched) == "corrupt_zip"


def test_encrypted_entries_are_refused() -> None:
    assert reason(_patch_headers(sample(), flags=0x1)) == "encrypted_entry"


def test_duplicate_entry_names_are_refused() -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(io.BytesIO(sample())) as src:
            for info in src.infolist():
                archive.writestr(info.filename, src.read(info.filename))
        archive.writestr(SHEET, "<worksheet/>")
    assert reason(data.getvalue()) == "corrupt_zip"


def test_unusual_compression_is_refused() -> None:
    data = io.BytesIO()
    with (
        zipfile.ZipFile(data, "w", zipfile.ZIP_BZIP2) as archive,
        zipfile.ZipFile(io.BytesIO(sample())) as src,
    ):
        for info in src.infolist():
            archive.writestr(info.filename, src.read(info.filename))
    assert reason(data.getvalue()) == "unsupported_compression"


# -- XML --------------------------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))
    + "]>"
)


def billion_laughs() -> bytes:
    """A sample file whose first cell expands to 10^9 'lol's if entities are resolved."""
    data = sample()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read(SHEET).decode()
    sheet = re.sub(r"^<\?xml[^>]*\?>", "", sheet)
    sheet = re.sub(
        r'<c r="A4"[^>]*>.*?</c>', '<c r="A4" t="inlineStr"><is><t>&lol9;</t></is></c>', sheet, count=1
    )
    assert "&lol9;" in sheet
    return rezip(data, replace={SHEET: (LAUGHS + sheet).encode()})


def test_entity_expansion_is_refused_before_parsing() -> None:
    assert reason(billion_laughs()) == "xml_dtd"


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_entity_expansion_is_neutralised_by_the_readers_too(reader: str) -> None:
    # Defence in depth: were the check skipped, neither reader expands the entities.
    with pytest.raises(FileRejected) as caught:
        parse_xlsx(billion_laughs(), reader=reader)  # type: ignore[arg-type]
    assert caught.value.reason == "unreadable"


def test_external_entity_is_refused() -> None:
    xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>'
    data = rezip(sample(), replace={"docProps/core.xml": xxe.encode()})
    assert reason(data) == "xml_dtd"


def test_doctype_split_across_read_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "_CHUNK", 64)
    payload = b"<worksheet>" + b"a" * 50 + b"<!DOCTYPE x>" + b"</worksheet>"
    assert payload.index(b"<!DOCTYPE") < 64 < payload.index(b"<!DOCTYPE") + 9
    assert reason(rezip(sample(), replace={SHEET: payload})) == "xml_dtd"


def test_utf16_parts_are_refused() -> None:
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><worksheet/>'.encode("utf-16")
    assert reason(rezip(sample(), replace={SHEET: utf16})) == "xml_encoding"


def test_checks_without_inflating_still_catch_declared_problems() -> None:
    assert check_xlsx(sample(), verify_content=False).entries > 0
    with pytest.raises(FileRejected):
        check_xlsx(rezip(sample(), add={"xl/vbaProject.bin": b"x"}), verify_content=False)


def test_analyse_runs_the_checks_first() -> None:
    from furusato.imports import analyse

    with pytest.raises(FileRejected) as caught:
        analyse(billion_laughs(), lg_code="212172")
    assert caught.value.reason == "xml_dtd"
    with pytest.raises(FileRejected) as caught:
        analyse(rezip(sample(), add={"xl/vbaProject.bin": b"x"}), lg_code="212172")
    assert caught.value.reason == "macro_enabled"


def _renamed_sheet(content: bytes) -> bytes:
    """The sample with its sheet moved to `xl/worksheets/sheet1.dat` (relationships follow)."""
    data = sample()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        rels = archive.read("xl/_rels/workbook.xml.rels").replace(b"sheet1.xml", b"sheet1.dat")
    return rezip(
        data,
        drop=[SHEET],
        replace={"xl/_rels/workbook.xml.rels": rels},
        add={"xl/worksheets/sheet1.dat": content},
    )


def test_a_dtd_in_a_part_of_any_extension_is_refused() -> None:
    with zipfile.ZipFile(io.BytesIO(sample())) as archive:
        sheet = archive.read(SHEET)
    doctype = sheet.replace(b"<worksheet", b"<!DOCTYPE x><worksheet", 1)
    assert reason(_renamed_sheet(doctype)) == "xml_dtd"
    assert reason(rezip(sample(), add={"xl/media/image1.png": b"\x89PNG<!ENTITY x 'y'>"})) == "xml_dtd"
    check_xlsx(_renamed_sheet(sheet))  # renamed alone is no harm


@pytest.mark.parametrize(
    ("original", "crafted"),
    [
        (b'<c r="A4"', b'<c r="XFD1048576"'),  # the crafted 24 KB file: one far cell
        (b'<c r="A4"', b'<c s="0" r="AA4"'),  # a column past the template's room
        (b'<c r="A4"', b'<c r="A300000"'),  # a row past the documented maximum
        (b'<row r="4"', b'<row r="1048576"'),
        (b"<dimension ", b'<dimension ref="A1:XFD1048576" x="'),
        (b"<sheetData", b'<mergeCells><mergeCell ref="$A$1:$ZZ$3"/></mergeCells><sheetData'),
    ],
)
def test_cell_references_beyond_the_template_are_refused_before_opening(
    original: bytes, crafted: bytes
) -> None:
    with zipfile.ZipFile(io.BytesIO(sample())) as archive:
        sheet = archive.read(SHEET)
    assert original in sheet
    data = rezip(sample(), replace={SHEET: sheet.replace(original, crafted, 1)})
    assert len(data) < 64 * 1024
    assert reason(data) == "cell_out_of_range"
    assert reason(_renamed_sheet(sheet.replace(original, crafted, 1))) == "cell_out_of_range"


def test_references_inside_the_template_pass() -> None:
    with zipfile.ZipFile(io.BytesIO(sample())) as archive:
        sheet = archive.read(SHEET)
    edge = sheet.replace(b'<c r="A4"', b'<c r="Z4"', 1).replace(b'<row r="4"', b'<row r="299999"', 1)
    check_xlsx(rezip(sample(), replace={SHEET: edge}))


def test_a_far_reference_split_across_read_chunks_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "_CHUNK", 64)
    payload = (
        b"<worksheet><sheetData>"
        + b" " * 30
        + b'<row r="1"><c r="XFD1048576"/></row></sheetData></worksheet>'
    )
    assert reason(rezip(sample(), replace={SHEET: payload})) == "cell_out_of_range"


def _hungry() -> bytes:
    return b"x" * (2 * 1024 * MiB)  # far over the limit


def _aborting() -> None:
    import os

    os.abort()  # what a native reader does when its allocation fails


def _rejecting() -> None:
    raise safety._reject("xml_dtd", name="x.xml")


def _limited(fn: Any, *args: Any, **limits: Any) -> Any:
    """fn(*args) in the limited child, its return value back."""
    with safety.LimitedChild(lambda _send: fn(*args), **limits) as child:
        for _ in child:
            pass
        return child.result


def _spinning() -> None:
    while True:
        pass


def test_a_parse_runs_under_a_memory_limit_in_a_child_process() -> None:
    assert _limited(sum, [1, 2, 3]) == 6
    parsed = _limited(parse_xlsx, sample())
    assert len(parsed.rows) == len(sample_rows())
    for crash in (_hungry, _aborting):
        with pytest.raises(FileRejected) as caught:
            _limited(crash, memory_bytes=256 * MiB)
        assert caught.value.reason == "parse_crashed" and "メモリ" in caught.value.message_ja
    with pytest.raises(FileRejected) as caught:
        _limited(_rejecting)
    assert caught.value.reason == "xml_dtd" and caught.value.details["name"] == "x.xml"


def test_a_reader_that_never_ends_is_stopped_by_its_cpu_limit() -> None:
    with pytest.raises(FileRejected) as caught:
        _limited(_spinning, cpu_seconds=1)
    assert caught.value.reason == "parse_crashed"


def test_the_cheap_sign_of_a_far_reference_precedes_every_match() -> None:
    # The exact pattern runs only where the sign appears: the sign must never miss a match.
    columns = ["A", "Z", "$A", "AA", "$AA$", "XFD", "aA", "Ab"]
    rows = ["1", "$4", "99999", "100000", "299999", "300000", "$300000", "1048576", "12345678"]
    attributes = [" r=", " ref=", "\tsqref=", " xr="]
    for attribute in attributes:
        for column in columns:
            for row in rows:
                for value in (f"{column}{row}", f"A1:{column}{row}", f"A1 {column}{row}", row):
                    text = f'<c{attribute}"{value}"/>'.encode()
                    if safety._BAD_REF.search(text):
                        assert safety._may_refer_out_of_range(text), text


def test_the_deployed_path_reads_in_the_child_and_types_in_the_parent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import datetime

    from furusato.imports import analyse, read_checked, rows

    now = datetime.fromisoformat("2027-04-01T00:00:00+09:00")
    data = sample()
    isolated = analyse(data, lg_code="212172", now=now, isolated=True)
    in_process = analyse(data, lg_code="212172", now=now)
    assert isolated.summary() == in_process.summary()
    assert [(r.row, r.status, r.reason()) for r in isolated.rows] == [
        (r.row, r.status, r.reason()) for r in in_process.rows
    ]
    # What crosses the pipe is the untyped cells only: primitives, no row objects.
    raw = read_checked(data)
    values = {type(v) for _, cells in raw.rows for v in cells}
    assert values <= {str, int, float, bool, datetime, type(None)}
    # Refusals raised in the child reach the caller as they are; an empty template is no error.
    with pytest.raises(FileRejected) as caught:
        analyse(rezip(data, add={"xl/vbaProject.bin": b"x"}), lg_code="212172", isolated=True)
    assert caught.value.reason == "macro_enabled"
    assert analyse(build_template(), lg_code="212172", isolated=True).rows_total == 0
    # A reader that aborts (a native allocation failure) fails the child, not this process.
    monkeypatch.setattr(rows, "read_sheet", lambda *_, **__: _aborting())
    with pytest.raises(FileRejected) as caught:
        analyse(data, lg_code="212172", isolated=True)
    assert caught.value.reason == "parse_crashed"


def _stepwise(send: safety.Send, release: int) -> str:
    import select

    send("first")
    # Blocks until the parent has the first item: it must arrive before the child ends.
    ready, _, _ = select.select([release], [], [], 10)
    send("second")
    return "released" if ready else "timed out"


def test_a_limited_child_streams_its_items_as_it_sends_them() -> None:
    import os

    release, releaser = os.pipe()
    received = []
    with safety.LimitedChild(lambda send: _stepwise(send, release)) as child:
        for item in child:
            received.append(item)
            os.write(releaser, b"x")
        assert child.result == "released"
    assert received == ["first", "second"]
    os.close(release)
    os.close(releaser)


def _endless(send: safety.Send) -> None:
    while True:
        send(list(range(1000)))


def test_leaving_a_limited_child_early_ends_it() -> None:
    import os

    with safety.LimitedChild(_endless) as child:
        pid = child._pid
        assert pid is not None
        assert next(iter(child)) == list(range(1000))
    with pytest.raises(ChildProcessError):  # killed and reaped: no process, no zombie
        os.waitpid(pid, os.WNOHANG)


def test_the_deployed_path_refuses_as_the_checks_do_although_the_reader_runs_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from furusato.imports import analyse, rows

    # The reader starts before the checks have finished: their refusal still comes first, also
    # for a file that makes the reader abort (a forged far cell) and when the reader crashes.
    far_cell = rezip(
        sample(),
        replace={
            SHEET: b'<worksheet><sheetData><row r="1"><c r="XFD1048576"/></row></sheetData></worksheet>'
        },
    )
    for data, expected in ((billion_laughs(), "xml_dtd"), (far_cell, "cell_out_of_range")):
        with pytest.raises(FileRejected) as caught:
            analyse(data, lg_code="212172", isolated=True)
        assert caught.value.reason == expected
    monkeypatch.setattr(rows, "read_sheet", lambda *_, **__: _aborting())
    with pytest.raises(FileRejected) as caught:
        analyse(rezip(sample(), add={"xl/vbaProject.bin": b"x"}), lg_code="212172", isolated=True)
    assert caught.value.reason == "macro_enabled"


def test_the_deployed_path_gives_the_same_result_in_many_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    from furusato.imports import analyse, rows

    now = datetime.fromisoformat("2027-04-01T00:00:00+09:00")
    data = sample()
    in_process = analyse(data, lg_code="212172", now=now)
    monkeypatch.setattr(rows, "CHUNK_ROWS", 2)  # the sample's rows cross the pipe two by two
    isolated = analyse(data, lg_code="212172", now=now, isolated=True)
    assert isolated.summary() == in_process.summary()
    assert [(r.row, r.status, r.reason(), r.parsed.cells) for r in isolated.rows] == [
        (r.row, r.status, r.reason(), r.parsed.cells) for r in in_process.rows
    ]
    assert isolated.participations == in_process.participations
    assert isolated.sheet.headers == in_process.sheet.headers
    assert isolated.sheet.header_row == in_process.sheet.header_row
