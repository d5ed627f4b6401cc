"""Configuration fails fast: outside the local stage a function's cold start raises, naming the
variable, when the environment lacks one its topology declaration requires."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from furusato import topology
from furusato.settings import ConfigurationError, load

ROOT = Path(__file__).resolve().parents[2]


def deployed(fn: topology.Function) -> dict[str, str]:
    """What the deployment gives `fn`: a value for every variable it requires."""
    env = {name: f"value-of-{name}" for name in topology.required_environment(fn)}
    return {**env, topology.STAGE_VAR: "prod", topology.FUNCTION_VAR: fn.name}


@pytest.mark.parametrize("fn", topology.FUNCTIONS, ids=lambda fn: fn.name)
def test_each_required_variable_missing_raises_naming_it(fn: topology.Function) -> None:
    complete = deployed(fn)
    settings = load(complete)
    assert settings.function == fn.name and settings.stage == "prod"
    for name in topology.required_environment(fn):
        if name == topology.STAGE_VAR:
            continue  # without a stage, the local stage is assumed outside Lambda (below)
        with pytest.raises(ConfigurationError, match=name):
            load({k: v for k, v in complete.items() if k != name})


def test_the_resources_come_from_the_declared_variables() -> None:
    checkin = topology.function("checkin")
    settings = load({**deployed(checkin), topology.MAIN_TABLE.env_var: "furusato-prod-main"})
    assert settings.main_table == "furusato-prod-main"
    assert settings.token_keys_secret == f"value-of-{topology.TOKEN_KEYS.env_var}"
    assert settings.public_base_url == f"value-of-{topology.PUBLIC_BASE_URL_VAR}"


def test_a_variable_the_function_does_not_declare_is_not_required() -> None:
    sweeps = topology.function("sweeps")
    assert topology.UPLOADS_BUCKET.env_var not in topology.required_environment(sweeps)
    assert load(deployed(sweeps)).function == "sweeps"


def test_in_lambda_a_missing_stage_raises() -> None:
    env = {k: v for k, v in deployed(topology.function("sweeps")).items() if k != topology.STAGE_VAR}
    with pytest.raises(ConfigurationError, match=topology.STAGE_VAR):
        load({**env, "AWS_LAMBDA_FUNCTION_NAME": "furusato-prod-sweeps"})


def test_an_unknown_function_or_a_bad_number_raises() -> None:
    with pytest.raises(ConfigurationError, match=topology.FUNCTION_VAR):
        load({topology.STAGE_VAR: "prod", topology.FUNCTION_VAR: "nope"})
    env = {**deployed(topology.function("sweeps")), topology.SWEEP_MARGIN_VAR: "soon"}
    with pytest.raises(ConfigurationError, match=topology.SWEEP_MARGIN_VAR):
        load(env)


def test_the_local_stage_runs_on_defaults() -> None:
    settings = load({topology.STAGE_VAR: "local"})
    assert settings.is_local and settings.function is None
    assert settings.main_table == "furusato-main"
    assert load({}).is_local


def cold_start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import the sweeps handler in a fresh interpreter with only `env`, as Lambda starts it."""
    return subprocess.run(
        [sys.executable, "-c", "import runpy; runpy.run_path('functions/sweeps/handler.py')"],
        cwd=ROOT,
        env={
            **{k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ},
            **env,
            "PYTHONPATH": f"{ROOT / 'layers' / 'core' / 'python'}:{ROOT}",
            "AWS_REGION": "ap-northeast-1",
            "AWS_LAMBDA_FUNCTION_NAME": "furusato-prod-sweeps",
            "POWERTOOLS_METRICS_NAMESPACE": "Furusato",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_cold_start_without_a_required_variable_fails_naming_it() -> None:
    """Importing the handler is the cold start: it fails there, before any event."""
    sweeps = topology.function("sweeps")
    missing = topology.MAIN_TABLE.env_var
    failed = cold_start({k: v for k, v in deployed(sweeps).items() if k != missing})
    assert failed.returncode != 0
    message = f"ConfigurationError: missing environment variable {missing} for the sweeps function"
    assert message in failed.stderr
    # With it, the same cold start succeeds.
    started = cold_start(deployed(sweeps))
    assert started.returncode == 0, started.stderr


def test_no_code_but_settings_reads_the_environment() -> None:
    """One reader: a handler or module reading os.environ would escape the cold-start check."""
    readers = re.compile(r"os\.environ|getenv\(|from os import")
    sources = [*(ROOT / "layers" / "core" / "python").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    offenders = [
        str(path.relative_to(ROOT))
        for path in sources
        if path.name != "settings.py" and readers.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
