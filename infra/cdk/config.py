"""Deployment settings an operator chooses, read once from the CDK context.

Every value has a default in `cdk.json` or here; override one with `-c key=value`
(see docs/deploy.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Node

# The repository root: assets (functions/, layers/, build/) are resolved from here, so the app
# synthesizes the same wherever the CLI was started.
ROOT = Path(__file__).resolve().parents[2]

_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,11}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_RETENTION: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
}


class ConfigError(ValueError):
    """A context value an operator set is not usable."""


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
        return value.lower() in {"true", "1", "yes"}
    raise ConfigError(f"context {key!r} must be true or false, got {value!r}")


def _int(value: Any, key: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"context {key!r} must be an integer, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"context {key!r} must be at least {minimum}, got {number}")
    return number


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _https(value: str | None, key: str) -> str | None:
    if value is not None and not value.startswith("https://"):
        raise ConfigError(f"context {key!r} must be an https:// URL, got {value!r}")
    return value


def _str_list(value: Any, key: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"context {key!r} must be a list of strings or a comma-separated string")


_ANDROID_APP = re.compile(r"^[A-Za-z][\w.]*:([0-9A-F]{2}:){31}[0-9A-F]{2}$")


def _android_apps(entries: tuple[str, ...]) -> tuple[str, ...]:
    for entry in entries:
        if not _ANDROID_APP.match(entry):
            raise ConfigError(
                f"context 'android_apps' entries are 'package.name:AA:BB:...' (SHA-256), got {entry!r}"
            )
    return entries


_CIDR = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/(\d{1,2})$")
_DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _cidrs(value: Any, key: str) -> tuple[str, ...]:
    ranges = _str_list(value, key)
    for cidr in ranges:
        m = _CIDR.match(cidr)
        if not m or any(int(part) > 255 for part in m.groups()[:4]) or int(m.group(5)) > 32:
            raise ConfigError(f"context {key!r}: {cidr!r} is not an IPv4 range like 203.0.113.0/24")
    return ranges


def _domain_prefix(value: Any) -> str | None:
    prefix = _optional_str(value)
    if prefix is not None and (not _DOMAIN_PREFIX.match(prefix) or "cognito" in prefix or "aws" in prefix):
        raise ConfigError(
            "context 'console_auth_domain_prefix' must be lowercase letters, digits and '-', "
            f"without 'aws' or 'cognito': {prefix!r}"
        )
    return prefix


_THROTTLE_KEYS = tuple(
    f"{route}_throttle_{kind}"
    for route in ("api", "me", "card", "checkin", "directory")
    for kind in ("rate", "burst")
)
_WAF_KEYS = ("waf_rate_limit", "waf_rate_limit_per_token", "waf_rate_limit_per_ip_all")
# The window of the WAF rate rules: their limits are requests per this many seconds.
WAF_WINDOW_S = 300


@dataclass(frozen=True)
class DeployConfig:
    stage: str = "dev"
    # Keep data (tables, user pools, buckets, secrets, logs) when the stack is deleted, with
    # deletion protection on: every stage, unless it is explicitly marked disposable
    # (-c disposable=true), never only a stage that happens to be named `prod`.
    retain_data: bool = True
    alarm_email: str | None = None
    # Optional custom domain for the API: both or neither.
    domain_name: str | None = None
    certificate_arn: str | None = None
    # Overrides the public base URL the handlers put in links (QR codes, reports).
    public_base_url: str | None = None
    log_retention_days: int = 90
    powertools_log_level: str = "INFO"
    # API Gateway throttling (requests/s, burst). The stage's is a default that each method gets
    # for itself (not one bucket shared by all); the hot routes have their own (docs/deploy.md).
    api_throttle_rate: int = 200
    api_throttle_burst: int = 400
    me_throttle_rate: int = 10000
    me_throttle_burst: int = 5000
    card_throttle_rate: int = 1000
    card_throttle_burst: int = 1000
    checkin_throttle_rate: int = 300
    checkin_throttle_burst: int = 1000
    directory_throttle_rate: int = 500
    directory_throttle_burst: int = 1000
    waf: bool = True
    # WAF rate rules, requests per 5 minutes: per IP for public routes and for requests without a
    # token, per token on the routes with a Cognito authorizer, and a per-IP ceiling for all.
    waf_rate_limit: int = 6000
    waf_rate_limit_per_token: int = 1500
    waf_rate_limit_per_ip_all: int = 60000
    # Cognito Plus tier (threat protection) for the registrant pool; the staff pool always has it.
    registrant_threat_protection: bool = False
    # Send Cognito mail through SES from this verified address instead of the Cognito default.
    ses_from_email: str | None = None
    # Browser origins allowed to upload straight to the imports bucket (presigned POST/PUT).
    upload_cors_origins: tuple[str, ...] = ()
    # The identity provider (the national digital authentication app): see docs/deploy.md.
    idp_issuer: str | None = None
    idp_audience: str | None = None
    idp_jwks_url: str | None = None
    # Powertools Tracer subsegments (costs ~250 ms of cold start); active tracing is always on.
    xray_subsegments: bool = False
    # App links, so that a phone camera opening `{public_base_url}/checkin#...` opens the app:
    # iOS app ids ("TEAMID.bundle.id") and Android "package:SHA256 fingerprint" entries.
    ios_app_ids: tuple[str, ...] = ()
    android_apps: tuple[str, ...] = ()
    # The console and the staff/operator routes only from these IPv4 ranges (the governments'
    # LGWAN egress addresses); empty: open to the internet, as by default.
    lgwan_source_ranges: tuple[str, ...] = ()
    # The hosted sign-in's domain prefix (<prefix>.auth.<region>.amazoncognito.com); unique per region.
    console_auth_domain_prefix: str | None = None

    @property
    def route_throttles(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(method, path) -> (rate, burst) of the routes with their own throttle; every other
        method has the stage's default for itself."""
        return {
            ("GET", "/v1/me"): (self.me_throttle_rate, self.me_throttle_burst),
            ("GET", "/v1/me/card"): (self.card_throttle_rate, self.card_throttle_burst),
            ("POST", "/v1/checkins"): (self.checkin_throttle_rate, self.checkin_throttle_burst),
            ("GET", "/v1/local-governments"): (self.directory_throttle_rate, self.directory_throttle_burst),
        }

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION[self.log_retention_days]

    @classmethod
    def from_context(cls, node: Node) -> DeployConfig:
        def ctx(key: str, default: Any = None) -> Any:
            value = node.try_get_context(key)
            return default if value is None else value

        if node.try_get_context("retain_data") is not None:
            raise ConfigError(
                "context 'retain_data' is gone: data is retained on every stage; mark a short-lived "
                "stage with -c disposable=true instead"
            )
        stage = str(ctx("stage", cls.stage))
        if not _STAGE.match(stage):
            raise ConfigError(
                "context 'stage' must be 1-12 lowercase letters, digits or '-', starting with a letter: "
                f"{stage!r}"
            )
        retention = _int(ctx("log_retention_days", cls.log_retention_days), "log_retention_days", 1)
        if retention not in _RETENTION:
            raise ConfigError(f"context 'log_retention_days' must be one of {sorted(_RETENTION)}")
        alarm_email = _optional_str(ctx("alarm_email"))
        if alarm_email and not _EMAIL.match(alarm_email):
            raise ConfigError(f"context 'alarm_email' is not an email address: {alarm_email!r}")
        domain_name = _optional_str(ctx("domain_name"))
        certificate_arn = _optional_str(ctx("certificate_arn"))
        if bool(domain_name) != bool(certificate_arn):
            raise ConfigError(
                "set both 'domain_name' and 'certificate_arn' (an ACM certificate in the region)"
            )
        log_level = str(ctx("powertools_log_level", cls.powertools_log_level)).upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"context 'powertools_log_level' is not a log level: {log_level!r}")
        throttles = {key: _int(ctx(key, getattr(cls, key)), key, 1) for key in _THROTTLE_KEYS}
        slowest = min(value for key, value in throttles.items() if key.endswith("_rate"))
        waf = _bool(ctx("waf", cls.waf), "waf")
        waf_limits = {key: _int(ctx(key, getattr(cls, key)), key, 10) for key in _WAF_KEYS}
        # One address (a festival's venue Wi-Fi at most) never empties a route's whole bucket.
        if waf and waf_limits["waf_rate_limit_per_ip_all"] > WAF_WINDOW_S * slowest:
            raise ConfigError(
                f"context 'waf_rate_limit_per_ip_all' ({waf_limits['waf_rate_limit_per_ip_all']} per "
                f"5 minutes) must be at most {WAF_WINDOW_S} x the smallest route throttle rate ({slowest}/s)"
            )
        if waf and waf_limits["waf_rate_limit"] > waf_limits["waf_rate_limit_per_ip_all"]:
            raise ConfigError("context 'waf_rate_limit' must not exceed 'waf_rate_limit_per_ip_all'")
        return cls(
            stage=stage,
            retain_data=not _bool(ctx("disposable", False), "disposable"),
            alarm_email=alarm_email,
            domain_name=domain_name,
            certificate_arn=certificate_arn,
            public_base_url=_optional_str(ctx("public_base_url")),
            log_retention_days=retention,
            powertools_log_level=log_level,
            **throttles,
            waf=waf,
            **waf_limits,
            registrant_threat_protection=_bool(
                ctx("registrant_threat_protection", cls.registrant_threat_protection),
                "registrant_threat_protection",
            ),
            ses_from_email=_optional_str(ctx("ses_from_email")),
            upload_cors_origins=_str_list(ctx("upload_cors_origins"), "upload_cors_origins"),
            idp_issuer=_optional_str(ctx("idp_issuer")),
            idp_audience=_optional_str(ctx("idp_audience")),
            idp_jwks_url=_https(_optional_str(ctx("idp_jwks_url")), "idp_jwks_url"),
            xray_subsegments=_bool(ctx("xray_subsegments", cls.xray_subsegments), "xray_subsegments"),
            ios_app_ids=_str_list(ctx("ios_app_ids"), "ios_app_ids"),
            android_apps=_android_apps(_str_list(ctx("android_apps"), "android_apps")),
            lgwan_source_ranges=_cidrs(ctx("lgwan_source_ranges"), "lgwan_source_ranges"),
            console_auth_domain_prefix=_domain_prefix(ctx("console_auth_domain_prefix")),
        )
