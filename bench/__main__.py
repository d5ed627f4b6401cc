"""Run benchmarks: `python -m bench` runs all, `python -m bench coldstart registration` some.

Each benchmark is a module of this package with a `main(argv)` function."""

from __future__ import annotations

import importlib
import sys

ALL = ("coldstart", "registration", "checkin", "imports_parse", "support", "feed")


def main() -> None:
    names = [a for a in sys.argv[1:] if not a.startswith("-")] or list(ALL)
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            print(f"(no benchmark named {name})")
            continue
        print(f"\n## {name}\n")
        module.main([])


if __name__ == "__main__":
    main()
