"""Imported by the fork server only, when the local stack starts it (with the functions'
environment in place): every handler of the functions directory, loaded once, so that a new
instance starts as a fork of an initialised module, its cold start a fraction of a second.

A handler that fails to import is left out; its instances import it themselves and report the
error on each event, as before.
"""

from __future__ import annotations

import os
from pathlib import Path

from infra.local.worker import PRELOAD_ENV, load_handler


def _preload() -> None:
    root = os.environ.get(PRELOAD_ENV)
    if not root:
        return
    for path in sorted(Path(root).glob("*/handler.py")):
        try:
            load_handler(path.parent.name, path)
        except Exception:  # noqa: S112 - the instance imports it again and reports why
            continue


_preload()
