"""Event source mappings from table streams to their consumer functions (topology.STREAM_SOURCES).

Each mapping: records filtered by item type, partial batch responses (ReportBatchItemFailures),
a failed batch bisected, a bounded number of retries, then the record's metadata to a failure
queue (an alarm fires on any message), and an alarm when the function falls behind the stream.
The function's role gets read access to that one stream and nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from aws_cdk import CfnElement, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

from furusato import topology

from .functions import Functions, dead_letter_queue
from .nag import acknowledge, resource_of

STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
# The function is behind when the oldest record it is given is this old.
ITERATOR_AGE_ALARM = Duration.minutes(5)


def type_filters(item_types: tuple[str, ...]) -> list[Mapping[str, Any]]:
    """Lambda event filters: the new or the old image is an item of one of these types."""
    rule = {"S": lambda_.FilterRule.or_(*item_types)}
    return [
        lambda_.FilterCriteria.filter({"dynamodb": {"NewImage": {"type": rule}}}),
        lambda_.FilterCriteria.filter({"dynamodb": {"OldImage": {"type": rule}}}),
    ]


class Streams(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Functions,
        tables: dict[str, dynamodb.Table],
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cloudwatch.Alarm] = []
        self.mappings: list[lambda_.EventSourceMapping] = []
        for source in topology.STREAM_SOURCES:
            function = functions.functions[source.function]
            role = functions.roles[source.function]
            table = tables[source.table]
            if table.table_stream_arn is None:
                raise ValueError(f"table {source.table} has no stream: declare stream=True")
            source_scope = Construct(self, f"{source.table}To{source.function}")
            read = iam.Policy(
                source_scope,
                "ReadStream",
                statements=[
                    iam.PolicyStatement(
                        sid="ReadTheStream",
                        actions=list(STREAM_READ_ACTIONS),
                        resources=[table.table_stream_arn],
                    ),
                    iam.PolicyStatement(
                        sid="ListTheTableStreams",
                        actions=["dynamodb:ListStreams"],
                        resources=[f"{table.table_arn}/stream/*"],
                    ),
                ],
                roles=[role],
            )
            table_lid = Stack.of(self).resolve(cast(CfnElement, resource_of(table)).logical_id)
            acknowledge(
                resource_of(read),
                f"AwsSolutions-IAM5[Resource::<{table_lid}.Arn>/stream/*]",
                "dynamodb:ListStreams is granted on this one table's streams (the stream label "
                "changes when the stream is re-enabled); reads are granted on the current stream only.",
            )
            queue = dead_letter_queue(
                source_scope,
                "Failures",
                f"the on-failure destination of the {source.function} function's stream mapping "
                "(records that failed every retry)",
            )
            mapping = lambda_.EventSourceMapping(
                source_scope,
                "Mapping",
                target=function,
                event_source_arn=table.table_stream_arn,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=source.batch_size,
                max_batching_window=Duration.seconds(source.max_batching_window_s),
                bisect_batch_on_error=True,
                retry_attempts=source.retry_attempts,
                max_record_age=Duration.hours(24),
                report_batch_item_failures=True,
                on_failure=event_sources.SqsDlq(queue),
                filters=type_filters(source.item_types),
            )
            # Lambda checks the role when the mapping is created.
            mapping.node.add_dependency(read)
            self.mappings.append(mapping)
            self.alarms.append(
                cloudwatch.Alarm(
                    source_scope,
                    "FailuresAlarm",
                    alarm_description=(
                        f"furusato {source.function}: stream records failed every retry and were skipped; "
                        "their positions are in the failure queue. Fix the cause, then run the "
                        "statistics rebuild (or replay the records: consumers apply each change once)."
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
            self.alarms.append(
                cloudwatch.Alarm(
                    source_scope,
                    "IteratorAgeAlarm",
                    alarm_description=(
                        f"furusato {source.function}: the stream consumer is more than "
                        f"{ITERATOR_AGE_ALARM.to_minutes()} minutes behind (a failing record being retried, "
                        "or throttling); statistics and other derived records are late."
                    ),
                    metric=function.metric("IteratorAge", period=Duration.minutes(5), statistic="Maximum"),
                    threshold=ITERATOR_AGE_ALARM.to_milliseconds(),
                    evaluation_periods=2,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
