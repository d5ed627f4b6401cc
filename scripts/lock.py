"""Lock every Python dependency with hashes, from `pyproject.toml` (`make lock`).

    requirements/run.txt          what `make run` installs: the runtime and the local stack
    requirements/dev.txt          what `make test` installs: all of the above and the dev tools
    layers/deps/requirements.txt  the Lambda dependency layer: the runtime, for aarch64 wheels

Each file pins every distribution, transitive ones included, with its hashes; installs use
`--require-hashes`. Edit `pyproject.toml`, then run this; never edit the lock files by hand
(`tests/unit/test_locks.py` checks them against `pyproject.toml`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.11"
# What the machines that run `make` are, and what the Lambda runtime is (infra/cdk/layers.py).
DEV_PLATFORM = "x86_64-manylinux_2_28"
LAMBDA_PLATFORM = "aarch64-manylinux_2_17"

LOCKS: dict[str, list[str]] = {
    "requirements/run.txt": ["--extra", "run", "--python-platform", DEV_PLATFORM],
    "requirements/dev.txt": ["--extra", "run", "--extra", "dev", "--python-platform", DEV_PLATFORM],
    "layers/deps/requirements.txt": ["--python-platform", LAMBDA_PLATFORM, "--only-binary", ":all:"],
}


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if not found:
        raise SystemExit("uv is missing: `make lock` installs it into .venv")
    return found


def main() -> int:
    for output, options in LOCKS.items():
        command = [
            uv(),
            "pip",
            "compile",
            "pyproject.toml",
            "--quiet",
            "--generate-hashes",
            "--python-version",
            PYTHON_VERSION,
            "--custom-compile-command",
            "make lock",
            "--output-file",
            output,
            *options,
        ]
        subprocess.run(command, cwd=ROOT, check=True)
        print(f"locked {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
