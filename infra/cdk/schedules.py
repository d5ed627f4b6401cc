"""EventBridge Scheduler schedules from `topology.SCHEDULES`, in their own time zone.

Each schedule invokes its function with `{"sweep": <name>, "scheduled_time": <the scheduled
time>}`: the sweep is keyed by the scheduled time, so a retried or redelivered invocation
converges on the same state. Delivery is retried; what cannot be delivered goes to the
function's encrypted, TLS-only dead-letter queue (alarmed), and so do invocations that still
fail after Lambda's own retries. A dedicated alarm fires on any error of a sweep function.
"""

from __future__ import annotations

import json

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from furusato import topology

from .config import DeployConfig
from .functions import Functions

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def schedule_input(name: str) -> str:
    return json.dumps({"sweep": name, "scheduled_time": SCHEDULED_TIME})


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        functions: Functions,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cloudwatch.Alarm] = []
        # Functions whose errors this construct alarms on (monitoring skips them).
        self.alarmed_functions: set[str] = set()
        roles: dict[str, iam.Role] = {}
        self.schedules: dict[str, scheduler.CfnSchedule] = {}

        for spec in topology.SCHEDULES:
            try:
                topology.function(spec.function)
            except KeyError:
                continue  # the target is not declared (yet): no schedule
            function = functions.functions[spec.function]
            dlq = functions.failure_queue(spec.function)

            if spec.function not in roles:
                roles[spec.function] = iam.Role(
                    self,
                    f"{spec.function}SchedulerRole",
                    description=f"EventBridge Scheduler invokes furusato {config.stage} {spec.function}",
                    assumed_by=iam.ServicePrincipal(
                        "scheduler.amazonaws.com",
                        conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                    ),
                    inline_policies={
                        "invoke": iam.PolicyDocument(
                            statements=[
                                iam.PolicyStatement(
                                    actions=["lambda:InvokeFunction"], resources=[function.function_arn]
                                ),
                                iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dlq.queue_arn]),
                            ]
                        )
                    },
                )
                self._alarm_on_errors(config, spec.function, functions)

            self.schedules[spec.name] = scheduler.CfnSchedule(
                self,
                f"{spec.name.capitalize()}Schedule",
                description=f"furusato {config.stage}: {spec.name} sweep ({spec.cron} {spec.timezone})",
                schedule_expression=spec.cron,
                schedule_expression_timezone=spec.timezone,
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                state="ENABLED",
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=function.function_arn,
                    role_arn=roles[spec.function].role_arn,
                    input=schedule_input(spec.name),
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_retry_attempts=5,
                        maximum_event_age_in_seconds=int(Duration.hours(2).to_seconds()),
                    ),
                    dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=dlq.queue_arn),
                ),
            )

    def _alarm_on_errors(self, config: DeployConfig, name: str, functions: Functions) -> None:
        function = functions.functions[name]
        self.alarms.append(
            cloudwatch.Alarm(
                self,
                f"{name}ErrorsAlarm",
                alarm_description=(
                    f"furusato {config.stage} {name}: a scheduled sweep failed. Sweeps are idempotent per "
                    "scheduled time: after fixing the cause, redrive the dead-letter queue or re-run it."
                ),
                metric=function.metric_errors(period=Duration.minutes(15), statistic="Sum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        self.alarmed_functions.add(name)
