"""cdk-nag acknowledgements (cdk-nag v3 uses CDK's `Validations` instead of `NagSuppressions`).

Every acknowledgement names one rule (or one finding of a granular rule, `RuleId[Finding]`) on
one construct and must say why. The app writes them into each resource's
`Metadata.cdk_nag.rules_to_suppress`, where the infra tests check that each has a reason.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge `rule_id` on `scope` and everything below it in the construct tree.

    Prefer the narrowest scope: for an L2 construct, pass the construct whose CloudFormation
    resource has the finding (see `resource_of`), so children do not inherit it.
    """
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {rule_id} needs a real reason, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def resource_of(construct: IConstruct) -> IConstruct:
    """The CloudFormation resource behind an L2 construct."""
    child = construct.node.default_child
    if child is None:
        raise ValueError(f"{construct.node.path} has no CloudFormation resource of its own")
    return child
