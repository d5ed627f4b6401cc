"""Configuration, read from the environment once per process: the only reader of `FURUSATO_*`.

The variables' names come from the topology (`topology.required_environment` and the resources'
`env_var`). Outside the local stage a function must be given every variable its declaration
requires; one missing fails its cold start with `ConfigurationError` naming it, rather than a
request later. Every handler reads the settings at import (api/observability.py). The local stage
runs every function in one process on the defaults below, overridden by what the local stack sets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from furusato import topology

LOCAL_STAGE = "local"


class ConfigurationError(RuntimeError):
    """The environment lacks a variable this function needs (a deployment error)."""


@dataclass(frozen=True)
class Settings:
    stage: str = LOCAL_STAGE
    # The topology function this process runs (None in the local stack, which runs them all).
    function: str | None = None
    region: str = "ap-northeast-1"
    main_table: str = "furusato-main"
    idempotency_table: str = "furusato-idempotency"
    audit_table: str = "furusato-audit"
    imports_bucket: str = "furusato-imports"
    uploads_bucket: str = "furusato-uploads"
    # The ARN (or name) of the token signing keyring's secret.
    token_keys_secret: str | None = None
    # Set only where a stand-in (moto) replaces AWS.
    endpoint_url: str | None = None
    staff_user_pool_id: str | None = None
    # The registrants' pool: a person's account is deleted from it with their data (AWS only;
    # the local stack has no registrant users).
    registrant_user_pool_id: str | None = None
    # Public base URL of the API, used in links handed to people (QR codes, reports).
    public_base_url: str = "http://127.0.0.1:8000"
    # The identity provider (docs/deploy.md): its issuer, our audience, and its keys, either
    # inline (a JWKS document) or fetched from its JWKS URL.
    idp_issuer: str | None = None
    idp_audience: str | None = None
    idp_jwks: str | None = None
    idp_jwks_url: str | None = None
    xray_subsegments: bool = False
    # Time kept in hand before a long run hands on; None: the capability's default.
    sweep_margin_ms: int | None = None
    import_margin_ms: int | None = None

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE


def _required(env: Mapping[str, str]) -> None:
    """Raise naming every variable missing outside the local stage."""
    stage = env.get(topology.STAGE_VAR)
    if not stage:
        # In Lambda a missing stage is a deployment error, not the local stack.
        if env.get("AWS_LAMBDA_FUNCTION_NAME"):
            raise ConfigurationError(f"missing environment variable {topology.STAGE_VAR}")
        return
    if stage == LOCAL_STAGE:
        return
    name = env.get(topology.FUNCTION_VAR)
    if not name:
        raise ConfigurationError(f"missing environment variable {topology.FUNCTION_VAR} (stage {stage})")
    try:
        fn = topology.function(name)
    except KeyError:
        unknown = f"{topology.FUNCTION_VAR}={name!r} names no function of the topology"
        raise ConfigurationError(unknown) from None
    missing = [var for var in topology.required_environment(fn) if not env.get(var)]
    if missing:
        raise ConfigurationError(
            f"missing environment variable{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"for the {name} function (stage {stage})"
        )


def _int(env: Mapping[str, str], var: str) -> int | None:
    raw = env.get(var)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{var}={raw!r} is not a whole number of milliseconds") from None


def load(env: Mapping[str, str]) -> Settings:
    """Settings from `env`; raises ConfigurationError when a required variable is missing."""
    _required(env)
    return Settings(
        stage=env.get(topology.STAGE_VAR) or LOCAL_STAGE,
        function=env.get(topology.FUNCTION_VAR) or None,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "ap-northeast-1",
        main_table=env.get(topology.MAIN_TABLE.env_var, "furusato-main"),
        idempotency_table=env.get(topology.IDEMPOTENCY_TABLE.env_var, "furusato-idempotency"),
        audit_table=env.get(topology.AUDIT_TABLE.env_var, "furusato-audit"),
        imports_bucket=env.get(topology.IMPORTS_BUCKET.env_var, "furusato-imports"),
        uploads_bucket=env.get(topology.UPLOADS_BUCKET.env_var, "furusato-uploads"),
        token_keys_secret=env.get(topology.TOKEN_KEYS.env_var) or None,
        endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        staff_user_pool_id=env.get(topology.STAFF_USER_POOL_VAR) or None,
        registrant_user_pool_id=env.get(topology.REGISTRANT_USER_POOL_VAR) or None,
        public_base_url=env.get(topology.PUBLIC_BASE_URL_VAR, "http://127.0.0.1:8000"),
        idp_issuer=env.get(topology.IDP_ISSUER_VAR) or None,
        idp_audience=env.get(topology.IDP_AUDIENCE_VAR) or None,
        idp_jwks=env.get(topology.IDP_JWKS_VAR) or None,
        idp_jwks_url=env.get(topology.IDP_JWKS_URL_VAR) or None,
        xray_subsegments=env.get(topology.XRAY_SUBSEGMENTS_VAR, "false").lower() == "true",
        sweep_margin_ms=_int(env, topology.SWEEP_MARGIN_VAR),
        import_margin_ms=_int(env, topology.IMPORT_MARGIN_VAR),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load(os.environ)
