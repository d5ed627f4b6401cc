"""`python -m infra.local --port 8000`: the whole system on this machine (what `make run` runs)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import NoReturn

from infra.local.stack import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="API port")
    parser.add_argument("--moto-port", type=int, default=None, help="moto server port (default: port + 1)")
    parser.add_argument("--no-seed", action="store_true", help="start empty, without the demo governments")
    args = parser.parse_args(argv)
    return run(args.port, args.moto_port, with_seed=not args.no_seed)


def exit_now(code: int) -> NoReturn:
    """Leave once the servers have stopped, skipping the teardown of moto's in-memory state object
    by object, which takes seconds at interpreter exit."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
