"""The catch-all error handler logs the exception's type and frames, never its message."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from furusato.api import errors
from furusato.capabilities import registrations
from tests.support.lambda_api import call
from tests.support.world import RELATIONSHIP, onboard, person, set_profile

NAME, BIRTH, ADDRESS = "山田 花子", "1990-04-01", "新宿1-1-1"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the function's logger writes, formatted as in Lambda (JSON lines)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(errors.logger.registered_formatter)
    target = logging.getLogger(errors.logger.name)
    target.addHandler(handler)
    yield out
    target.removeHandler(handler)


def test_an_unexpected_error_logs_its_type_and_frames_but_not_its_message(
    monkeypatch: pytest.MonkeyPatch, log_output: io.StringIO
) -> None:
    onboard("212172")
    assert set_profile("u1").status == 200

    def failing(*args: object, **kwargs: object) -> None:
        try:
            raise KeyError(f"{NAME} {BIRTH}")
        except KeyError as inner:
            raise ValueError(f"roster row of {NAME}, born {BIRTH}, living at {ADDRESS}") from inner

    monkeypatch.setattr(registrations, "put_registration", failing)
    reply = call(
        "PUT",
        "/v1/me/registrations/212172",
        {"plan": "basic", "survey_answers": RELATIONSHIP},
        claims=person("u1"),
    )
    assert reply.status == 500 and reply.error_code == "INTERNAL"
    logged = log_output.getvalue()
    assert '"error_type":"ValueError"' in logged.replace(" ", "") and "KeyError" in logged
    assert "test_error_logs.py" in logged and "failing" in logged  # the frames
    for secret in (NAME, BIRTH, ADDRESS, "山田", "花子"):
        assert secret not in logged
