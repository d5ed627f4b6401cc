"""S3 buckets from `topology.BUCKETS` (the imports bucket) and their ObjectCreated triggers.

Uploads and reports hold personal data: the bucket is private, TLS-only, versioned, encrypted,
logs its accesses to a separate log bucket and expires objects after the declared
`expire_days` (noncurrent versions a day later).

The notification is declared on the bucket itself (no CDK custom resource, so no extra Lambda):
the bucket has a deterministic name, which lets the invoke permission name the bucket without
a dependency cycle (bucket -> permission -> function -> role -> bucket).
"""

from __future__ import annotations

from typing import cast

from aws_cdk import Aws, Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from furusato import topology

from .config import DeployConfig
from .functions import BucketRef, Functions
from .nag import acknowledge, resource_of

# Longest region name today (ap-southeast-N, ap-northeast-N: 14) and an account id (12).
_MAX_BUCKET_NAME = 63


def bucket_ref(config: DeployConfig, spec: topology.Bucket) -> BucketRef:
    template = f"furusato-{config.stage}-{spec.name}-{{account}}-{{region}}"
    if len(template.format(account="0" * 12, region="x" * 14)) > _MAX_BUCKET_NAME:
        raise ValueError(f"bucket name for {spec.name!r} would exceed {_MAX_BUCKET_NAME} characters")
    name = template.format(account=Aws.ACCOUNT_ID, region=Aws.REGION)
    return BucketRef(
        name=name,
        arn=f"arn:{Aws.PARTITION}:s3:::{name}",
        nag_arn="arn:<AWS::Partition>:s3:::"
        + template.format(account="<AWS::AccountId>", region="<AWS::Region>"),
    )


class Imports(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(config.log_retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=config.removal_policy,
        )
        acknowledge(
            resource_of(self.access_logs),
            "AwsSolutions-S1",
            "This is the server access log destination of the data buckets; logging it into itself "
            "would create a log loop, and it is private, TLS-only and expires its objects.",
        )

        self.buckets: dict[str, s3.Bucket] = {}
        self.refs: dict[str, BucketRef] = {}
        cors = (
            [
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.POST],
                    allowed_origins=list(config.upload_cors_origins),
                    allowed_headers=["*"],
                    max_age=3000,
                )
            ]
            if config.upload_cors_origins
            else None
        )
        for spec in topology.BUCKETS:
            ref = bucket_ref(config, spec)
            rules = [
                s3.LifecycleRule(
                    id="noncurrent-and-incomplete",
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(id="expired-delete-markers", expired_object_delete_marker=True),
            ]
            if spec.expire_days:
                rules.insert(
                    0,
                    s3.LifecycleRule(id="expire-personal-data", expiration=Duration.days(spec.expire_days)),
                )
            bucket = s3.Bucket(
                self,
                f"{spec.name.capitalize()}Bucket",
                bucket_name=ref.name,
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                enforce_ssl=True,
                versioned=True,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=f"{spec.name}/",
                lifecycle_rules=rules,
                cors=cors,
                removal_policy=config.removal_policy,
            )
            self.buckets[spec.name] = bucket
            self.refs[spec.name] = ref

    def connect(self, functions: Functions) -> None:
        """Send ObjectCreated under each bucket's `notify_prefix` to its `notify_function`."""
        for spec in topology.BUCKETS:
            if not spec.notify_function:
                continue
            try:
                topology.function(spec.notify_function)
            except KeyError:
                continue  # the function is not declared (yet): no trigger
            function = functions.functions[spec.notify_function]
            ref = self.refs[spec.name]
            permission = lambda_.CfnPermission(
                self,
                f"{spec.name.capitalize()}InvokesFunction",
                action="lambda:InvokeFunction",
                function_name=function.function_arn,
                principal="s3.amazonaws.com",
                source_account=Aws.ACCOUNT_ID,
                source_arn=ref.arn,
            )
            key_filter = (
                s3.CfnBucket.NotificationFilterProperty(
                    s3_key=s3.CfnBucket.S3KeyFilterProperty(
                        rules=[s3.CfnBucket.FilterRuleProperty(name="prefix", value=spec.notify_prefix)]
                    )
                )
                if spec.notify_prefix
                else None
            )
            cfn_bucket = cast(s3.CfnBucket, self.buckets[spec.name].node.default_child)
            cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                lambda_configurations=[
                    s3.CfnBucket.LambdaConfigurationProperty(
                        event="s3:ObjectCreated:*",
                        function=function.function_arn,
                        filter=key_filter,
                    )
                ]
            )
            # S3 checks that it may invoke the function when the configuration is saved.
            cfn_bucket.node.add_dependency(permission)
            # S3 invokes asynchronously: events that still fail after Lambda's retries are kept.
            functions.failure_queue(spec.notify_function)
