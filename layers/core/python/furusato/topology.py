"""The one declaration of the system's shape.

Functions with their routes, tables with their keys and indexes, buckets and schedules are
declared here once. `infra/cdk` builds the AWS resources from it and `infra/local` builds the
local stack from it, so the two cannot drift. Pure data: no boto3, no CDK. NamedTuples rather
than dataclasses: every function imports this module, and defining dataclasses costs cold start.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Auth = Literal["public", "registrant", "staff", "operator"]
# "append": PutItem only, never read, update or delete (the audit trail's writers).
Access = Literal["read", "write", "append"]


class Route(NamedTuple):
    method: str
    path: str  # API Gateway style: /v1/me/registrations/{lg_code}
    auth: Auth
    # A POST that only reads (starts an export of what the caller may read): viewers may use it.
    reads: bool = False

    @property
    def powertools_path(self) -> str:
        """The same path in Powertools' resolver syntax (`<lg_code>`)."""
        return self.path.replace("{", "<").replace("}", ">")


class Index(NamedTuple):
    name: str
    partition_key: str
    sort_key: str | None = None


class Table(NamedTuple):
    name: str  # logical name; the physical name comes from the environment
    env_var: str
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    stream: bool = False
    # Items are only ever added: the table's own policy denies updates and deletes to everyone.
    append_only: bool = False


class Bucket(NamedTuple):
    name: str
    env_var: str
    # Objects created under this prefix trigger `notify_function`.
    notify_prefix: str | None = None
    notify_function: str | None = None
    # Personal data in uploads and reports expires after this many days.
    expire_days: int | None = None


class Secret(NamedTuple):
    """A Secrets Manager secret holding a JSON document (e.g. the token signing keyring)."""

    name: str
    env_var: str
    description: str


class Schedule(NamedTuple):
    name: str
    function: str
    cron: str  # EventBridge Scheduler cron body, evaluated in `timezone`
    timezone: str = "Asia/Tokyo"


class StreamSource(NamedTuple):
    """A table's stream delivered to a function (docs/streams.md).

    Only changes of items whose `type` is in `item_types` are delivered: Lambda's event filter
    in AWS, the same filter in the local stack. Items the consumers write themselves (counters,
    markers) are not listed, so their own changes never come back to them.
    """

    table: str
    function: str
    item_types: tuple[str, ...]
    batch_size: int = 100
    # Attempts before a record goes to the failure queue (the stream keeps records 24 hours).
    retry_attempts: int = 10
    max_batching_window_s: int = 1


class Function(NamedTuple):
    name: str
    description: str
    routes: tuple[Route, ...] = ()
    tables: dict[str, Access] = {}  # noqa: RUF012 - a constant of the declaration
    buckets: dict[str, Access] = {}  # noqa: RUF012 - a constant of the declaration
    # Secrets the function may read (by Secret.name).
    secrets: tuple[str, ...] = ()
    memory_mb: int = 512
    timeout_s: int = 15
    # The one function holding Cognito admin rights: it creates and deletes staff users and
    # deletes a registrant's account.
    manages_staff: bool = False
    # Functions that check identity-provider assertions (they get its issuer, audience, JWKS URL).
    verifies_identity: bool = False
    # Partition key prefixes of the main table this function may touch, enforced in IAM with
    # dynamodb:LeadingKeys (such a function reads no index: an index's keys are not the table's).
    # Empty: the whole table, for the reasons in docs/security.md.
    main_key_prefixes: tuple[str, ...] = ()

    @property
    def handler(self) -> str:
        return "handler.lambda_handler"

    @property
    def source_dir(self) -> str:
        return f"functions/{self.name}"


MAIN_TABLE = Table(
    name="main",
    env_var="FURUSATO_MAIN_TABLE",
    partition_key="pk",
    sort_key="sk",
    indexes=(
        # Overloaded index: directory listing, registrations of a government, ...
        Index("gsi1", "gsi1pk", "gsi1sk"),
        # Overloaded index for the sweeps: items keyed by the day they fall due.
        Index("gsi2", "gsi2pk", "gsi2sk"),
    ),
    ttl_attribute="expires_at",
    stream=True,
)

IDEMPOTENCY_TABLE = Table(
    name="idempotency",
    env_var="FURUSATO_IDEMPOTENCY_TABLE",
    # id = the caller (CALLER#{sub}), sk = the request's hash: a person's records can be found
    # and deleted with their data.
    partition_key="id",
    sort_key="sk",
    ttl_attribute="expiration",
)

# The audit trail of staff access to personal data (rule 24): append-only. Functions that record
# get PutItem on it and nothing else; only the `admin` function reads it. No TTL, no stream.
AUDIT_TABLE = Table(
    name="audit",
    env_var="FURUSATO_AUDIT_TABLE",
    partition_key="pk",  # {lg_code}#{JST month}
    sort_key="sk",  # {at, JST ISO}#{random id}
    append_only=True,
)

TABLES: tuple[Table, ...] = (MAIN_TABLE, IDEMPOTENCY_TABLE, AUDIT_TABLE)

IMPORTS_BUCKET = Bucket(
    name="imports",
    env_var="FURUSATO_IMPORTS_BUCKET",
    notify_prefix="imports/",
    notify_function="imports",
    expire_days=90,
)

# People's documents (and other files): each object is checked by the notify function once
# stored (docs/uploads.md). No expiry: an attached document is kept with what it supports, and a
# person's files are deleted with their data.
UPLOADS_BUCKET = Bucket(
    name="uploads",
    env_var="FURUSATO_UPLOADS_BUCKET",
    notify_prefix="uploads/",
    notify_function="registration",
)

BUCKETS: tuple[Bucket, ...] = (IMPORTS_BUCKET, UPLOADS_BUCKET)

# Keyring for check-in and member tokens: {"active_kid": "k1", "k1": "<secret>", ...}.
# Rotation adds a key and moves active_kid; removing a kid revokes every token signed with it.
TOKEN_KEYS = Secret(
    name="token-keys",
    env_var="FURUSATO_TOKEN_KEYS_SECRET",
    description="HMAC keys (by key id) that sign QR check-in and member tokens",
)

SECRETS: tuple[Secret, ...] = (TOKEN_KEYS,)

_RW: dict[str, Access] = {"main": "write", "idempotency": "write"}
# Functions that serve staff reads or changes of personal data append to the audit trail.
_RW_AUDITED: dict[str, Access] = {**_RW, "audit": "append"}

FUNCTIONS: tuple[Function, ...] = (
    Function(
        name="registration",
        description="Directory, profiles, registrations, identity and premium decisions",
        routes=(
            Route("GET", "/health", "public"),
            Route("GET", "/v1/local-governments", "public"),
            Route("GET", "/v1/local-governments/{lg_code}", "public"),
            # Statistics: anonymous counters only (docs/statistics.md).
            Route("GET", "/v1/admin/lgs/{lg_code}/stats", "staff"),
            Route("GET", "/v1/operator/stats", "operator"),
            Route("GET", "/v1/me", "registrant"),
            Route("PUT", "/v1/me/profile", "registrant"),
            Route("GET", "/v1/me/registrations", "registrant"),
            Route("PUT", "/v1/me/registrations/{lg_code}", "registrant"),
            Route("DELETE", "/v1/me/registrations/{lg_code}", "registrant"),
            Route("POST", "/v1/me/identity-verifications", "registrant"),
            Route("POST", "/v1/me/identity-verifications/nonce", "registrant"),
            Route("GET", "/v1/me/notifications", "registrant"),
            Route("POST", "/v1/me/uploads", "registrant"),
            Route("GET", "/v1/admin/lgs/{lg_code}/settings", "staff"),
            Route("PUT", "/v1/admin/lgs/{lg_code}/settings", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/registrations", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/registrations/{registration_id}", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/registrations/{registration_id}/review", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/stays", "staff"),
        ),
        tables=_RW_AUDITED,
        # uploads: presigned POSTs, the check of stored files (and removal of refused ones),
        # short-lived reads of documents attached to registrations
        buckets={"uploads": "write"},
        verifies_identity=True,
    ),
    Function(
        name="checkin",
        description="Organizations, activities, QR check-in and participation history",
        routes=(
            Route("GET", "/v1/local-governments/{lg_code}/activities", "public"),
            Route("POST", "/v1/checkins", "registrant"),
            Route("GET", "/v1/me/participations", "registrant"),
            Route("GET", "/v1/me/card", "registrant"),
            Route("POST", "/v1/admin/lgs/{lg_code}/organizations", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/organizations", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/organizations/{org_id}", "staff"),
            Route("PATCH", "/v1/admin/lgs/{lg_code}/organizations/{org_id}", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/activities", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/activities", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/activities/{activity_id}", "staff"),
            Route("PATCH", "/v1/admin/lgs/{lg_code}/activities/{activity_id}", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/activities/{activity_id}/cancel", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/activities/{activity_id}/qr", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/activities/{activity_id}/live-token", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/activities/{activity_id}/checkins", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/activities/{activity_id}/participants", "staff"),
            Route(
                "POST",
                "/v1/admin/lgs/{lg_code}/activities/{activity_id}/participants/exports",
                "staff",
                reads=True,
            ),
            Route(
                "POST",
                "/v1/admin/lgs/{lg_code}/activities/{activity_id}/participants/{participation_id}/confirmation",
                "staff",
            ),
            Route(
                "GET",
                "/v1/admin/lgs/{lg_code}/activities/{activity_id}/participants/exports/{export_id}",
                "staff",
            ),
        ),
        tables=_RW_AUDITED,
        # Download links of roster exports (presigned GETs of exports/ in the imports bucket).
        buckets={"imports": "read"},
        secrets=("token-keys",),
    ),
    Function(
        name="content",
        description="Introduction pages, surveys, content and the feed, consultations",
        routes=(
            Route("GET", "/v1/admin/lgs/{lg_code}/page", "staff"),
            Route("PUT", "/v1/admin/lgs/{lg_code}/page", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/page/images", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/survey", "staff"),
            Route("PUT", "/v1/admin/lgs/{lg_code}/survey", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/contents", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/contents", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/contents/{content_id}", "staff"),
            Route("PATCH", "/v1/admin/lgs/{lg_code}/contents/{content_id}", "staff"),
            Route("DELETE", "/v1/admin/lgs/{lg_code}/contents/{content_id}", "staff"),
            Route("GET", "/v1/me/feed", "registrant"),
            Route("POST", "/v1/me/consultations", "registrant"),
            Route("GET", "/v1/me/consultations", "registrant"),
            Route("GET", "/v1/me/consultations/{consultation_id}", "registrant"),
            Route("POST", "/v1/me/consultations/{consultation_id}/messages", "registrant"),
            Route("GET", "/v1/admin/lgs/{lg_code}/consultations", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/consultations/{consultation_id}", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/consultations/{consultation_id}/messages", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/consultations/{consultation_id}/close", "staff"),
        ),
        tables=_RW,
        # page images: presigned POSTs and short-lived links (the registration function checks them)
        buckets={"uploads": "write"},
        # dynamodb:LeadingKeys: the government's items and lists (pages, surveys, content, the
        # feed index LG#{lg}#FEED), staff records (the route guard), a reader's own partition and
        # lists (P#{sub}, P#{sub}#CONS), consultations (CONS#), notifications (N#) and the deleted-
        # account mark (GONE#). The test harness refuses any other key, as IAM does in AWS.
        main_key_prefixes=("LG#", "STAFF#", "P#", "GONE#", "CONS#", "N#"),
    ),
    Function(
        name="sweeps",
        description="Scheduled renewal and inactivity sweeps",
        tables={"main": "write"},
        timeout_s=900,
    ),
    Function(
        name="imports",
        description="Spreadsheet backfill imports: template, uploads, jobs, and the S3 trigger",
        routes=(
            # The literal `template` before `{import_id}`: resolvers that try routes in order agree
            # with API Gateway, which prefers a literal segment.
            Route("GET", "/v1/admin/lgs/{lg_code}/imports/template", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/imports", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/imports/{import_id}", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/imports/{import_id}/commit", "staff"),
        ),
        tables=_RW_AUDITED,
        buckets={"imports": "write"},
        # Two vCPUs (Lambda gives one per 1,769 MB): an upload's reading runs in a limited child
        # while this process checks, types and validates its rows (imports.read_isolated), which
        # needs the second CPU to overlap. The cost is in docs/capacity.md (a few dollars a month).
        memory_mb=3538,
        timeout_s=900,
    ),
    Function(
        name="streams",
        description="Consumers of the main table's stream: statistics counters and other derived records",
        tables={"main": "write"},
        # Roster exports write their workbooks under exports/.
        buckets={"imports": "write"},
        # A 50,000-row roster export is ~22 s of CPU (docs/benchmarks.md): at 1,024 MB (0.58 of a
        # vCPU) ~40 s of the 120 s with its reads; at 512 MB it would be ~85 s.
        memory_mb=1024,
        timeout_s=120,
    ),
    Function(
        name="support",
        description="Support measures, applications, decisions, payments, report and export",
        routes=(
            Route("GET", "/v1/local-governments/{lg_code}/support-measures", "public"),
            Route("POST", "/v1/me/support-applications", "registrant"),
            Route("GET", "/v1/me/support-applications", "registrant"),
            Route("GET", "/v1/me/support-applications/{application_id}", "registrant"),
            Route("PATCH", "/v1/me/support-applications/{application_id}", "registrant"),
            Route("POST", "/v1/admin/lgs/{lg_code}/support-measures", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/support-measures", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/support-measures/{measure_id}", "staff"),
            Route("PATCH", "/v1/admin/lgs/{lg_code}/support-measures/{measure_id}", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/support-measures/{measure_id}/report", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/support-applications", "staff"),
            # The literal `export` before `{application_id}`, as API Gateway prefers it.
            Route("GET", "/v1/admin/lgs/{lg_code}/support-applications/export", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/support-applications/{application_id}", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/support-applications/{application_id}/decision", "staff"),
            Route("POST", "/v1/admin/lgs/{lg_code}/support-applications/{application_id}/payment", "staff"),
        ),
        tables=_RW_AUDITED,
        # uploads: short-lived reads of attached documents, and the check of a document attached
        # before the bucket's trigger ran (a refused file is removed)
        buckets={"uploads": "write"},
    ),
)

# The main table's stream feeds one function, which hands each change to the consumers registered
# in `furusato.streams.registry`. A consumer's item types must be listed here.
STREAM_SOURCES: tuple[StreamSource, ...] = (
    StreamSource(
        table="main",
        function="streams",
        item_types=(
            # statistics
            "lg",
            "person",
            "registration",
            "participation",
            # disaster notices: the content that publishes one, then each page of its fan-out
            "content",
            "disaster_fanout",
            # activity copies (participation too), and each step of a copy that feeds the next
            "activity",
            "backfill_activity",
            "activity_copy",
            # roster exports
            "roster_export",
            # a backfilled pending participant's count ends with the row's TTL
            "pending_participation",
        ),
    ),
)

FUNCTIONS = (
    *FUNCTIONS,
    Function(
        name="admin",
        description="Operator onboarding, staff accounts, the audit trail and a person's data rights",
        routes=(
            Route("POST", "/v1/operator/lgs", "operator"),
            Route("GET", "/v1/operator/lgs", "operator"),
            Route("POST", "/v1/operator/lgs/{lg_code}/staff", "operator"),
            Route("GET", "/v1/operator/audit", "operator"),
            Route("POST", "/v1/admin/lgs/{lg_code}/staff", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/staff", "staff"),
            Route("DELETE", "/v1/admin/lgs/{lg_code}/staff/{staff_id}", "staff"),
            Route("GET", "/v1/admin/lgs/{lg_code}/audit", "staff"),
            Route("GET", "/v1/me/data", "registrant"),
            Route("DELETE", "/v1/me", "registrant"),
        ),
        # Reads the audit trail, so it never writes it: no role both reads and appends.
        tables={"main": "write", "idempotency": "write", "audit": "read"},
        # uploads: a person's documents are deleted with their data
        buckets={"uploads": "write"},
        manages_staff=True,
        timeout_s=60,
    ),
)

SCHEDULES: tuple[Schedule, ...] = (
    Schedule("renewal", "sweeps", "cron(0 3 * * ? *)"),
    Schedule("inactivity", "sweeps", "cron(30 3 * * ? *)"),
    # Restarts imports whose run died and whose event never came back (every 10 minutes).
    Schedule("imports-recovery", "imports", "cron(0/10 * * * ? *)"),
)


# Media types the API returns as binary (posters, spreadsheets). API Gateway (REST, Lambda proxy)
# turns a base64 body back into bytes only when the request's `Accept` header names one of these
# as its first type; otherwise the client receives the base64 text. The local gateway does the
# same, so a client that forgets `Accept` fails locally as it would in AWS.
BINARY_MEDIA_TYPES: tuple[str, ...] = (
    "image/png",
    "image/svg+xml",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


class StaticPage(NamedTuple):
    """A page served as it is, without a function: by an API Gateway mock integration in AWS and
    by the local gateway. `file` is under `infra/web/`."""

    path: str
    file: str
    content_type: str = "text/html; charset=utf-8"


# What a phone camera opens from a QR code (`{public_base_url}/checkin#<token>`) when the app is
# not installed: how to get it. With the app installed, the OS opens the app instead (app links).
STATIC_PAGES: tuple[StaticPage, ...] = (StaticPage("/checkin", "checkin.html"),)

# Routes served only by the local stack; never deployed.
LOCAL_ROUTES: tuple[Route, ...] = (
    Route("POST", "/local/token", "public"),
    Route("PUT", "/local/clock", "public"),
    Route("DELETE", "/local/clock", "public"),
    Route("POST", "/local/sweeps/{name}", "public"),
    Route("POST", "/local/identity-assertion", "public"),
    # Deliver every stream change written so far, now (tests wait on it instead of sleeping).
    Route("POST", "/local/streams/drain", "public"),
)


def function(name: str) -> Function:
    for fn in FUNCTIONS:
        if fn.name == name:
            return fn
    raise KeyError(name)


def table(name: str) -> Table:
    for tbl in TABLES:
        if tbl.name == name:
            return tbl
    raise KeyError(name)


def all_routes() -> list[tuple[Function, Route]]:
    return [(fn, route) for fn in FUNCTIONS for route in fn.routes]


# --- configuration: the environment each function is given (furusato.settings reads it) --------
# Resources carry their own variable (Table/Bucket/Secret.env_var); these are the others.
STAGE_VAR = "FURUSATO_STAGE"
# Which function of FUNCTIONS this process runs: its required variables follow from it.
FUNCTION_VAR = "FURUSATO_FUNCTION"
PUBLIC_BASE_URL_VAR = "FURUSATO_PUBLIC_BASE_URL"
STAFF_USER_POOL_VAR = "FURUSATO_STAFF_USER_POOL_ID"
REGISTRANT_USER_POOL_VAR = "FURUSATO_REGISTRANT_USER_POOL_ID"
# Optional: unset, identity verification answers 503 until the provider is configured.
IDP_ISSUER_VAR = "FURUSATO_IDP_ISSUER"
IDP_AUDIENCE_VAR = "FURUSATO_IDP_AUDIENCE"
IDP_JWKS_VAR = "FURUSATO_IDP_JWKS"
IDP_JWKS_URL_VAR = "FURUSATO_IDP_JWKS_URL"
# Optional tuning: X-Ray subsegments ("true"), and the time a long run keeps in hand before it
# hands on (milliseconds).
XRAY_SUBSEGMENTS_VAR = "FURUSATO_XRAY_SUBSEGMENTS"
SWEEP_MARGIN_VAR = "FURUSATO_SWEEP_MARGIN_MS"
IMPORT_MARGIN_VAR = "FURUSATO_IMPORT_MARGIN_MS"


def required_environment(fn: Function) -> tuple[str, ...]:
    """The variables `fn` cannot run without outside the local stage: its stage and name, the
    public base URL, and the physical name of every table, bucket and secret it declares."""
    names = [STAGE_VAR, FUNCTION_VAR, PUBLIC_BASE_URL_VAR]
    names += [table(name).env_var for name in fn.tables]
    names += [b.env_var for b in BUCKETS if b.name in fn.buckets]
    names += [s.env_var for s in SECRETS if s.name in fn.secrets]
    if fn.manages_staff:
        names += [STAFF_USER_POOL_VAR, REGISTRANT_USER_POOL_VAR]
    return tuple(names)
