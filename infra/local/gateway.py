"""The local API Gateway: routes from the topology, REST proxy events, Cognito authorizers.

Each request is matched against every route of every function in `topology.FUNCTIONS`, checked by
the authorizer of its pool, turned into the event API Gateway (REST, Lambda proxy integration)
would send, and handed to that function's real `lambda_handler` (`functions/<name>/handler.py`),
run by the host in an instance of its own (`infra/local/host.py`). The routes of
`topology.LOCAL_ROUTES` are served by `infra/local/control.py`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from moto.core import DEFAULT_ACCOUNT_ID

from furusato import topology
from furusato.api.errors import error_summary
from infra.local.console import ConsoleSite, is_console_path
from infra.local.control import LocalControl
from infra.local.host import FunctionHost, FunctionMissing, failure_summary
from infra.local.idp import LocalIdentityProvider
from infra.local.messages import Headers, HttpResponse, Request, error_response
from infra.local.tokens import POOL_OF_AUTH, LocalIssuer, Unauthenticated, authorizer_claims, bearer_token

log = logging.getLogger("infra.local")

REPO_ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = REPO_ROOT / "infra" / "web"
# The headers API Gateway adds to the static pages (infra/cdk/api.py), so both behave alike.
STATIC_PAGE_HEADERS: Headers = [
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "public, max-age=300"),
]
STAGE = "local"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_PARAM = re.compile(r"^\{([A-Za-z0-9_]+)(\+?)\}$")


# --- routing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What serves a route: a function of the topology, or one of the local-only routes."""

    route: topology.Route
    function: topology.Function | None  # None for LOCAL_ROUTES


@dataclass(frozen=True)
class Resource:
    """An API Gateway resource: one path template with its methods."""

    template: str
    segments: tuple[str, ...]
    methods: dict[str, Target]

    def match(self, segments: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for i, part in enumerate(self.segments):
            m = _PARAM.match(part)
            if m and m.group(2):  # greedy {proxy+}: the rest of the path
                if i >= len(segments):
                    return None
                params[m.group(1)] = "/".join(unquote(s) for s in segments[i:])
                return params
            if i >= len(segments):
                return None
            if m:
                if not segments[i]:
                    return None
                params[m.group(1)] = unquote(segments[i])
            elif part != segments[i]:
                return None
        return params if len(segments) == len(self.segments) else None

    @property
    def specificity(self) -> tuple[int, ...]:
        # API Gateway prefers a literal segment to a parameter at the same depth.
        return tuple(1 if _PARAM.match(s) else 0 for s in self.segments)


def _split(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/")] if path.strip("/") else []


class Router:
    def __init__(self, targets: Iterable[Target]) -> None:
        by_template: dict[str, dict[str, Target]] = {}
        for target in targets:
            methods = by_template.setdefault(target.route.path, {})
            if target.route.method in methods:
                raise ValueError(f"route declared twice: {target.route.method} {target.route.path}")
            methods[target.route.method] = target
        self.resources = [Resource(t, tuple(_split(t)), m) for t, m in by_template.items()]

    def resolve(self, raw_path: str) -> tuple[Resource, dict[str, str]] | None:
        segments = _split(raw_path)
        matches = [(r, p) for r in self.resources if (p := r.match(segments)) is not None]
        if not matches:
            return None
        return min(matches, key=lambda rp: rp[0].specificity)


def topology_targets() -> list[Target]:
    targets = [Target(route, fn) for fn, route in topology.all_routes()]
    targets += [Target(route, None) for route in topology.LOCAL_ROUTES]
    return targets


# --- the gateway ---------------------------------------------------------------------------


def build_event(
    request: Request,
    route: topology.Route,
    params: dict[str, str],
    claims: dict[str, str] | None,
    *,
    base_url: str = "http://127.0.0.1",
) -> dict[str, Any]:
    """The Lambda proxy event of a REST API, as API Gateway sends it (also the in-process test
    client's: tests/support/lambda_api.py)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    host = request.header("Host") or urlsplit(base_url).netloc
    port = host.rsplit(":", 1)[1] if ":" in host else "80"
    added = [
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", port),
        ("X-Forwarded-Proto", "http"),
    ]
    for name, value in [*request.headers, *added]:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    # Bytes that are not UTF-8 reach the handler as they are (lone surrogates), for it to refuse.
    for name, value in parse_qsl(request.query, keep_blank_values=True, errors="surrogatepass"):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    body: str | None = None
    is_base64 = False
    if request.body:
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            body, is_base64 = base64.b64encode(request.body).decode(), True
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    context: dict[str, Any] = {
        "accountId": DEFAULT_ACCOUNT_ID,
        "apiId": "local",
        "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, route.path).hex[:6],
        "resourcePath": route.path,
        "httpMethod": request.method,
        "extendedRequestId": request_id,
        "requestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "path": f"/{STAGE}{request.path}",
        "protocol": "HTTP/1.1",
        "stage": STAGE,
        "domainName": host,
        "domainPrefix": host.split(".")[0].split(":")[0],
        "identity": {
            "sourceIp": request.source_ip,
            "userAgent": request.header("User-Agent"),
            "accessKey": None,
            "accountId": None,
            "apiKey": None,
            "apiKeyId": None,
            "caller": None,
            "clientCert": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "user": None,
            "userArn": None,
        },
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


class Gateway:
    def __init__(
        self,
        *,
        base_url: str,
        issuer: LocalIssuer,
        host: FunctionHost | None = None,
        after_write: Callable[[], None] | None = None,
        identity_provider: LocalIdentityProvider | None = None,
        drain_streams: Callable[[], dict[str, int]] | None = None,
        console: ConsoleSite | None = None,
    ) -> None:
        # The municipal console's static app under /admin (served before the API's routes).
        self.console = console
        self.base_url = base_url.rstrip("/")
        self.issuer = issuer
        self.host = host or FunctionHost()
        self.router = Router(topology_targets())
        self.static_pages = {page.path: page for page in topology.STATIC_PAGES}
        # Called after each request that may have written to a bucket or a table (S3 dispatch and
        # stream delivery wake up).
        self.after_write = after_write
        self.control = LocalControl(
            issuer=issuer, host=self.host, identity_provider=identity_provider, drain_streams=drain_streams
        )

    # The one entry point, used by the HTTP server and, in-process, by the seed.
    def handle(self, request: Request) -> HttpResponse:
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return error_response(413, "PAYLOAD_TOO_LARGE", "request body over 10 MB")
        page = self.static_pages.get(request.path)
        if page is not None and request.method == "GET":
            body = (WEB_DIR / page.file).read_bytes()
            return HttpResponse(200, [("Content-Type", page.content_type), *STATIC_PAGE_HEADERS], body)
        if self.console is not None and is_console_path(request.path):
            return self.console.serve(request)
        found = self.router.resolve(request.path)
        if found is None:
            return error_response(404, "NOT_FOUND", "no such route")
        resource, params = found
        target = resource.methods.get(request.method)
        if target is None:
            allowed = ", ".join(sorted(resource.methods))
            return error_response(
                405, "METHOD_NOT_ALLOWED", "method not allowed", headers=[("Allow", allowed)]
            )
        if target.function is None:
            local = self.control.routes.get((target.route.method, target.route.path))
            if local is None:
                return error_response(501, "NOT_IMPLEMENTED", "local route not implemented")
            return local(request, params)
        claims: dict[str, str] | None = None
        pool = POOL_OF_AUTH.get(target.route.auth)
        if pool is not None:
            try:
                token = bearer_token(request.header("Authorization"))
                claims = authorizer_claims(self.issuer.verify(token, pool))
            except Unauthenticated as exc:
                return error_response(401, "UNAUTHENTICATED", str(exc))
        event = build_event(request, target.route, params, claims, base_url=self.base_url)
        response = self._invoke_api(target.function, event)
        writes = target.function.buckets or target.function.tables
        # A refused request changes nothing (the contract), so only accepted writes wake the
        # triggers at once; the triggers' own interval still picks up anything else.
        accepted = response.status < 400
        if request.method not in ("GET", "HEAD", "OPTIONS") and accepted and writes and self.after_write:
            self.after_write()
        return response

    def _invoke_api(self, fn: topology.Function, event: dict[str, Any]) -> HttpResponse:
        request_id = event["requestContext"]["requestId"]
        trace = [("x-amzn-RequestId", request_id)]
        try:
            result = self.host.invoke(fn, event)
        except FunctionMissing:
            return error_response(
                501, "NOT_IMPLEMENTED", f"function {fn.name} is not implemented yet", headers=trace
            )
        except Exception as exc:
            # As API Gateway does when the Lambda fails: 502, and the error in the function's log
            # (its type and frames: never its message, which may quote personal data).
            log.error("function %s failed: %s", fn.name, json.dumps(failure_summary(exc)))
            return error_response(502, "INTERNAL", "Internal server error", headers=trace)
        try:
            accept = next((v for k, v in (event["headers"] or {}).items() if k.lower() == "accept"), None)
            return _proxy_response(result, trace, accept=accept)
        except (TypeError, ValueError, KeyError, binascii.Error):
            log.error("function %s returned a malformed proxy response", fn.name)
            return error_response(502, "INTERNAL", "Internal server error", headers=trace)


def binary_accepted(accept: str | None) -> bool:
    """API Gateway's rule: a base64 proxy body becomes bytes only when the first media type of
    `Accept` is one of the API's binary media types."""
    first = (accept or "").split(",")[0].split(";")[0].strip().lower()
    return first in topology.BINARY_MEDIA_TYPES


def _proxy_response(result: Any, extra_headers: Headers, *, accept: str | None = None) -> HttpResponse:
    """Turn a Lambda proxy result into the HTTP response API Gateway would send."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError("statusCode missing")
    headers: Headers = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        single = {k.lower() for k, _ in headers}
        if name.lower() in single:
            # API Gateway: a header in both maps takes the multi-value list.
            headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
        headers.extend((str(name), str(v)) for v in values)
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise TypeError("body must be a string")
    elif result.get("isBase64Encoded"):
        base64.b64decode(body, validate=True)  # API Gateway refuses a malformed body either way
        data = base64.b64decode(body) if binary_accepted(accept) else body.encode("ascii")
    else:
        data = body.encode("utf-8")
    if not any(name.lower() == "content-type" for name, _ in headers):
        # API Gateway's default for a proxy response that names no type.
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(result["statusCode"], headers + extra_headers, data)


# --- HTTP ----------------------------------------------------------------------------------

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"})


class _RequestHandler(BaseHTTPRequestHandler):
    server: GatewayServer
    protocol_version = "HTTP/1.1"
    server_version = "furusato-local"
    # TCP_NODELAY: headers and body leave in two writes, and on a kept-alive connection Nagle's
    # algorithm held the body until the client's delayed ACK, adding ~40 ms to every answer.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        started = time.perf_counter()
        path_only = urlsplit(self.path).path
        try:
            body = self._read_body()
        except ValueError:
            response = error_response(400, "VALIDATION_ERROR", "unreadable request body")
        else:
            if body is None:
                response = error_response(413, "PAYLOAD_TOO_LARGE", "request body over 10 MB")
            else:
                request = Request(
                    self.command, self.path, list(self.headers.items()), body, self.client_address[0]
                )
                try:
                    response = self.server.gateway.handle(request)
                except Exception as exc:
                    log.error("gateway error: %s", json.dumps(error_summary(exc)))
                    response = error_response(500, "INTERNAL", "local gateway error")
        self._write(response)
        # Method, path (no query: it may hold search terms), status and time: never bodies or tokens.
        log.info(
            "%s %s %d %.1fms",
            self.command,
            path_only,
            response.status,
            (time.perf_counter() - started) * 1000,
        )

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_PAYLOAD_BYTES:
                    self.close_connection = True
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, response: HttpResponse) -> None:
        try:
            self.send_response(
                response.status, HTTPStatus(response.status).phrase if _known(response.status) else ""
            )
            for name, value in response.headers:
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD" and response.body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        # The default logs the request line with its query string; `_serve` logs instead.
        pass


def _known(status: int) -> bool:
    try:
        HTTPStatus(status)
    except ValueError:
        return False
    return True


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a burst of 16 clients got "Connection reset by
    # peer". Every accepted connection gets its own thread.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__(address, _RequestHandler)
