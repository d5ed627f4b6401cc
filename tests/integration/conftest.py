import pytest


@pytest.fixture(autouse=True)
def _clean(clean_aws: str) -> None:
    """Every integration test starts from empty tables."""
