"""The hashed locks agree with pyproject.toml (`make lock` writes them; nobody edits them)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
_REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(?:==\s*([^;\s]+))?")
_PINNED = re.compile(r"^([a-z0-9_.-]+)==([^\s\\]+)", re.M)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(groups: list[list[str]]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for group in groups:
        for requirement in group:
            match = _REQUIREMENT.match(requirement)
            assert match, requirement
            found[canonical(match.group(1))] = match.group(2)
    return found


def locked(path: str) -> dict[str, str]:
    text = (ROOT / path).read_text()
    return {canonical(name): version for name, version in _PINNED.findall(text)}


RUNTIME = PROJECT["dependencies"]
EXTRAS = PROJECT["optional-dependencies"]
LOCKS = {
    "layers/deps/requirements.txt": [RUNTIME],
    "requirements/run.txt": [RUNTIME, EXTRAS["run"]],
    "requirements/dev.txt": [RUNTIME, EXTRAS["run"], EXTRAS["dev"]],
}


@pytest.mark.parametrize("path", sorted(LOCKS))
def test_every_declared_dependency_is_locked_at_its_pin(path: str) -> None:
    pins = locked(path)
    for name, version in declared(LOCKS[path]).items():
        assert name in pins, f"{name} is declared in pyproject.toml but not in {path}: run `make lock`"
        if version is not None:
            assert pins[name] == version, f"{name}: pyproject pins {version}, {path} has {pins[name]}"


@pytest.mark.parametrize("path", sorted(LOCKS))
def test_every_locked_distribution_carries_hashes(path: str) -> None:
    text = (ROOT / path).read_text()
    entries = re.split(r"\n(?=[a-z0-9_.-]+==)", text.split("\n", 2)[2])
    assert len(entries) >= len(declared(LOCKS[path]))
    for entry in entries:
        if entry.strip():
            assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_layer_ships_boto3_at_the_version_the_tests_use() -> None:
    """The functions run the boto3 and botocore the tests ran, not the runtime's bundled copy."""
    layer, dev = locked("layers/deps/requirements.txt"), locked("requirements/dev.txt")
    for name in ("boto3", "botocore"):
        assert layer[name] == dev[name], name
