"""The local API Gateway: routes from the topology, REST proxy events, Cognito authorizers.

Each request is matched against every route of every function in `topology.FUNCTIONS`, checked by
the authorizer of its pool, turned into the event API Gateway (REST, Lambda proxy integration)
would send, and handed to that function's real `lambda_handler`, loaded from
`functions/<name>/handler.py`. The routes of `topology.LOCAL_ROUTES` are served here directly.
"""

from __future__ import annotations

import base64
import binascii
import importlib.util
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from moto.core import DEFAULT_ACCOUNT_ID

from furusato import clock, topology
from furusato.api.errors import error_summary
from infra.local.console import ConsoleSite, is_console_path
from infra.local.context import LambdaContext
from infra.local.idp import LocalIdentityProvider
from infra.local.idp import parse_request as parse_identity_request
from infra.local.tokens import (
    POOL_OF_AUTH,
    LocalIssuer,
    TokenRequest,
    TokenRequestError,
    Unauthenticated,
    authorizer_claims,
    bearer_token,
    parse_token_request,
)

log = logging.getLogger("infra.local")

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
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
Headers = list[tuple[str, str]]


@dataclass
class HttpResponse:
    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def json_response(status: int, body: Any, headers: Headers | None = None) -> HttpResponse:
    data = json.dumps(body, ensure_ascii=False).encode()
    return HttpResponse(status, [("Content-Type", "application/json"), *(headers or [])], data)


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Headers | None = None,
) -> HttpResponse:
    """An error in the contract's shape, for what the gateway itself refuses."""
    return json_response(
        status, {"error": {"code": code, "message": message, "details": details or {}}}, headers
    )


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


# --- functions -----------------------------------------------------------------------------


class FunctionMissing(Exception):
    pass


class Turns:
    """Shared turns for request handlers, an exclusive one for the stream consumers.

    moto is not safe for a transaction that runs while another thread writes the same table (it
    deep-copies the table to roll back, and a rollback puts back the copy, dropping writes made
    meanwhile). Requests ran side by side before stream delivery existed and still do; the
    stream function, which writes on its own in the background, waits for them and they for it.
    A waiting exclusive turn goes first, so a steady flow of requests cannot starve it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._exclusive and not self._waiting)
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not self._exclusive and not self._shared)
            self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class FunctionHost:
    """Loads each function's handler on first use and invokes it one event at a time.

    One lock per function stands for one warm Lambda instance: Powertools resolvers keep the
    current event on a module-level object, so two events must never run in one module at once.

    Where the local stack differs from AWS, it gives the handler its own way rather than the
    handler branching on the stage: a function that hands a long run on to a new asynchronous
    invocation of itself (a module-level `invoker(function_arn, event)`, Lambda's Invoke in AWS)
    gets one that queues the event here; it runs once the current invocation has returned.
    """

    def __init__(self, functions_dir: Path = FUNCTIONS_DIR) -> None:
        self.functions_dir = functions_dir
        self._modules: dict[str, ModuleType] = {}
        self._locks: dict[str, threading.Lock] = {fn.name: threading.Lock() for fn in topology.FUNCTIONS}
        self._load_lock = threading.Lock()
        self.turns = Turns()
        self._exclusive = {source.function for source in topology.STREAM_SOURCES}
        # Asynchronous self-invocations waiting for the current one to end, per function.
        self._later: dict[str, deque[dict[str, Any]]] = {fn.name: deque() for fn in topology.FUNCTIONS}

    def handler_path(self, name: str) -> Path:
        return self.functions_dir / name / "handler.py"

    def exists(self, name: str) -> bool:
        return name in self._modules or self.handler_path(name).is_file()

    def _load(self, name: str) -> ModuleType:
        with self._load_lock:
            if name in self._modules:
                return self._modules[name]
            path = self.handler_path(name)
            if not path.is_file():
                # Not cached: the function may be written while the stack runs.
                raise FunctionMissing(name)
            module_name = f"furusato_local_fn_{name}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                # A failed import is retried on the next request, as a new cold start would.
                sys.modules.pop(module_name, None)
                raise
            if hasattr(module, "invoker"):
                later = self._later[name]
                module.invoker = lambda _function_arn, event: later.append(event)  # type: ignore[attr-defined]
            self._modules[name] = module
            return module

    def invoke(self, fn: topology.Function, event: dict[str, Any], context: Any = None) -> Any:
        """Run the handler as Lambda would: JSON in, JSON out. Raises FunctionMissing.

        Then run the asynchronous invocations it started of itself, each with a fresh context;
        as in AWS their failures do not reach this caller (they are logged)."""
        module = self._load(fn.name)
        handler: Callable[[Any, Any], Any] = module.lambda_handler
        payload = json.loads(json.dumps(event))
        lock = self._locks.setdefault(fn.name, threading.Lock())
        turn = self.turns.exclusive() if fn.name in self._exclusive else self.turns.shared()
        with turn, lock:
            result = handler(payload, context or LambdaContext.of(fn))
        later = self._later.get(fn.name) or deque()
        while True:
            try:
                next_event = later.popleft()  # another thread may have taken it
            except IndexError:
                break
            try:
                self.invoke(fn, next_event)
            except Exception as exc:
                log.error("function %s failed: %s", fn.name, json.dumps(error_summary(exc)))
        return json.loads(json.dumps(result))


# --- the gateway ---------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    raw_path: str  # path and query as sent
    headers: Headers
    body: bytes = b""
    source_ip: str = "127.0.0.1"

    @property
    def path(self) -> str:
        return urlsplit(self.raw_path).path or "/"

    @property
    def query(self) -> str:
        return urlsplit(self.raw_path).query

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None


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
        self.identity_provider = identity_provider
        self.drain_streams = drain_streams
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
        self._local: dict[tuple[str, str], Callable[[Request, dict[str, str]], HttpResponse]] = {
            ("POST", "/local/token"): self._local_token,
            ("PUT", "/local/clock"): self._local_clock_freeze,
            ("DELETE", "/local/clock"): self._local_clock_restore,
            ("POST", "/local/sweeps/{name}"): self._local_sweep,
            ("POST", "/local/identity-assertion"): self._local_identity_assertion,
            ("POST", "/local/streams/drain"): self._local_streams_drain,
        }

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
            local = self._local.get((target.route.method, target.route.path))
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
        if request.method not in ("GET", "HEAD", "OPTIONS") and writes and self.after_write:
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
            log.error("function %s failed: %s", fn.name, json.dumps(error_summary(exc)))
            return error_response(502, "INTERNAL", "Internal server error", headers=trace)
        try:
            accept = next((v for k, v in (event["headers"] or {}).items() if k.lower() == "accept"), None)
            return _proxy_response(result, trace, accept=accept)
        except (TypeError, ValueError, KeyError, binascii.Error):
            log.error("function %s returned a malformed proxy response", fn.name)
            return error_response(502, "INTERNAL", "Internal server error", headers=trace)

    # --- local-only routes -----------------------------------------------------------------

    def _local_token(self, request: Request, _params: dict[str, str]) -> HttpResponse:
        try:
            token_request = parse_token_request(_json_body(request))
        except BadJson:
            return _bad_json()
        except TokenRequestError as exc:
            return error_response(400, "VALIDATION_ERROR", exc.message, exc.details)
        if token_request.role == "staff":
            refused = _sign_in_staff(token_request)
            if refused is not None:
                return refused
        return json_response(200, self.issuer.mint(token_request).to_dict())

    def _local_clock_freeze(self, request: Request, _params: dict[str, str]) -> HttpResponse:
        try:
            body = _json_body(request)
        except BadJson:
            return _bad_json()
        bad = {name: "unknown field" for name in body if name != "now"} if isinstance(body, dict) else {}
        raw = body.get("now") if isinstance(body, dict) else None
        instant: datetime | None = None
        if isinstance(raw, str):
            try:
                instant = datetime.fromisoformat(raw)
            except ValueError:
                instant = None
        if instant is None or instant.tzinfo is None:
            bad["now"] = "an ISO 8601 instant with its offset, e.g. 2026-05-01T10:00:00+09:00"
        if bad or instant is None:
            return error_response(400, "VALIDATION_ERROR", "invalid clock request", bad)
        clock.freeze(instant)
        return json_response(200, {"now": clock.iso(clock.now()), "frozen": True})

    def _local_identity_assertion(self, request: Request, _params: dict[str, str]) -> HttpResponse:
        if self.identity_provider is None:
            return error_response(501, "NOT_IMPLEMENTED", "no local identity provider")
        try:
            body = _json_body(request)
        except BadJson:
            return _bad_json()
        facts, bad = parse_identity_request(body)
        if bad:
            return error_response(400, "VALIDATION_ERROR", "invalid assertion request", bad)
        # Business time, so assertions made under a frozen clock are valid for it.
        return json_response(200, {"assertion": self.identity_provider.sign(facts, clock.now())})

    def _local_clock_restore(self, _request: Request, _params: dict[str, str]) -> HttpResponse:
        clock.unfreeze()
        return json_response(200, {"now": clock.iso(clock.now()), "frozen": False})

    def _local_sweep(self, _request: Request, params: dict[str, str]) -> HttpResponse:
        name = params["name"]
        schedule = next((s for s in topology.SCHEDULES if s.name == name), None)
        if schedule is None:
            return error_response(404, "NOT_FOUND", "no such schedule")
        fn = next((f for f in topology.FUNCTIONS if f.name == schedule.function), None)
        if fn is None:
            return error_response(501, "NOT_IMPLEMENTED", f"function {schedule.function} is not declared")
        # The payload the EventBridge Scheduler target sends; its time follows the local clock.
        scheduled_time = clock.iso(clock.now())
        try:
            result = self.host.invoke(fn, {"sweep": name, "scheduled_time": scheduled_time})
        except FunctionMissing:
            return error_response(501, "NOT_IMPLEMENTED", f"function {fn.name} is not implemented yet")
        except Exception as exc:
            log.error("function %s failed: %s", fn.name, json.dumps(error_summary(exc)))
            return error_response(502, "INTERNAL", "the sweep failed; see the stack's log")
        return json_response(200, {"sweep": name, "scheduled_time": scheduled_time, "result": result})

    def _local_streams_drain(self, _request: Request, _params: dict[str, str]) -> HttpResponse:
        if self.drain_streams is None:
            return error_response(501, "NOT_IMPLEMENTED", "no stream delivery in this stack")
        return json_response(200, self.drain_streams())


def _sign_in_staff(token_request: TokenRequest) -> HttpResponse | None:
    """Signing in as staff: the staff record the route guard checks. A new `sub` is enrolled
    with the requested government and role (what an operator or admin would have created); an
    existing account signs in only as it is, and a removed one not at all, as with Cognito."""
    from furusato.domain.staff import StaffMember
    from furusato.store import staff

    wanted = StaffMember(
        staff_id=token_request.sub,
        lg_code=token_request.lg_code or "",
        staff_role=token_request.staff_role or "",
        org_id=token_request.org_id,
        email=None,
        created_at=clock.iso(clock.now()),
        created_by="local-sign-in",
    )
    member = staff.create(wanted)
    if not member.active:
        return error_response(401, "UNAUTHENTICATED", "this staff account was removed")
    if not member.grants(lg_code=wanted.lg_code, staff_role=wanted.staff_role, org_id=wanted.org_id):
        return error_response(
            409,
            "STAFF_ALREADY_EXISTS",
            "this staff account exists with another government, role or organization",
            {"sub": f"{member.lg_code} {member.staff_role}"},
        )
    return None


class BadJson(ValueError):
    pass


def _json_body(request: Request) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadJson from None


def _bad_json() -> HttpResponse:
    return error_response(400, "VALIDATION_ERROR", "body is not valid JSON", {"body": "not valid JSON"})


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
