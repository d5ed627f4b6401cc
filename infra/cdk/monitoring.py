"""Alarms and where they go: Lambda errors and throttles, API 5xx, plus the alarms of the other
constructs (dead-letter queues, sweeps), all to one encrypted SNS topic."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Aws, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from .config import DeployConfig


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        functions: dict[str, lambda_.Function],
        api: apigw.RestApi,
        alarms: Iterable[cloudwatch.Alarm] = (),
        skip_error_alarms: Iterable[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        # CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key.
        self.key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"furusato {config.stage} alarm topic",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"furusato {config.stage} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))

        self.alarms: list[cloudwatch.Alarm] = list(alarms)
        skip = set(skip_error_alarms)
        five_minutes = Duration.minutes(5)
        for name, function in functions.items():
            if name not in skip:
                self.alarms.append(
                    cloudwatch.Alarm(
                        self,
                        f"{name}Errors",
                        alarm_description=f"furusato {config.stage} {name}: unhandled errors (see its logs)",
                        metric=function.metric_errors(period=five_minutes, statistic="Sum"),
                        threshold=1,
                        evaluation_periods=1,
                        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                    )
                )
            self.alarms.append(
                cloudwatch.Alarm(
                    self,
                    f"{name}Throttles",
                    alarm_description=f"furusato {config.stage} {name}: invocations throttled",
                    metric=function.metric_throttles(period=five_minutes, statistic="Sum"),
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
        self.alarms.append(
            cloudwatch.Alarm(
                self,
                "Api5xx",
                alarm_description=f"furusato {config.stage} API: 5xx responses in at least 2 of 3 minutes",
                metric=api.metric_server_error(period=Duration.minutes(1), statistic="Sum"),
                threshold=1,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        action = cw_actions.SnsAction(self.topic)
        for alarm in self.alarms:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
