"""Identity verification attempts: server-issued nonces and the assertions already used.

Access patterns (main table):
- issue a nonce: PutItem pk=IDNONCE#{sub}, sk={nonce} with a TTL (its own partition, so the
  person's partition query never sees it)
- accept an assertion: one TransactWriteItems that deletes the nonce of *this* account
  (condition: it exists and has not expired) and puts pk=IDJTI#{sha256(issuer, jti)}
  (attribute_not_exists): an assertion is used once, and only by the account it was issued for.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from furusato.domain.errors import InvalidInput
from furusato.store.errors import cancellation_reasons, is_throttled, storage_errors
from furusato.store.models import IdentityAssertionUseItem, IdentityNonceItem, MainItem

JTI_SK = "JTI"


def nonce_pk(sub: str) -> str:
    return f"IDNONCE#{sub}"


def jti_pk(issuer: str, jti: str) -> str:
    # A digest: the jti is the provider's opaque text, never kept as it came.
    return "IDJTI#" + hashlib.sha256(f"{issuer}\n{jti}".encode()).hexdigest()


def issue(sub: str, nonce: str, expires_at: datetime) -> None:
    with storage_errors():
        IdentityNonceItem(nonce_pk(sub), nonce, expires_at=expires_at).save()


def consume(sub: str, nonce: str, *, issuer: str, jti: str, jti_expires_at: datetime, now: datetime) -> None:
    """Accept an assertion once: raises InvalidInput (INVALID_ASSERTION) naming what failed."""
    connection = MainItem._get_connection().connection
    try:
        with storage_errors(), TransactWrite(connection=connection) as tx:
            tx.delete(
                IdentityNonceItem(nonce_pk(sub), nonce),
                condition=IdentityNonceItem.pk.exists() & (IdentityNonceItem.expires_at > now),
            )
            tx.save(
                IdentityAssertionUseItem(jti_pk(issuer, jti), JTI_SK, expires_at=jti_expires_at),
                condition=IdentityAssertionUseItem.pk.does_not_exist(),
            )
    except TransactWriteError as exc:
        if is_throttled(exc):
            raise
        reasons = cancellation_reasons(exc)
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise _refused("the assertion has been used already", "already used") from exc
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise _refused(
                "the assertion's nonce was not issued to this account, or has expired",
                "nonce not issued to this account, or expired",
            ) from exc
        raise


def _refused(message: str, detail: str) -> InvalidInput:
    return InvalidInput(message, code="INVALID_ASSERTION", details={"assertion": detail})
