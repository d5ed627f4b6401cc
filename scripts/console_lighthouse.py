"""Lighthouse (npm `lighthouse`, pinned here and run through npx) on the console's activities,
backfill and statistics pages, against the local stack with demo data (`make console-lighthouse`).

Not a dependency of the console's package.json: the tests do not need it, and its dependency
tree (puppeteer, a `latest` tag inside it) would make `npm ci` of the console slow and brittle.

Desktop preset (clerks work at 1280x800), Debian's Chromium from CHROME_PATH. Prints one line per
page with the performance, accessibility and best-practices scores, and the first load's
compressed JavaScript, for docs/benchmarks.md.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.console_demo import CHROMIUM_ARGS, HIDA, demo_stack

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ["npx", "--yes", "lighthouse@12.8.2"]  # 12.x runs on Node 20 (13.x wants Node 22)
PAGES = {"activities": "/activities", "backfill": "/imports", "statistics": "/stats"}


def first_load_js() -> tuple[int, int]:
    """Bytes of the JavaScript index.html loads (raw, gzip -9), without the lazy chunks."""
    dist = ROOT / "console" / "dist"
    html = (dist / "index.html").read_text()
    scripts = re.findall(r'src="/admin/(assets/[^"]+\.js)"', html)
    scripts += re.findall(r'href="/admin/(assets/[^"]+\.js)"', html)  # modulepreload
    raw = b"".join((dist / s).read_bytes() for s in scripts)
    return len(raw), len(gzip.compress(raw, 9))


def main() -> int:
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    out = Path(tempfile.mkdtemp(prefix="furusato-lighthouse-"))
    raw, compressed = first_load_js()
    print(f"first load JavaScript: {raw / 1024:.1f} KB raw, {compressed / 1024:.1f} KB gzip")
    with demo_stack() as demo:
        for name, path in PAGES.items():
            report = out / f"{name}.json"
            url = f"{demo.base_url}/admin{path}#local-sign-in={HIDA}:admin"
            subprocess.run(
                [
                    *LIGHTHOUSE,
                    url,
                    "--quiet",
                    "--preset=desktop",
                    "--only-categories=performance,accessibility,best-practices",
                    "--output=json",
                    f"--output-path={report}",
                    f"--chrome-flags={' '.join(CHROMIUM_ARGS)}",
                ],
                check=True,
                env={**os.environ, "CHROME_PATH": chrome},
                timeout=300,
            )
            result = json.loads(report.read_text())
            scores = {k: round(v["score"] * 100) for k, v in result["categories"].items()}
            failed = [
                a["id"]
                for a in result["audits"].values()
                if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"
            ]
            figures = "  ".join(
                f"{k} {scores[k]:>3}" for k in ("performance", "accessibility", "best-practices")
            )
            print(f"{name:<11} {figures}  (failed audits: {', '.join(failed) or 'none'})")
    print(f"reports: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
