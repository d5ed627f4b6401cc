"""Configuration, read from the environment once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    stage: str = "local"
    region: str = "ap-northeast-1"
    main_table: str = "furusato-main"
    idempotency_table: str = "furusato-idempotency"
    audit_table: str = "furusato-audit"
    imports_bucket: str = "furusato-imports"
    uploads_bucket: str = "furusato-uploads"
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


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        stage=env.get("FURUSATO_STAGE", "local"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "ap-northeast-1",
        main_table=env.get("FURUSATO_MAIN_TABLE", "furusato-main"),
        idempotency_table=env.get("FURUSATO_IDEMPOTENCY_TABLE", "furusato-idempotency"),
        audit_table=env.get("FURUSATO_AUDIT_TABLE", "furusato-audit"),
        imports_bucket=env.get("FURUSATO_IMPORTS_BUCKET", "furusato-imports"),
        uploads_bucket=env.get("FURUSATO_UPLOADS_BUCKET", "furusato-uploads"),
        endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        staff_user_pool_id=env.get("FURUSATO_STAFF_USER_POOL_ID") or None,
        registrant_user_pool_id=env.get("FURUSATO_REGISTRANT_USER_POOL_ID") or None,
        public_base_url=env.get("FURUSATO_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        idp_issuer=env.get("FURUSATO_IDP_ISSUER") or None,
        idp_audience=env.get("FURUSATO_IDP_AUDIENCE") or None,
        idp_jwks=env.get("FURUSATO_IDP_JWKS") or None,
        idp_jwks_url=env.get("FURUSATO_IDP_JWKS_URL") or None,
    )
