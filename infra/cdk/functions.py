"""One Lambda function per `topology.FUNCTIONS` entry, each with its own least-privilege role.

A role gets exactly what its declaration says: the tables in `tables` (read or write, the
table and its declared indexes, no Scan), the buckets in `buckets`, the secrets in `secrets`
(read), the user pools' admin actions it calls for `manages_staff`, its own log group, and
X-Ray. An `append` table grants PutItem alone (the audit trail). No AWS managed policies.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from furusato import topology

from .config import ROOT, DeployConfig
from .layers import ARCHITECTURE, ASSET_EXCLUDES, RUNTIME, Layers
from .nag import acknowledge, resource_of

TABLE_READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)
# Transactions are authorized per item through these same actions.
TABLE_WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
BUCKET_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
BUCKET_WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
TABLE_APPEND_ACTIONS = ("dynamodb:PutItem",)
# Exactly what store/accounts.py calls.
STAFF_ADMIN_ACTIONS = ("cognito-idp:AdminCreateUser", "cognito-idp:AdminDeleteUser")
REGISTRANT_ADMIN_ACTIONS = ("cognito-idp:AdminDeleteUser",)

METRICS_NAMESPACE = "Furusato"


# Scheduled functions that hand a long run on by invoking themselves (the sweeps). The imports
# function is scheduled too (its recovery check) but hands on through its S3 run marker, so it
# holds no lambda:InvokeFunction.
HANDS_ON_BY_INVOKING_ITSELF = ("sweeps",)


@dataclass(frozen=True)
class BucketRef:
    """A bucket by its deterministic name, so roles can name it without depending on it."""

    name: str
    arn: str
    # The ARN as cdk-nag renders it in findings (pseudo parameters as `<AWS::Region>`).
    nag_arn: str


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        tables: dict[str, dynamodb.Table],
        buckets: dict[str, BucketRef],
        secrets: dict[str, secretsmanager.ISecret],
        layers: Layers,
        staff_pool: cognito.IUserPool,
        registrant_pool: cognito.IUserPool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        self.alarms: list[cloudwatch.Alarm] = []
        self._failure_queues: dict[str, sqs.Queue] = {}
        for spec in topology.FUNCTIONS:
            source = ROOT / spec.source_dir
            if not source.is_dir():
                raise FileNotFoundError(
                    f"{spec.source_dir}/ is missing: every function declared in topology.FUNCTIONS needs "
                    f"{spec.source_dir}/{spec.handler.split('.')[0]}.py"
                )
            fn_scope = Construct(self, spec.name)
            log_group = logs.LogGroup(
                fn_scope,
                "Logs",
                retention=config.log_retention,
                removal_policy=config.removal_policy,
            )
            statements = [
                iam.PolicyStatement(
                    sid="OwnLogGroup",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                )
            ]
            environment = {
                topology.STAGE_VAR: config.stage,
                topology.FUNCTION_VAR: spec.name,
                "POWERTOOLS_SERVICE_NAME": f"furusato-{spec.name}",
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": config.powertools_log_level,
                "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
                topology.XRAY_SUBSEGMENTS_VAR: "true" if config.xray_subsegments else "false",
            }
            if spec.verifies_identity:
                # Unset values leave identity verification answering 503 until configured.
                for key, value in (
                    (topology.IDP_ISSUER_VAR, config.idp_issuer),
                    (topology.IDP_AUDIENCE_VAR, config.idp_audience),
                    (topology.IDP_JWKS_URL_VAR, config.idp_jwks_url),
                ):
                    if value:
                        environment[key] = value
            for table_name, access in spec.tables.items():
                table_spec = topology.table(table_name)
                table = tables[table_name]
                environment[table_spec.env_var] = table.table_name
                index_arns = [f"{table.table_arn}/index/{index.name}" for index in table_spec.indexes]
                if access == "append":
                    # Add records, never read, change or delete one (the audit trail).
                    statements.append(
                        iam.PolicyStatement(
                            sid=f"Append{table_name.capitalize()}Table",
                            actions=list(TABLE_APPEND_ACTIONS),
                            resources=[table.table_arn],
                        )
                    )
                    continue
                # Least privilege by key: a function that declares its partition key prefixes may
                # touch only those items (dynamodb:LeadingKeys); on an index the condition applies
                # to the index's partition key, so index keys must start with a declared prefix too.
                prefixes = spec.main_key_prefixes if table_spec is topology.MAIN_TABLE else ()
                conditions = (
                    {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{p}*" for p in prefixes]}}
                    if prefixes
                    else None
                )
                statements.append(
                    iam.PolicyStatement(
                        sid=f"Read{table_name.capitalize()}Table",
                        actions=list(TABLE_READ_ACTIONS),
                        resources=[table.table_arn, *index_arns],
                        conditions=conditions,
                    )
                )
                if access == "write":
                    statements.append(
                        iam.PolicyStatement(
                            sid=f"Write{table_name.capitalize()}Table",
                            actions=list(TABLE_WRITE_ACTIONS),
                            resources=[table.table_arn],
                            conditions=conditions,
                        )
                    )
            for bucket_name, access in spec.buckets.items():
                bucket_spec = next(b for b in topology.BUCKETS if b.name == bucket_name)
                bucket = buckets[bucket_name]
                environment[bucket_spec.env_var] = bucket.name
                # The data-rights function erases a person's files, every version of them.
                erases = spec.manages_staff and access == "write"
                statements.append(
                    iam.PolicyStatement(
                        sid=f"List{bucket_name.capitalize()}Bucket",
                        actions=["s3:ListBucket", *(["s3:ListBucketVersions"] if erases else [])],
                        resources=[bucket.arn],
                    )
                )
                object_actions = list(BUCKET_READ_ACTIONS)
                if access == "write":
                    object_actions += BUCKET_WRITE_ACTIONS
                if erases:
                    object_actions.append("s3:DeleteObjectVersion")
                statements.append(
                    iam.PolicyStatement(
                        sid=f"{access.capitalize()}{bucket_name.capitalize()}Objects",
                        actions=object_actions,
                        resources=[f"{bucket.arn}/*"],
                    )
                )
            for secret_name in spec.secrets:
                secret_spec = next(s for s in topology.SECRETS if s.name == secret_name)
                secret = secrets[secret_name]
                environment[secret_spec.env_var] = secret.secret_arn
                statements.append(
                    iam.PolicyStatement(
                        sid=f"Read{secret_name.title().replace('-', '')}Secret",
                        actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                        resources=[secret.secret_arn],
                    )
                )
            if spec.manages_staff:
                environment[topology.STAFF_USER_POOL_VAR] = staff_pool.user_pool_id
                environment[topology.REGISTRANT_USER_POOL_VAR] = registrant_pool.user_pool_id
                statements.append(
                    iam.PolicyStatement(
                        sid="ManageStaffUsers",
                        actions=list(STAFF_ADMIN_ACTIONS),
                        resources=[staff_pool.user_pool_arn],
                    )
                )
                statements.append(
                    iam.PolicyStatement(
                        sid="DeleteRegistrantAccounts",
                        actions=list(REGISTRANT_ADMIN_ACTIONS),
                        resources=[registrant_pool.user_pool_arn],
                    )
                )

            if spec.name in HANDS_ON_BY_INVOKING_ITSELF:
                # A sweep near the time limit hands the rest of its run to a new invocation of
                # itself. The ARN is built from the fixed name: referring to the function object
                # would make its role depend on it (a cycle).
                statements.append(
                    iam.PolicyStatement(
                        sid="HandOnToItself",
                        actions=["lambda:InvokeFunction"],
                        resources=[
                            Stack.of(self).format_arn(
                                service="lambda",
                                resource="function",
                                resource_name=f"furusato-{config.stage}-{spec.name}",
                                arn_format=ArnFormat.COLON_RESOURCE_NAME,
                            )
                        ],
                    )
                )

            role = iam.Role(
                fn_scope,
                "Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"furusato {config.stage} {spec.name} function",
                inline_policies={"access": iam.PolicyDocument(statements=statements)},
            )
            function = lambda_.Function(
                fn_scope,
                "Function",
                function_name=f"furusato-{config.stage}-{spec.name}",
                description=spec.description,
                runtime=RUNTIME,
                architecture=ARCHITECTURE,
                handler=spec.handler,
                code=lambda_.Code.from_asset(str(source), exclude=ASSET_EXCLUDES),
                layers=layers.all,
                memory_size=spec.memory_mb,
                timeout=Duration.seconds(spec.timeout_s),
                tracing=lambda_.Tracing.ACTIVE,
                environment=environment,
                role=role,
                log_group=log_group,
            )
            # Tracing ACTIVE adds xray:PutTraceSegments/PutTelemetryRecords to the role's default policy.
            acknowledge(
                role.node.find_child("DefaultPolicy"),
                "AwsSolutions-IAM5[Resource::*]",
                "Only X-Ray's xray:PutTraceSegments and xray:PutTelemetryRecords use Resource '*' (added by "
                "Tracing.ACTIVE): X-Ray does not support resource-level permissions for these actions.",
            )
            for bucket_name in spec.buckets:
                acknowledge(
                    resource_of(role),
                    f"AwsSolutions-IAM5[Resource::{buckets[bucket_name].nag_arn}/*]",
                    f"Object-level access to the {bucket_name} bucket that this function declares in the "
                    "topology: object keys are generated at run time (one per upload/report), so the "
                    "statement must cover the bucket's objects; it names this one bucket only.",
                )
            for rule in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
                acknowledge(
                    resource_of(function),
                    rule,
                    "Pinned to python3.11 on purpose: both layers ship byte code compiled by the build "
                    "machine's Python 3.11 (scripts/build_deps_layer.py), which saves the cold start from "
                    "compiling every module; the runtime and the layers move together in one change.",
                )
            acknowledge(
                resource_of(function),
                "Serverless-LambdaDLQ",
                "A dead-letter queue only receives failed asynchronous invocations. API functions are "
                "invoked synchronously (API Gateway gets the error); functions invoked asynchronously "
                "(S3, schedules) send failures to an on-failure destination queue with an alarm "
                "(failure_queue), which also carries the error and the request context a DLQ lacks.",
            )
            self.functions[spec.name] = function
            self.roles[spec.name] = role

    def failure_queue(self, name: str) -> sqs.Queue:
        """The dead-letter queue of a function invoked asynchronously (S3, EventBridge Scheduler).

        Created once per function: Lambda sends events that still fail after its retries here,
        and schedules use it as their own dead-letter queue. An alarm fires on any message.
        """
        if name in self._failure_queues:
            return self._failure_queues[name]
        function = self.functions[name]
        scope = Construct(self, f"{name}Failures")
        queue = dead_letter_queue(
            scope,
            "Queue",
            f"the dead-letter queue of the {name} function's asynchronous invocations and of its "
            "schedules' undeliverable targets",
        )
        function.configure_async_invoke(
            on_failure=destinations.SqsDestination(queue),
            retry_attempts=2,
            max_event_age=Duration.hours(6),
        )
        self.alarms.append(
            cloudwatch.Alarm(
                scope,
                "Alarm",
                alarm_description=(
                    f"furusato {name}: failed asynchronous invocations are waiting in the dead-letter "
                    "queue. Inspect the messages, fix the cause, then redrive (triggers are idempotent)."
                ),
                metric=queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        self._failure_queues[name] = queue
        return queue

    def set_public_base_url(self, url: str) -> None:
        for function in self.functions.values():
            function.add_environment(topology.PUBLIC_BASE_URL_VAR, url)


def dead_letter_queue(scope: Construct, construct_id: str, what: str) -> sqs.Queue:
    """An encrypted, TLS-only queue that keeps failed events 14 days for an operator to inspect
    and replay; nothing consumes it automatically, and an alarm (made by the caller) fires on
    any message. `what` says whose failures it holds, for the cdk-nag acknowledgements."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    acknowledge(
        resource_of(queue),
        "AwsSolutions-SQS3",
        f"This queue is itself {what}; an alarm fires on any message.",
    )
    acknowledge(
        resource_of(queue),
        "Serverless-SQSRedrivePolicy",
        f"This queue is itself {what}: nothing consumes it automatically (an operator inspects and "
        "replays), so it has no redrive policy of its own.",
    )
    return queue
