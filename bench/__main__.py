"""Run benchmarks: `python -m bench` runs all, `python -m bench coldstart registration` some,
and `python -m bench scale --sizes 10 exports --modes writer` passes each its own options (the
arguments after a benchmark's name, up to the next name).

Each benchmark is a module of this package with a `main(argv)` function. The full run includes
`scale` (both sides of the per-request costs, at 10 and 50,000 participants, 1,000 and 100,000
registrations, 200 and 1,800 governments: tens of minutes on a loaded machine) and `exports` in
its `writer` mode at its default sizes: its `job` and `inline` modes at 50,000 rows measure
moto's sorting of a whole index partition per page rather than the export, and do not finish
(see `docs/benchmarks.md`, "Roster export jobs"); ask for them by name."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ALL = ("coldstart", "registration", "checkin", "imports_parse", "support", "feed", "scale", "exports")
# Options a benchmark gets in the full run (by name, it gets only what is given after its name).
FULL_RUN_OPTIONS = {"exports": ["--modes", "writer"]}
HERE = Path(__file__).resolve().parent


def _is_benchmark(name: str) -> bool:
    return not name.startswith(("-", "_")) and (HERE / f"{name}.py").is_file()


def groups(argv: list[str]) -> list[tuple[str, list[str]]]:
    """(benchmark, its options) in the order given: a benchmark's options are the arguments
    after its name up to the next benchmark's name."""
    found: list[tuple[str, list[str]]] = []
    for arg in argv:
        if not found or _is_benchmark(arg):
            if arg.startswith("-"):
                raise SystemExit(f"{arg}: options follow the name of the benchmark they are for")
            found.append((arg, []))
        else:
            found[-1][1].append(arg)
    return found


def main() -> None:
    chosen = groups(sys.argv[1:]) or [(name, list(FULL_RUN_OPTIONS.get(name, []))) for name in ALL]
    for name, options in chosen:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            print(f"(no benchmark named {name})")
            continue
        print(f"\n## {name}\n")
        module.main(options)


if __name__ == "__main__":
    main()
