"""Data is retained on every stage except one explicitly marked disposable, not only on a stage
named `prod`. The synthesized app is the default `dev` stage of cdk.json: it retains too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.test_stack import functions_by_name, props, ref_id, resources, role_statements


def test_the_dev_stage_retains_its_data(template: dict[str, Any], cdk_context: dict[str, Any]) -> None:
    assert cdk_context.get("stage") == "dev" and not cdk_context.get("disposable")
    tables = resources(template, "AWS::DynamoDB::Table")
    assert tables
    for table in tables.values():
        assert table["DeletionPolicy"] == "Retain"
        assert table["Properties"]["DeletionProtectionEnabled"] is True
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    for pool in resources(template, "AWS::Cognito::UserPool").values():
        assert pool["DeletionPolicy"] == "Retain" and pool["Properties"]["DeletionProtection"] == "ACTIVE"
    for lid, bucket in resources(template, "AWS::S3::Bucket").items():
        if lid.startswith("ConsoleBucket"):
            # The console's bucket holds only the built app, rebuilt from the repository at each deploy.
            assert bucket["DeletionPolicy"] == "Delete"
            continue
        assert bucket["DeletionPolicy"] == "Retain", lid


class _Node:
    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context

    def try_get_context(self, key: str) -> Any:
        return self.context.get(key)


@pytest.mark.parametrize(
    ("context", "retained"),
    [
        ({"stage": "prod"}, True),
        ({"stage": "staging"}, True),
        ({"stage": "dev"}, True),
        ({"stage": "try1", "disposable": "true"}, False),
        ({"stage": "prod", "disposable": False}, True),
    ],
)
def test_only_a_stage_marked_disposable_gives_up_retention(context: dict[str, Any], retained: bool) -> None:
    from infra.cdk.config import DeployConfig

    assert DeployConfig.from_context(_Node(context)).retain_data is retained  # type: ignore[arg-type]


def test_the_former_prod_only_switch_is_refused() -> None:
    from infra.cdk.config import ConfigError, DeployConfig

    with pytest.raises(ConfigError, match="disposable"):
        DeployConfig.from_context(_Node({"stage": "dev", "retain_data": "false"}))  # type: ignore[arg-type]


def test_the_serverless_pack_runs_next_to_aws_solutions(template: dict[str, Any]) -> None:
    """The synth fails on any unacknowledged finding; these are the Serverless pack's, written
    into the template with their reasons."""
    ids = {
        rule["id"]
        for res in template["Resources"].values()
        for rule in res.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    assert {"Serverless-LambdaLatestVersion", "Serverless-LambdaDLQ", "Serverless-SQSRedrivePolicy"} <= ids


def test_a_function_declaring_its_key_prefixes_touches_only_those_items(
    template: dict[str, Any], cdk_context: dict[str, Any]
) -> None:
    """dynamodb:LeadingKeys where it can express a function's access (docs/security.md)."""
    from furusato import topology

    functions = functions_by_name(template, cdk_context)
    limited = [fn for fn in topology.FUNCTIONS if fn.main_key_prefixes]
    assert limited
    for fn in limited:
        role_lid = ref_id(props(functions[fn.name][1])["Role"])
        assert role_lid
        statements = [
            s for s in role_statements(template, role_lid) if str(s.get("Sid", "")).endswith("MainTable")
        ]
        assert {s["Sid"] for s in statements} == {"ReadMainTable", "WriteMainTable"}, statements
        for statement in statements:
            condition = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            assert condition == [f"{p}*" for p in fn.main_key_prefixes]
        # Index keys are held to the same prefixes (the feed and consultation lists query indexes).
        read = next(s for s in statements if s["Sid"] == "ReadMainTable")
        assert "/index/" in json.dumps(read["Resource"])


# Edge limits are read from the context too: the per-address WAF ceiling must stay within what
# every route's throttle takes, or one address could empty a route's bucket.


def test_route_throttles_are_read_from_the_context_and_override_the_defaults() -> None:
    from infra.cdk.config import DeployConfig

    config = DeployConfig.from_context(_Node({"me_throttle_rate": "12000", "card_throttle_burst": 1500}))  # type: ignore[arg-type]
    assert config.route_throttles[("GET", "/v1/me")] == (12000, DeployConfig.me_throttle_burst)
    assert config.route_throttles[("GET", "/v1/me/card")] == (DeployConfig.card_throttle_rate, 1500)
    assert config.route_throttles[("POST", "/v1/checkins")] == (300, 1000)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"api_throttle_rate": 100}, "waf_rate_limit_per_ip_all"),
        ({"directory_throttle_rate": 150}, "waf_rate_limit_per_ip_all"),
        ({"waf_rate_limit_per_ip_all": 60001}, "waf_rate_limit_per_ip_all"),
        ({"waf_rate_limit": 70000, "api_throttle_rate": 1000}, "waf_rate_limit"),
        ({"card_throttle_rate": 0}, "at least 1"),
    ],
)
def test_a_waf_ceiling_above_a_route_throttle_is_refused(context: dict[str, Any], message: str) -> None:
    from infra.cdk.config import ConfigError, DeployConfig

    with pytest.raises(ConfigError, match=message):
        DeployConfig.from_context(_Node(context))  # type: ignore[arg-type]
    # Without WAF there is no ceiling to keep consistent.
    if "at least" not in message:
        DeployConfig.from_context(_Node({**context, "waf": "false"}))  # type: ignore[arg-type]
