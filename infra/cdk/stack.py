"""The furusato stack: composes one construct per capability, in dependency order."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from .api import Api
from .auth import Auth
from .config import DeployConfig
from .console import Console
from .data import Data
from .functions import Functions
from .imports import Imports
from .keyrings import Keyrings
from .layers import Layers
from .monitoring import Monitoring
from .schedules import Schedules
from .streams import Streams


class FurusatoStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Furusato Resident Registration backend ({config.stage})",
            **kwargs,
        )
        Tags.of(self).add("project", "furusato")
        Tags.of(self).add("stage", config.stage)

        data = Data(self, "Data", config=config)
        auth = Auth(self, "Auth", config=config)
        imports = Imports(self, "Imports", config=config)
        keyrings = Keyrings(self, "Keyrings", config=config)
        layers = Layers(self, "Layers")
        functions = Functions(
            self,
            "Functions",
            config=config,
            tables=data.tables,
            buckets=imports.refs,
            secrets=dict(keyrings.secrets),
            layers=layers,
            staff_pool=auth.staff_pool,
            registrant_pool=auth.registrant_pool,
        )
        imports.connect(functions)
        api = Api(
            self,
            "Api",
            config=config,
            functions=functions.functions,
            registrant_pool=auth.registrant_pool,
            staff_pool=auth.staff_pool,
        )
        functions.set_public_base_url(config.public_base_url or api.base_url)
        console = Console(
            self,
            "Console",
            config=config,
            api=api,
            staff_pool=auth.staff_pool,
            access_logs=imports.access_logs,
            upload_buckets=list(imports.buckets.values()),
        )
        schedules = Schedules(self, "Schedules", config=config, functions=functions)
        streams = Streams(self, "Streams", functions=functions, tables=data.tables)
        monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            functions=functions.functions,
            api=api.api,
            alarms=[*functions.alarms, *schedules.alarms, *streams.alarms],
            skip_error_alarms=schedules.alarmed_functions,
        )

        CfnOutput(self, "ApiUrl", value=api.base_url, description="Base URL of the API")
        if api.domain is not None:
            CfnOutput(
                self,
                "ApiDomainTarget",
                value=api.domain.domain_name_alias_domain_name,
                description="Point the custom domain's DNS (CNAME or alias) here",
            )
        CfnOutput(self, "RegistrantUserPoolId", value=auth.registrant_pool.user_pool_id)
        CfnOutput(self, "RegistrantAppClientId", value=auth.registrant_client.user_pool_client_id)
        CfnOutput(self, "StaffUserPoolId", value=auth.staff_pool.user_pool_id)
        CfnOutput(self, "StaffToolsClientId", value=auth.staff_client.user_pool_client_id)
        CfnOutput(self, "ConsoleClientId", value=console.client.user_pool_client_id)
        for name, bucket in imports.buckets.items():
            CfnOutput(self, f"{name.capitalize()}BucketName", value=bucket.bucket_name)
        for name, table in data.tables.items():
            CfnOutput(self, f"{name.capitalize()}TableName", value=table.table_name)
        CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
