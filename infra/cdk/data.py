"""DynamoDB tables, one per `topology.TABLES` entry: keys, indexes, TTL and streams as declared."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from furusato import topology

from .config import DeployConfig


def _key(name: str | None) -> dynamodb.Attribute | None:
    # Every key attribute of the single-table design is a string.
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING) if name else None


# Everything that changes or removes an existing item.
ALTERING_ACTIONS = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)


def _append_only_policy() -> iam.PolicyDocument:
    """The table's own policy: nobody, whatever their identity policy says, updates or deletes
    an item. Writers get PutItem only, conditional on a new key (store/audit_trail.py)."""
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="AppendOnly",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(ALTERING_ACTIONS),
                resources=["*"],
            )
        ]
    )


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in topology.TABLES:
            table = dynamodb.Table(
                self,
                f"{spec.name.capitalize()}Table",
                partition_key=_key(spec.partition_key),
                sort_key=_key(spec.sort_key),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                encryption=dynamodb.TableEncryption.AWS_MANAGED,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True, recovery_period_in_days=35
                ),
                time_to_live_attribute=spec.ttl_attribute,
                stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
                deletion_protection=config.retain_data or spec.append_only,
                removal_policy=RemovalPolicy.RETAIN if spec.append_only else config.removal_policy,
                resource_policy=_append_only_policy() if spec.append_only else None,
            )
            for index in spec.indexes:
                table.add_global_secondary_index(
                    index_name=index.name,
                    partition_key=dynamodb.Attribute(
                        name=index.partition_key, type=dynamodb.AttributeType.STRING
                    ),
                    sort_key=_key(index.sort_key),
                    projection_type=dynamodb.ProjectionType.ALL,
                )
            self.tables[spec.name] = table
