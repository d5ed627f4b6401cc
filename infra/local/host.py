"""The local stack's Lambda service: each function runs in instances of its own, as in AWS.

An instance is a worker process (`infra/local/worker.py`) with its own module state, as a Lambda
execution environment is: Powertools resolvers keep the current event on a module-level object,
so an instance handles one event at a time. A function gets a new instance (a cold start) when
an event arrives and every instance it has is busy, up to its concurrency
(`FURUSATO_LOCAL_CONCURRENCY`, 4 by default); beyond that, events wait for an instance to come
free (AWS would throttle at its concurrency limit; locally the limit only saves memory). A free
instance stays warm and takes the next event. Instances start lazily, so `make run` pays for the
functions it uses only.

An invocation fails, as in AWS, when the handler raises (the instance stays warm), when the
instance dies (`Runtime.ExitError`: a crash, or an abort in a native library, takes down the
instance and never the stack) or when it runs past the function's timeout (`Sandbox.Timedout`:
the instance is killed). Callers get `FunctionError`; the gateway answers 502.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from furusato import clock, topology
from furusato.api.errors import error_summary
from infra.local.worker import PRELOAD_ENV, serve

log = logging.getLogger("infra.local")

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
CONCURRENCY_ENV = "FURUSATO_LOCAL_CONCURRENCY"
DEFAULT_CONCURRENCY = 4
# How long a new instance may take to import its handler (Lambda's init phase has its own limit).
INIT_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 2.0

# Workers fork from one server process that has the handlers' libraries loaded already (and
# never re-imports the stack's own main module).
_context = multiprocessing.get_context("forkserver")
LIBRARIES = ["infra.local.worker"]
_context.set_forkserver_preload(LIBRARIES)


class FunctionMissing(Exception):
    pass


class FunctionError(Exception):
    """An invocation failed. `summary` says how: the error's type and frames (never its message),
    or Lambda's `Runtime.ExitError` / `Sandbox.Timedout`."""

    def __init__(self, function: str, summary: dict[str, Any], later: list[Any] | None = None) -> None:
        super().__init__(f"function {function} failed: {summary.get('error_type')}")
        self.summary = summary
        # Asynchronous invocations of itself the function made before it failed.
        self.later = later or []


def failure_summary(exc: BaseException) -> dict[str, Any]:
    """What the log says about a failed invocation: the worker's summary, or this process's."""
    return exc.summary if isinstance(exc, FunctionError) else error_summary(exc)


def concurrency_from_env() -> int:
    raw = os.environ.get(CONCURRENCY_ENV, "")
    if not raw:
        return DEFAULT_CONCURRENCY
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{CONCURRENCY_ENV} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def start_fork_server(functions_dir: Path | None = None) -> None:
    """Start the fork server now, in the background, rather than at the first event. With
    `functions_dir` (the process environment must be the functions' by then) it also imports
    every handler there, so that an instance starts as a fork of an initialised module."""
    if functions_dir is not None:
        os.environ[PRELOAD_ENV] = str(functions_dir)
        _context.set_forkserver_preload([*LIBRARIES, "infra.local.preload"])
    threading.Thread(
        target=multiprocessing.forkserver.ensure_running, name="fork-server", daemon=True
    ).start()


class Instance:
    """One worker process running one function's handler."""

    def __init__(self, name: str, process: BaseProcess, conn: Connection) -> None:
        self.name = name
        self.process = process
        self.conn = conn
        self.broken = False

    @classmethod
    def start(cls, name: str, path: Path) -> Instance:
        """A cold start: a new worker imports the handler. Raises FunctionError if it cannot."""
        parent_end, child_end = _context.Pipe()
        process = _context.Process(
            target=serve,
            args=(child_end, name, str(path), dict(os.environ)),
            name=f"furusato-{name}",
        )
        process.start()
        child_end.close()
        instance = cls(name, process, parent_end)
        kind, value, _ = instance._reply(INIT_TIMEOUT_S, "Sandbox.Timedout")
        if kind != "ready":
            instance.stop()
            raise FunctionError(name, value)
        return instance

    @property
    def alive(self) -> bool:
        return not self.broken and self.process.is_alive()

    def invoke(self, fn: topology.Function, event: dict[str, Any]) -> tuple[Any, list[Any]]:
        """Run one event within the function's timeout: JSON in, JSON out, and the events of the
        asynchronous invocations of itself it made."""
        deadline = time.monotonic() + fn.timeout_s
        frozen = clock.now().isoformat() if clock.is_frozen() else None
        message = (f"furusato-{fn.name}", fn.memory_mb, json.dumps(event), frozen, deadline)
        try:
            self.conn.send(message)
        except OSError:
            self.stop()
            raise FunctionError(self.name, _lambda_error("Runtime.ExitError")) from None
        kind, value, later = self._reply(fn.timeout_s, "Sandbox.Timedout")
        if kind == "ok":
            return json.loads(value), later
        raise FunctionError(self.name, value, later)

    def _reply(self, timeout_s: float, on_timeout: str) -> tuple[str, Any, list[Any]]:
        ready = wait([self.conn, self.process.sentinel], timeout_s)
        if self.conn in ready or self.conn.poll():
            try:
                kind, value, *rest = self.conn.recv()
                return str(kind), value, rest[0] if rest else []
            except (EOFError, OSError):
                pass
        if not ready:
            log.error("function %s: an instance ran past its timeout and was stopped", self.name)
            self.stop()
            return "error", _lambda_error(on_timeout), []
        self.stop()
        return "error", _lambda_error("Runtime.ExitError", exit_code=self.process.exitcode), []

    def stop(self) -> None:
        """Let the worker finish (it flushes its log), then make sure it is gone."""
        self.broken = True
        if self.process.is_alive():
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.process.join(STOP_TIMEOUT_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_TIMEOUT_S)
        self.conn.close()


def _lambda_error(error_type: str, **extra: Any) -> dict[str, Any]:
    return {"error_type": error_type, "caused_by": [], "frames": [], **extra}


class InstancePool:
    """A function's instances: warm ones are reused (the most recently used first, as Lambda
    does), new ones start while fewer than `concurrency` exist, and events wait beyond that."""

    def __init__(self, name: str, path: Path, concurrency: int) -> None:
        self.name = name
        self.path = path
        self.concurrency = concurrency
        self._cond = threading.Condition()
        self._idle: list[Instance] = []
        self._live: set[Instance] = set()
        self._starting = 0
        self._closed = False
        self.cold_starts = 0

    @property
    def size(self) -> int:
        with self._cond:
            return len(self._live)

    @contextmanager
    def instance(self) -> Iterator[Instance]:
        instance = self._acquire()
        try:
            yield instance
        finally:
            self._release(instance)

    def _acquire(self) -> Instance:
        with self._cond:
            while True:
                if self._closed:
                    raise FunctionError(self.name, _lambda_error("Runtime.Stopped"))
                if self._idle:
                    return self._idle.pop()
                if len(self._live) + self._starting < self.concurrency:
                    self._starting += 1
                    self.cold_starts += 1
                    break
                self._cond.wait()
        try:
            instance = Instance.start(self.name, self.path)
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._starting -= 1
            self._live.add(instance)
        return instance

    def _release(self, instance: Instance) -> None:
        with self._cond:
            keep = instance.alive and not self._closed
            if keep:
                self._idle.append(instance)
            else:
                self._live.discard(instance)
            self._cond.notify()
        if not keep:
            instance.stop()

    def close(self) -> None:
        """Stop every instance; an event still running fails."""
        with self._cond:
            self._closed = True
            instances = list(self._live)
            self._idle.clear()
            self._live.clear()
            self._cond.notify_all()
        for instance in instances:
            instance.stop()


class FunctionHost:
    """Invokes the functions of the topology, each in its pool of instances."""

    def __init__(self, functions_dir: Path = FUNCTIONS_DIR, *, concurrency: int | None = None) -> None:
        self.functions_dir = functions_dir
        self.concurrency = concurrency or concurrency_from_env()
        self._pools: dict[str, InstancePool] = {}
        self._lock = threading.Lock()

    def handler_path(self, name: str) -> Path:
        return self.functions_dir / name / "handler.py"

    def exists(self, name: str) -> bool:
        # Looked up on every event: a handler written while the stack runs is picked up.
        return self.handler_path(name).is_file()

    def pool(self, name: str) -> InstancePool:
        with self._lock:
            if name not in self._pools:
                self._pools[name] = InstancePool(name, self.handler_path(name), self.concurrency)
            return self._pools[name]

    def invoke(self, fn: topology.Function, event: dict[str, Any]) -> Any:
        """Run the handler as Lambda would: JSON in, JSON out. Raises FunctionMissing or
        FunctionError.

        Then run the asynchronous invocations it made of itself, each a new invocation; as in
        AWS their failures do not reach this caller (they are logged)."""
        if not self.exists(fn.name):
            raise FunctionMissing(fn.name)
        # Stream consumers run beside requests: the local DynamoDB keeps concurrent writes and
        # transactions consistent (moto_dynamodb.py).
        failure: FunctionError | None = None
        with self.pool(fn.name).instance() as instance:
            try:
                result, later = instance.invoke(fn, event)
            except FunctionError as exc:
                failure, later = exc, exc.later
        for next_event in later:
            try:
                self.invoke(fn, next_event)
            except Exception as exc:
                log.error("function %s failed: %s", fn.name, json.dumps(failure_summary(exc)))
        if failure is not None:
            raise failure
        return result

    def stop(self) -> None:
        with self._lock:
            pools = list(self._pools.values())
        for pool in pools:
            pool.close()
