"""The two Lambda layers every function gets.

- core: the shared `furusato` package, copied from `layers/core/python/furusato/` and compiled
  into `build/layers/core/python` by `scripts/build_deps_layer.py`.
- deps: the pinned third-party dependencies, built without Docker by
  `scripts/build_deps_layer.py` (`make layer`) into `build/layers/deps/python`.
"""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from .config import ROOT

# python3.11: the build machine's Python, so both layers ship byte code the runtime can use.
RUNTIME = lambda_.Runtime.PYTHON_3_11
ARCHITECTURE = lambda_.Architecture.ARM_64

CORE_DIR = ROOT / "build" / "layers" / "core"
DEPS_DIR = ROOT / "build" / "layers" / "deps"

# Never shipped: packaging metadata, tests. Byte code is shipped on purpose (unchecked-hash pyc).
ASSET_EXCLUDES = ["**/*.egg-info", "**/tests"]


class Layers(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        if not (DEPS_DIR / "python").is_dir() or not (CORE_DIR / "python").is_dir():
            raise FileNotFoundError(
                f"{DEPS_DIR / 'python'} or {CORE_DIR / 'python'} is missing: "
                "build the layers with `make layer` "
                "(python scripts/build_deps_layer.py)"
            )
        self.core = lambda_.LayerVersion(
            self,
            "Core",
            code=lambda_.Code.from_asset(str(CORE_DIR), exclude=ASSET_EXCLUDES),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="furusato: domain, store, api and capabilities (layers/core)",
        )
        self.deps = lambda_.LayerVersion(
            self,
            "Deps",
            code=lambda_.Code.from_asset(str(DEPS_DIR), exclude=ASSET_EXCLUDES),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="furusato third-party dependencies (layers/deps/requirements.txt)",
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.core, self.deps]
