"""Backfill parsing: raw reading and full parse + validate with openpyxl and with python-calamine.

Generates one 100,000-row file in the official layout (in a temporary directory, deleted after),
then measures, each in a fresh interpreter so peak memory (ru_maxrss) of one reader does not
leak into the other's figure:

- safety checks (zip directory + streamed inflate of every entry)
- raw reading: every row of the sheet, no interpretation (openpyxl read_only; calamine)
- parse + validate with each reader (safety checks included)
- the same as the imports function runs it, the headline: `analyse(..., isolated=True)`, the
  reading in a child process under the memory limit (`safety.LimitedChild`) streaming its untyped
  cells in chunks while the parent runs the checks, then types each chunk and validates; peak
  memory is the larger of the child's and the parent's, CPU both together (and each apart)
- the report of the result: `build_report` (the sheet XML written directly) and, for reference,
  the same cells written with XlsxWriter (constant_memory; the report's writer before) and with
  openpyxl's write_only mode (the one before that)

`--before DIR` runs the parse, deployed-path and report measurements of another checkout of the
repository as well (e.g. `git worktree add /tmp/before <commit>`), interleaved with this one's,
so before and after come from one run on the same load.

    python -m bench imports_parse [--rows 100000] [--repeat 5] [--repeat-slow 1] [--before DIR]
        [--only child-calamine,full-calamine] [--file backfill.xlsx]

It ends with PASS or FAIL of the deployed path (and of the one-process path) against the target:
a median of >= 30,000 rows/s and <= 512 MB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Validation runs as of this instant, after every generated activity.
NOW = "2027-04-01T00:00:00+09:00"
LG_CODE = "212172"  # 飛騨市
TARGET_ROWS_PER_S = 30_000  # the median run
TARGET_PEAK_MB = 512

_FAMILY = (
    "佐藤 鈴木 高橋 田中 渡辺 伊藤 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水"
).split()
_GIVEN = "健一 美咲 亮介 優子 大輝 彩 悠真 智子 拓真 美優 翔太 陽菜 蓮 結衣 湊 葵 大和 さくら 樹 凛".split()
_PLACES = ("市中央ホールA", "区文化センター204号室", "モデルタウン運動広場", "区宮駐輪場", "×町N番地")
_ACTIVITIES = ("農業ボランティア", "イベント企画運営", "清掃活動", "雪下ろし", "草刈り", "祭り運営")
_PREFS = ("東京都新宿区", "大阪府大阪市北区", "沖縄県那覇市", "千葉県千葉市中央区", "北海道札幌市中央区")
_GENDERS = ("男性", "女性", "男", "女", "その他", "回答しない")


def generate(path: Path, rows: int, seed: int = 42) -> dict[str, Any]:
    """The official layout, then `rows` rows: activities of 5-40 people, half of them with Excel
    date cells and half with text dates (2026年4月10日 10:00, 1974/2/18), as real files mix both."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    from furusato.imports import COLUMNS

    rng = random.Random(seed)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("活動実績")
    sheet.append(["活動情報", None, None, None, None, None, "参加者情報"])
    sheet.append(["必須" if c.required else "任意" for c in COLUMNS])
    sheet.append([c.header for c in COLUMNS])

    def dt_cell(value: datetime, fmt: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = fmt
        return cell

    written = activity = 0
    start_day = date(2026, 4, 1)
    while written < rows:
        activity += 1
        size = min(rng.randint(5, 40), rows - written)
        starts = datetime.combine(start_day + timedelta(days=rng.randrange(360)), datetime.min.time())
        starts += timedelta(hours=rng.randint(8, 16), minutes=rng.choice((0, 15, 30)))
        ends = starts + timedelta(hours=rng.randint(1, 4))
        excel_dates = activity % 2 == 0
        name, place = rng.choice(_ACTIVITIES), rng.choice(_PLACES)
        for _ in range(size):
            born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
            person = f"{rng.choice(_FAMILY)}{rng.choice(' 　')}{rng.choice(_GIVEN)}"
            postal = f"{rng.randrange(1, 1000):03d}-{rng.randrange(10000):04d}"
            address = (
                f"{rng.choice(_PREFS)}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番地{rng.randint(1, 20)}"
            )
            if excel_dates:
                start_cell: Any = dt_cell(starts, "yyyy/m/d h:mm")
                end_cell: Any = dt_cell(ends, "yyyy/m/d h:mm")
                birth: Any = dt_cell(datetime.combine(born, datetime.min.time()), "yyyy/m/d")
            else:
                start_cell = (
                    f"{starts.year}年{starts.month}月{starts.day}日 {starts.hour}:{starts.minute:02d}"
                )
                end_cell = f"{ends.year}年{ends.month}月{ends.day}日 {ends.hour}:{ends.minute:02d}"
                birth = f"{born.year}/{born.month}/{born.day}"
            sheet.append(
                [
                    f"EVT-{activity:05d}",
                    name,
                    start_cell,
                    end_cell,
                    place,
                    "先着30名" if activity % 3 == 0 else None,
                    person,
                    postal,
                    address,
                    birth,
                    rng.choice(_GENDERS),
                ]
            )
            written += 1
    workbook.save(path)
    import zipfile

    with zipfile.ZipFile(path) as archive:
        inflated = sum(i.file_size for i in archive.infolist())
        sheet_xml = max(i.file_size for i in archive.infolist())
    return {
        "rows": written,
        "activities": activity,
        "file_mb": path.stat().st_size / 1e6,
        "inflated_mb": inflated / 1e6,
        "largest_entry_mb": sheet_xml / 1e6,
    }


# ---------------------------------------------------------------------------------------------
# Workers: one measurement per fresh interpreter.


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _raw(data: bytes, reader: str) -> int:
    from furusato.imports.readers import iter_sheets

    count = 0
    for _, rows in iter_sheets(data, reader):  # type: ignore[arg-type]
        for _, values in rows:
            for _value in values:
                pass
            count += 1
        break
    return count


def _openpyxl_report(result: Any) -> bytes:
    """The report's cells (same texts, styles shared as the old writer did) with openpyxl
    write_only: the reference beside XlsxWriter."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment

    from furusato.imports.report import REPORT_COLUMNS, STATUS_LABELS, display_text

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("取込結果")
    proto = WriteOnlyCell(sheet, value="")
    proto.number_format = "@"
    proto.quotePrefix = True
    proto.alignment = Alignment(vertical="top")
    style = proto._style

    def text(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell._style = style
        return cell

    sheet.append(list(REPORT_COLUMNS))
    for row in result.rows:
        reason = row.reason() if row.issues else None
        out: list[Any] = [row.row, text(STATUS_LABELS[row.status]), text(reason) if reason else None]
        for value in row.parsed.cells:
            shown = display_text(value)
            out.append(None if shown is None else text(shown))
        sheet.append(out)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsxwriter_report(result: Any) -> bytes:
    """The report's cells with XlsxWriter (constant_memory, the same formats), as `build_report`
    wrote them before it wrote the sheet XML itself: the reference beside it."""
    import io

    from xlsxwriter import Workbook

    from furusato.imports.report import REPORT_COLUMNS, STATUS_LABELS, display_text

    out = io.BytesIO()
    workbook = Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    text = workbook.add_format({"num_format": "@", "quote_prefix": True, "valign": "top"})
    wrapped = workbook.add_format(
        {"num_format": "@", "quote_prefix": True, "valign": "top", "text_wrap": True}
    )
    bold, top = workbook.add_format({"bold": True}), workbook.add_format({"valign": "top"})
    fills = {
        "duplicate": workbook.add_format({"bg_color": "#FFF2CC", "pattern": 1, "valign": "top"}),
        "error": workbook.add_format({"bg_color": "#F8CBAD", "pattern": 1, "valign": "top"}),
    }
    sheet = workbook.add_worksheet("取込結果")
    sheet.freeze_panes(1, 3)
    for index, header in enumerate(REPORT_COLUMNS):
        sheet.write_string(0, index, header, bold)
    for number, row in enumerate(result.rows, 1):
        sheet.write_number(number, 0, row.row)
        sheet.write_string(number, 1, STATUS_LABELS[row.status], fills.get(row.status, top))
        if row.issues:
            sheet.write_string(number, 2, row.reason(), wrapped)
        for index, value in enumerate(row.parsed.cells, 3):
            shown = display_text(value)
            if shown is not None:
                sheet.write_string(number, index, shown, text)
    sheet.autofilter(0, 0, len(result.rows), len(REPORT_COLUMNS) - 1)
    workbook.close()
    return out.getvalue()


def _worker(mode: str, path: str) -> dict[str, Any]:
    # Import everything the measurement needs first: baseline RSS is interpreter + libraries.
    import openpyxl  # noqa: F401
    import python_calamine  # noqa: F401
    import xlsxwriter  # noqa: F401

    from furusato.imports.report import build_report
    from furusato.imports.rows import parse_xlsx
    from furusato.imports.safety import check_xlsx
    from furusato.imports.validate import validate

    now = datetime.fromisoformat(NOW)
    data = Path(path).read_bytes()
    baseline = _rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    extra: dict[str, Any] = {}
    if mode == "safety":
        check_xlsx(data)
        rows = 0
    elif mode.startswith("raw-"):
        rows = _raw(data, mode.removeprefix("raw-"))
    elif mode.startswith("full-"):
        from furusato.imports import analyse

        # check_xlsx, then parse_xlsx, then validate, in this process
        result = analyse(data, lg_code=LG_CODE, now=now, reader=mode.removeprefix("full-"))  # type: ignore[arg-type]
        rows = result.rows_total
        extra = result.summary()
    elif mode == "child-calamine":
        from furusato.imports import analyse

        result = analyse(data, lg_code=LG_CODE, now=now, isolated=True)
        rows = result.rows_total
        extra = result.summary()
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        extra["child_cpu_seconds"] = child.ru_utime + child.ru_stime
        extra["child_peak_mb"] = child.ru_maxrss / 1024
        extra["parent_cpu_seconds"] = time.process_time() - cpu_started
    elif mode.startswith("report"):
        result = validate(parse_xlsx(data, reader="calamine"), lg_code=LG_CODE, now=now)
        started, cpu_started = time.perf_counter(), time.process_time()  # only the report
        if mode == "report":
            report = build_report(result, committed=True)
        elif mode == "report-xlsxwriter":
            report = _xlsxwriter_report(result)
        else:
            report = _openpyxl_report(result)
        extra = {"report_mb": len(report) / 1e6}
        rows = result.rows_total
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = _rss_mb()
    if "child_peak_mb" in extra:  # two processes: the CPU of both counts, and the larger peak
        cpu += extra.pop("child_cpu_seconds")
        extra["parent_peak_mb"] = peak
        peak = max(peak, extra["child_peak_mb"])
    return {
        "mode": mode,
        "rows": rows,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": peak,
        "baseline_mb": baseline,
        **extra,
    }


def _run(mode: str, path: Path, root: Path = ROOT) -> dict[str, Any]:
    """One measurement in a fresh interpreter, with the code of the checkout at `root`."""
    python_path = os.pathsep.join((str(root / "layers" / "core" / "python"), str(root)))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": python_path}
    out = subprocess.run(
        [sys.executable, "-m", "bench.imports_parse", "--worker", mode, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=root,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# (mode, label, reader, slow): slow measurements (the reports, openpyxl) run --repeat-slow times.
MODES = (
    ("safety", "safety checks (check_xlsx)", "-", False),
    ("raw-openpyxl", "raw read", "openpyxl read_only", True),
    ("raw-calamine", "raw read", "python-calamine", False),
    ("full-openpyxl", "safety + parse + validate", "openpyxl read_only", True),
    ("full-calamine", "safety + parse + validate", "python-calamine", False),
    ("child-calamine", "the same in a limited child (as deployed)", "python-calamine", False),
    ("report", "report xlsx (build_report)", "sheet XML written directly", True),
    ("report-xlsxwriter", "report xlsx (same cells)", "XlsxWriter constant_memory", True),
    ("report-openpyxl", "report xlsx (same cells)", "openpyxl write_only", True),
)
# Measured in the --before checkout too: (mode there, label). Its `report-xlsxwriter` mode was
# its build_report.
BEFORE_MODES = (
    ("full-calamine", "BEFORE: safety + parse + validate"),
    ("child-calamine", "BEFORE: the same in a limited child (as deployed)"),
    ("report-xlsxwriter", "BEFORE: report xlsx (build_report)"),
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench imports_parse")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each fast measurement")
    parser.add_argument("--repeat-slow", type=int, default=1, help="runs of each openpyxl measurement")
    parser.add_argument("--before", type=Path, help="another checkout, measured in the same run")
    parser.add_argument(
        "--only",
        type=lambda text: text.split(","),
        default=None,
        metavar="MODE[,MODE]",
        help=f"only these, e.g. child-calamine,full-calamine (of: {', '.join(m[0] for m in MODES)})",
    )
    parser.add_argument("--file", type=Path, help="measure this xlsx instead of generating one")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(*args.worker)))
        return
    with tempfile.TemporaryDirectory(prefix="furusato-bench-") as tmp:
        if args.only and (unknown := set(args.only) - {m[0] for m in MODES}):
            raise SystemExit(f"unknown --only measurement(s): {', '.join(sorted(unknown))}")
        path = args.file or Path(tmp) / "backfill.xlsx"
        if args.file is None:
            started = time.perf_counter()
            info = generate(path, args.rows)
            print(
                f"Generated {info['rows']:,} rows ({info['activities']:,} activities) in "
                f"{time.perf_counter() - started:.1f} s: {info['file_mb']:.1f} MB xlsx, "
                f"{info['inflated_mb']:.1f} MB inflated (largest entry {info['largest_entry_mb']:.1f} MB)."
            )
        print(
            f"CPU: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
            f"load average {os.getloadavg()[0]:.1f} at start.\n"
        )
        # Each run is a fresh interpreter; the table shows the fastest run (the least disturbed
        # by other processes on a shared machine) and the median, and the worst peak memory.
        print(
            "| measurement | reader | rows | runs | seconds (best) | CPU s | rows/s (best) "
            "| rows/s (median) | peak RSS (MB) | baseline RSS (MB) |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        results: dict[str, dict[str, Any]] = {}
        before = dict(BEFORE_MODES) if args.before else {}
        plan: list[tuple[str, str, str, bool, Path]] = []
        for mode, label, reader, slow in MODES:
            if args.only and mode not in args.only:
                continue
            plan.append((mode, label, reader, slow, ROOT))
            if args.before and mode in before:  # right after the same measurement of this checkout
                plan.append((mode, before[mode], reader, slow, args.before))
        for mode, label, reader, slow, root in plan:
            runs = sorted(
                (_run(mode, path, root) for _ in range(args.repeat_slow if slow else args.repeat)),
                key=lambda r: r["seconds"],
            )
            if root != ROOT:
                mode = f"before-{mode}"
            median = runs[len(runs) // 2]
            run = runs[0] | {"peak_mb": max(r["peak_mb"] for r in runs), "median_seconds": median["seconds"]}
            seconds = run["seconds"]
            results[mode] = run
            rate = f"{run['rows'] / seconds:,.0f}" if run["rows"] else "-"
            median_rate = f"{run['rows'] / median['seconds']:,.0f}" if run["rows"] else "-"
            print(
                f"| {label} | {reader} | {run['rows']:,} | {len(runs)} | {seconds:.2f} | "
                f"{run['cpu_seconds']:.2f} | {rate} | {median_rate} | {run['peak_mb']:.0f} | "
                f"{run['baseline_mb']:.0f} |"
            )
    _verdicts(results, args.before is not None)


def _verdicts(results: dict[str, dict[str, Any]], before: bool) -> None:
    """The headline: the deployed path's median against the target, then the ratios of whatever
    else was measured (`--only` may have left some out)."""

    def speed(mode: str, seconds: str = "seconds") -> float:
        return float(results[mode]["rows"] / results[mode][seconds])

    def verdict(mode: str) -> str:
        run = results[mode]
        rate = speed(mode, "median_seconds")
        met = rate >= TARGET_ROWS_PER_S and run["peak_mb"] <= TARGET_PEAK_MB
        return (
            f"{'PASS' if met else 'FAIL'}: {rate:,.0f} rows/s median (target >= {TARGET_ROWS_PER_S:,}), "
            f"{speed(mode):,.0f} best, {run['rows'] / run['cpu_seconds']:,.0f} rows per CPU second, "
            f"peak {run['peak_mb']:.0f} MB (target <= {TARGET_PEAK_MB})"
        )

    print(f"\nLoad average {os.getloadavg()[0]:.1f} at the end.")
    if "child-calamine" in results:
        child = results["child-calamine"]
        print(
            f"AS DEPLOYED (analyse isolated=True: reading in the limited child, streamed to the parent "
            f"which checks, types and validates meanwhile) {verdict('child-calamine')}; child "
            f"{child['child_peak_mb']:.0f} MB, parent {child['parent_peak_mb']:.0f} MB; CPU s (best run): "
            f"child {child['cpu_seconds'] - child['parent_cpu_seconds']:.2f}, "
            f"parent {child['parent_cpu_seconds']:.2f}."
        )
    if "full-calamine" in results:
        print(f"One process (check, read, type, validate in turn): {verdict('full-calamine')}.")
    pairs = (
        ("raw-calamine", "raw-openpyxl", "calamine / openpyxl raw read"),
        ("full-calamine", "full-openpyxl", "calamine / openpyxl safety + parse + validate"),
        ("report", "report-xlsxwriter", "build_report / XlsxWriter"),
        ("report", "report-openpyxl", "build_report / openpyxl"),
    )
    for fast, slow, label in pairs:
        if fast in results and slow in results:
            print(f"{label}: {speed(fast) / speed(slow):.1f}x faster.")
    if "report" in results and "full-calamine" in results:
        report, full = results["report"], results["full-calamine"]
        print(
            f"Report / parse + validate: {report['median_seconds'] / full['median_seconds']:.2f}x in time, "
            f"{report['cpu_seconds'] / full['cpu_seconds']:.2f}x in CPU."
        )
    if before:
        for mode, _ in BEFORE_MODES:
            after_mode = "report" if mode.startswith("report") else mode
            if f"before-{mode}" not in results or after_mode not in results:
                continue
            then, after = results[f"before-{mode}"], results[after_mode]
            print(
                f"{mode}: before {then['rows'] / then['median_seconds']:,.0f} rows/s median, "
                f"{then['cpu_seconds']:.2f} CPU s, {then['peak_mb']:.0f} MB; after "
                f"{after['rows'] / after['median_seconds']:,.0f} rows/s median, "
                f"{after['cpu_seconds']:.2f} CPU s, {after['peak_mb']:.0f} MB "
                f"({then['cpu_seconds'] / after['cpu_seconds']:.2f}x less CPU)."
            )
    for mode in ("child-calamine", "full-calamine"):
        if mode in results:
            hidden = {"mode", "seconds", "median_seconds", "cpu_seconds", "peak_mb", "baseline_mb", "rows"}
            hidden |= {"child_peak_mb", "parent_peak_mb", "parent_cpu_seconds"}
            summary = {k: v for k, v in results[mode].items() if k not in hidden}
            print(f"Validation result of the generated file ({mode}): {summary}")
            break


if __name__ == "__main__":
    main(sys.argv[1:])
