"""One instance of a function: the worker process the local stack runs a handler in.

Like a Lambda execution environment it has its own module state: it imports the handler once
(the cold start), then handles one event at a time for as long as it is kept warm. It talks to
the stack over a pipe (`infra/local/host.py` is the other end): the stack sends each event as
JSON with the business clock's state and the invocation's deadline, and gets back the result as
JSON or the error's summary (type and frames: never its message, which may quote personal data),
with the events of any asynchronous invocations of itself it made.

Workers are forked from multiprocessing's fork server, which imports this module first: the
libraries below are then loaded once for every instance instead of once per cold start. Nothing
here reads the environment at import; each worker takes the stack's environment when it starts.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import signal
import sys
import time
import warnings
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# The heavy libraries every handler imports, loaded once in the fork server.
import aws_lambda_powertools.event_handler
import aws_lambda_powertools.logging
import aws_lambda_powertools.metrics  # noqa: F401
import boto3  # noqa: F401
import botocore.client  # noqa: F401
import pynamodb.models
import pynamodb.transactions  # noqa: F401

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Set by the stack: the functions directory whose handlers the fork server imports up front.
PRELOAD_ENV = "FURUSATO_LOCAL_PRELOAD_DIR"


def configure_logging() -> None:
    """The stack's log settings, in the stack and in every worker: WARNING and above from the
    libraries, and none of Powertools' per-invocation warning that metrics are empty (they are
    disabled locally anyway)."""
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    logging.getLogger("infra.local").setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def load_handler(name: str, path: Path) -> Any:
    """The handler module, loaded by file path under a name of its own (or as the fork server
    loaded it already)."""
    module_name = f"furusato_local_fn_{name}"
    loaded = sys.modules.get(module_name)
    if loaded is not None and getattr(loaded, "__file__", None) == str(path):
        return loaded
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def serve(conn: Connection, name: str, path: str, environment: dict[str, str]) -> None:
    """The worker's life: take the environment, import the handler, then invoke it per message
    until the stack closes the pipe or sends None."""
    # Ctrl-C reaches the whole process group; the stack stops its instances itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(environment)
    # Log lines reach the stack's log as they are written, even if the instance is killed.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    configure_logging()
    # Only now (settings are read once, from the environment) may the project's modules load.
    from furusato import clock
    from furusato.api.errors import error_summary
    from infra.local.context import LambdaContext

    try:
        module = load_handler(name, Path(path))
        handler = module.lambda_handler
    except Exception as exc:
        conn.send(("init_error", error_summary(exc)))
        return
    # A function that hands a long run on to a new asynchronous invocation of itself (a
    # module-level `invoker(function_arn, event, ...)`, Lambda's Invoke in AWS) gets one that
    # hands the event back to the stack, which invokes it once this invocation has returned.
    later: list[Any] = []
    if hasattr(module, "invoker"):
        module.invoker = lambda _function_arn, event, *_rest: later.append(event)
    conn.send(("ready", None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the stack is gone
        if message is None:
            return
        function_name, memory_mb, payload, frozen, deadline = message
        # The business clock is the stack's: frozen there, frozen here, at the same instant.
        if frozen is None:
            clock.unfreeze()
        else:
            clock.freeze(datetime.fromisoformat(frozen))
        context = LambdaContext(
            function_name, memory_mb=memory_mb, timeout_s=max(0.0, deadline - time.monotonic())
        )
        later.clear()
        try:
            result = handler(json.loads(payload), context)
            reply: tuple[str, Any, list[Any]] = ("ok", json.dumps(result), list(later))
        except Exception as exc:
            # Lambda reports the error and keeps the instance warm.
            reply = ("error", error_summary(exc), list(later))
        conn.send(reply)
