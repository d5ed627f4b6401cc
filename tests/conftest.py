"""The environment every test process starts with, set at import, before any test module imports
the runtime package (pynamodb models read their table names when they are defined).

No AWS here: the names of the topology's tables and buckets, a local stage, and an endpoint
nothing listens on. Tests that talk to AWS start moto through `moto_endpoint`
(tests/support/moto.py), which points the process at it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from infra.local import aws
from infra.local.idp import LocalIdentityProvider

IDENTITY_PROVIDER = LocalIdentityProvider(issuer="http://127.0.0.1/local/idp")
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: a client that slips through fails fast
os.environ.update(aws.base_environment(UNREACHABLE))
os.environ.update(aws.resource_names())
os.environ.update(IDENTITY_PROVIDER.environment())

# Property tests assert behaviour, not speed: on a loaded 2-core machine Hypothesis's per-example
# deadline and its "generation is slow" check failed runs whose every assertion held. Speed is
# measured in bench/.
settings.register_profile("furusato", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("furusato")


@pytest.fixture(scope="session")
def moto_endpoint() -> str:
    from tests.support import moto

    return moto.endpoint()


@pytest.fixture
def clean_aws(moto_endpoint: str) -> Iterator[str]:
    """Empty tables and buckets before the test; unfreeze the clock after it."""
    from furusato import clock
    from tests.support import moto

    moto.reset()
    yield moto_endpoint
    clock.unfreeze()
