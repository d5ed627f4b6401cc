"""Build the two Lambda layers without Docker.

Installs the pinned runtime dependencies from `layers/deps/requirements.txt` as manylinux
aarch64 / CPython 3.11 wheels into `build/layers/deps/python`, the directory the CDK app ships
as the dependency layer (`Code.from_asset`, no bundling), and copies the `furusato` package into
`build/layers/core/python`.

Both layers ship byte code compiled with `--invalidation-mode unchecked-hash`: /opt is read-only
in Lambda, so without it every cold start would compile every module again. Byte code is only
valid for the interpreter's minor version, which is why the runtime is python3.11 (this
machine's Python): a build on another minor version ships sources only and says so.

The dependency build is skipped when neither the requirements nor the build parameters changed
since the last build: a stamp file in `build/` holds their hash.

What the Lambda runtime already provides (boto3, botocore and their own dependencies) is pruned
from the layer, as are `__pycache__`, tests and console scripts, to keep the layer small.

    python scripts/build_deps_layer.py           # build if needed
    python scripts/build_deps_layer.py --force   # rebuild
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "layers" / "deps" / "requirements.txt"
LAYER_DIR = ROOT / "build" / "layers" / "deps"
TARGET = LAYER_DIR / "python"
# Outside the layer directory, so the stamp never changes the asset's hash.
STAMP = ROOT / "build" / "layers" / "deps.stamp"

# Must match the runtime and architecture in infra/cdk/functions.py and infra/cdk/layers.py.
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.11"
IMPLEMENTATION = "cp"

# Distributions the Lambda Python runtime ships (boto3 and what it depends on). Keeping them out
# of the layer avoids shadowing the runtime's copies and saves ~25 MB.
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)
# Directory names never needed at run time.
PRUNE_DIRS = frozenset({"tests", "test"})
# Bump to force a rebuild when the build procedure itself changes.
BUILD_VERSION = "2"
CORE_SOURCE = ROOT / "layers" / "core" / "python" / "furusato"
CORE_TARGET = ROOT / "build" / "layers" / "core" / "python"


def pip_command(target: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--platform",
        PLATFORM,
        "--implementation",
        IMPLEMENTATION,
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--target",
        str(target),
        "-r",
        str(REQUIREMENTS),
    ]


def build_hash() -> str:
    digest = hashlib.sha256()
    digest.update(REQUIREMENTS.read_bytes())
    for part in (PLATFORM, IMPLEMENTATION, PYTHON_VERSION, BUILD_VERSION, *sorted(RUNTIME_PROVIDED)):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


def is_up_to_date(expected: str) -> bool:
    if not TARGET.is_dir() or not STAMP.is_file():
        return False
    return STAMP.read_text().strip() == expected


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def prune_runtime_provided(site: Path) -> list[str]:
    """Remove the distributions the runtime provides, file by file from their RECORD."""
    removed: list[str] = []
    for dist_info in sorted(site.glob("*.dist-info")):
        metadata = dist_info / "METADATA"
        if not metadata.is_file():
            continue
        name = email.parser.Parser().parsestr(metadata.read_text(encoding="utf-8"), headersonly=True)["Name"]
        if not name or canonical(name) not in RUNTIME_PROVIDED:
            continue
        record = dist_info / "RECORD"
        top_dirs: set[Path] = set()
        if record.is_file():
            for line in record.read_text(encoding="utf-8").splitlines():
                rel = line.split(",", 1)[0]
                if not rel:
                    continue
                path = (site / rel).resolve()
                if site.resolve() not in path.parents:
                    continue  # never touch anything outside the layer
                first = Path(rel).parts[0]
                if first != "..":
                    top_dirs.add(site / first)
                if path.is_file():
                    path.unlink()
        shutil.rmtree(dist_info, ignore_errors=True)
        # Remove the now-empty package directories (e.g. botocore/data/...).
        for top in top_dirs:
            if top.is_dir():
                for sub in sorted(top.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                    if sub.is_dir() and not any(sub.iterdir()):
                        sub.rmdir()
                if not any(top.iterdir()):
                    top.rmdir()
        removed.append(canonical(name))
    return removed


def prune_unneeded(site: Path) -> None:
    for path in sorted(site.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and path.name in PRUNE_DIRS and path.parent != site:
            # Only inside packages: a top-level distribution called "test(s)" is never ours.
            shutil.rmtree(path)
        elif path.is_file() and path.suffix in {".pyc", ".pyo"}:
            path.unlink()
        elif path.is_dir() and path.name == "__pycache__":
            shutil.rmtree(path)
    # Console scripts carry a shebang to this machine's interpreter: useless in Lambda.
    shutil.rmtree(site / "bin", ignore_errors=True)


def compile_bytecode(site: Path) -> bool:
    """Compile to byte code the runtime uses without checking sources (see the module doc)."""
    if sys.version_info[:2] != tuple(int(p) for p in PYTHON_VERSION.split(".")):
        print(
            f"warning: building on Python {sys.version_info.major}.{sys.version_info.minor}, not "
            f"{PYTHON_VERSION}: the layer ships without byte code (slower cold starts)",
            file=sys.stderr,
        )
        return False
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(site),
        ],
        check=True,
    )
    return True


def build_core() -> None:
    """Copy the runtime package (without tests' byproducts) and compile it. Cheap: always rebuilt."""
    shutil.rmtree(CORE_TARGET.parent, ignore_errors=True)
    shutil.copytree(
        CORE_SOURCE,
        CORE_TARGET / "furusato",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    compile_bytecode(CORE_TARGET)
    print(f"built {CORE_TARGET.relative_to(ROOT)}: {size_of(CORE_TARGET) / 1e6:.1f} MB")


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build(force: bool = False) -> int:
    build_core()
    expected = build_hash()
    if not force and is_up_to_date(expected):
        print(f"dependency layer up to date: {TARGET.relative_to(ROOT)}")
        return 0

    staging = LAYER_DIR.with_name("deps.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    site = staging / "python"
    site.mkdir(parents=True)
    print(f"building dependency layer ({PLATFORM}, cp{PYTHON_VERSION.replace('.', '')}) ...")
    result = subprocess.run(pip_command(site), check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        print("pip failed: the dependency layer was not built", file=sys.stderr)
        return result.returncode

    removed = prune_runtime_provided(site)
    prune_unneeded(site)
    compile_bytecode(site)

    STAMP.unlink(missing_ok=True)
    shutil.rmtree(LAYER_DIR, ignore_errors=True)
    staging.rename(LAYER_DIR)
    STAMP.write_text(expected + "\n")
    print(
        f"built {TARGET.relative_to(ROOT)}: {size_of(TARGET) / 1e6:.1f} MB"
        + (f" (pruned runtime-provided: {', '.join(removed)})" if removed else "")
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if the stamp matches")
    args = parser.parse_args(argv)
    return build(force=args.force)


if __name__ == "__main__":
    sys.exit(main())
