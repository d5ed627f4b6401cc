"""The whole system on one machine: moto, the tables and buckets, the gateway, triggers, demo data.

Order matters: the process environment must point at moto before any handler is imported,
because handlers (and pynamodb models) read their settings once, at import.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from furusato import settings, topology
from infra.local.aws import MotoStack, base_environment, create_resources, start_moto
from infra.local.console import ConsoleSite, allow_console_origin
from infra.local.dispatch import S3Dispatcher
from infra.local.gateway import Gateway, GatewayServer
from infra.local.host import FunctionHost, start_fork_server
from infra.local.idp import LocalIdentityProvider
from infra.local.messages import Request
from infra.local.seed import Call, SeedReport, seed
from infra.local.streams import StreamDelivery
from infra.local.tokens import LocalIssuer
from infra.local.worker import configure_logging

log = logging.getLogger("infra.local")
HOST = "127.0.0.1"


class PortInUse(RuntimeError):
    pass


@dataclass
class LocalStack:
    base_url: str
    moto: MotoStack
    environment: dict[str, str]
    gateway: Gateway
    dispatcher: S3Dispatcher
    streams: StreamDelivery
    seed_report: SeedReport | None
    started_at: float
    server: GatewayServer | None = None

    @property
    def missing_functions(self) -> list[str]:
        return [fn.name for fn in topology.FUNCTIONS if not self.gateway.host.exists(fn.name)]

    def stop(self) -> None:
        self.streams.stop()
        self.dispatcher.stop()
        if self.server is not None:
            self.server.server_close()
        self.gateway.host.stop()
        self.moto.stop()


def in_process_call(gateway: Gateway) -> Call:
    def call(method: str, path: str, body: dict[str, Any] | None, token: str | None) -> tuple[int, Any]:
        headers = [("Host", gateway.base_url.split("//", 1)[1]), ("User-Agent", "furusato-local-seed")]
        data = b""
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers.append(("Content-Type", "application/json"))
        if token:
            headers.append(("Authorization", f"Bearer {token}"))
        response = gateway.handle(Request(method, path, headers, data))
        try:
            return response.status, response.json()
        except ValueError:
            return response.status, None

    return call


def ensure_free(port: int, what: str) -> None:
    with socket.socket() as sock:
        # As the servers themselves bind: connections in TIME_WAIT do not make a port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise PortInUse(f"{what} port {port} is already in use") from None


def start(port: int, moto_port: int | None = None, *, with_seed: bool = True) -> LocalStack:
    started_at = time.monotonic()
    moto_port = moto_port or port + 1
    # moto's server thread would hang on a busy port instead of failing: check both first.
    ensure_free(port, "gateway")
    ensure_free(moto_port, "moto")
    base_url = f"http://{HOST}:{port}"
    moto = start_moto(moto_port)
    identity_provider = LocalIdentityProvider(issuer=f"{base_url}/local/idp")
    environment = {
        **base_environment(moto.endpoint_url),
        **create_resources(moto.endpoint_url),
        **identity_provider.environment(),
        topology.PUBLIC_BASE_URL_VAR: base_url,
    }
    os.environ.update(environment)
    settings.settings.cache_clear()
    allow_console_origin(
        moto.endpoint_url, [environment[b.env_var] for b in topology.BUCKETS], origin=base_url
    )
    # Only now may handlers be imported: the fork server of the functions' instances loads them
    # (while the gateway is built), and each instance takes this environment with it.
    host = FunctionHost()
    start_fork_server(host.functions_dir)
    dispatcher = S3Dispatcher(moto.endpoint_url, environment, host.invoke, host.exists)
    streams = StreamDelivery(moto.endpoint_url, environment, host.invoke, host.exists)

    def after_write() -> None:
        dispatcher.poke()
        streams.poke()

    gateway = Gateway(
        base_url=base_url,
        issuer=LocalIssuer(base_url),
        host=host,
        after_write=after_write,
        identity_provider=identity_provider,
        drain_streams=lambda: streams.drain().as_dict(),
        console=ConsoleSite(storage_url=moto.endpoint_url),
    )
    report: SeedReport | None = None
    if with_seed:
        try:
            report = seed(in_process_call(gateway))
        except Exception as exc:
            # Demo data is a convenience: the stack still starts, and the banner says what failed.
            log.exception("seed failed")
            report = SeedReport(problems=[f"seed failed: {type(exc).__name__}"])
    stack = LocalStack(base_url, moto, environment, gateway, dispatcher, streams, report, started_at)
    stack.server = GatewayServer((HOST, port), gateway)
    dispatcher.start()
    streams.start()
    return stack


def banner(stack: LocalStack) -> str:
    url, moto = stack.base_url, stack.moto.endpoint_url
    main_table = stack.environment[topology.MAIN_TABLE.env_var]
    lines = [
        "",
        f"Furusato local stack ready in {time.monotonic() - stack.started_at:.1f}s",
        f"  API      {url}",
        f"  console  {url}/admin/   (管理画面; sign in with a government, a role and an organization)",
        f"  moto     {moto}   (aws --endpoint-url {moto} dynamodb scan --table-name {main_table})",
    ]
    if stack.missing_functions:
        lines.append(f"  not implemented yet (501): {', '.join(stack.missing_functions)}")
    if stack.seed_report is not None:
        lines += ["  " + line for line in stack.seed_report.summary().splitlines()]
    lines += [
        "",
        "Try:",
        f"  curl -s {url}/v1/local-governments",
        "",
        "Tokens (role: registrant | staff | operator; staff also lg_code and staff_role):",
        f"  TOKEN=$(curl -s -X POST {url}/local/token -H 'Content-Type: application/json' \\",
        '      -d \'{"sub": "me-1", "role": "registrant"}\' \\',
        "      | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')",
        f'  curl -s {url}/v1/me -H "Authorization: Bearer $TOKEN"',
        "",
        "Ctrl-C stops the stack (its data lives only in memory).",
        "",
    ]
    return "\n".join(lines)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    # `kill` / subprocess.terminate() stop the stack as cleanly as Ctrl-C.
    def raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_term = signal.signal(signal.SIGTERM, raise_interrupt)
    # A shell starts background jobs with SIGINT ignored; `kill -INT` should still stop the stack.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def run(port: int, moto_port: int | None = None, *, with_seed: bool = True) -> int:
    # The stack's own lines at INFO; moto's per-call access log and library chatter only when they warn.
    configure_logging()
    with _sigterm_as_interrupt():
        try:
            stack = start(port, moto_port, with_seed=with_seed)
        except PortInUse as exc:
            log.error("%s (choose others with --port / --moto-port)", exc)
            return 2
        except KeyboardInterrupt:
            return 130
        try:
            print(banner(stack), flush=True)
            assert stack.server is not None
            stack.server.serve_forever()
        except KeyboardInterrupt:
            print("\nstopping the local stack", flush=True)
        finally:
            stack.stop()
    return 0
