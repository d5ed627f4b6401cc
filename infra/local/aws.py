"""AWS stand-ins for the local stack and the tests: one moto server, resources from the topology."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from dataclasses import dataclass
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer

from furusato import topology
from infra.local import moto_dynamodb

REGION = "ap-northeast-1"
# moto accepts any credentials; fixed ones keep every client pointed at the same account.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoStack:
    server: ThreadedMotoServer
    endpoint_url: str

    def stop(self) -> None:
        self.server.stop()


def _cache_backend_lookup() -> None:
    """moto's server finds the backend for every request by listing its package directory and
    matching ~300 URL patterns: about a tenth of the local stack's CPU under load. The answer
    depends on the host name only, and the patterns never change while the server runs."""
    if getattr(DomainDispatcherApplication.get_backend_for_host, "cached", False):
        return
    lookup = DomainDispatcherApplication.get_backend_for_host
    found: dict[str | None, Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in found:
            found[host] = lookup(self, host)
        return found[host]

    get_backend_for_host.cached = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


def start_moto(port: int | None = None) -> MotoStack:
    port = port or free_port()
    moto_dynamodb.install()
    _cache_backend_lookup()
    # One log record per AWS call, formatted and kept by every log handler, for nothing.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return MotoStack(server, f"http://127.0.0.1:{port}")


def physical_name(logical: str, prefix: str = "furusato") -> str:
    return f"{prefix}-{logical}"


def client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
    )


def create_table(ddb: Any, table: topology.Table, name: str) -> None:
    keys = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    attrs = {table.partition_key}
    if table.sort_key:
        keys.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
        attrs.add(table.sort_key)
    indexes = []
    for index in table.indexes:
        schema = [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
        attrs.add(index.partition_key)
        if index.sort_key:
            schema.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
            attrs.add(index.sort_key)
        indexes.append(
            {"IndexName": index.name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}
        )
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": keys,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attrs)],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        kwargs["GlobalSecondaryIndexes"] = indexes
    if table.stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ddb.create_table(**kwargs)
    if table.ttl_attribute:
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
        )


def resource_names(prefix: str = "furusato") -> dict[str, str]:
    """The environment naming every table and bucket of the topology, without touching AWS."""
    return {
        **{table.env_var: physical_name(table.name, prefix) for table in topology.TABLES},
        **{bucket.env_var: physical_name(bucket.name, prefix) for bucket in topology.BUCKETS},
    }


def create_resources(endpoint_url: str, prefix: str = "furusato") -> dict[str, str]:
    """Create every table and bucket of the topology plus the staff user pool.

    Returns the environment the handlers need to find them.
    """
    env: dict[str, str] = {}
    ddb = client("dynamodb", endpoint_url)
    for table in topology.TABLES:
        name = physical_name(table.name, prefix)
        create_table(ddb, table, name)
        env[table.env_var] = name
    s3 = client("s3", endpoint_url)
    for bucket in topology.BUCKETS:
        name = physical_name(bucket.name, prefix)
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        # Versioned as in AWS: S3 events then carry the versionId that imports are keyed by.
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        env[bucket.env_var] = name
    secretsmanager = client("secretsmanager", endpoint_url)
    for secret in topology.SECRETS:
        name = physical_name(secret.name, prefix)
        arn = secretsmanager.create_secret(Name=name, SecretString=json.dumps(local_keyring()))["ARN"]
        env[secret.env_var] = arn
    cognito = client("cognito-idp", endpoint_url)
    pool = cognito.create_user_pool(
        PoolName=f"{prefix}-staff",
        Schema=[
            {"Name": "lg_code", "AttributeDataType": "String", "Mutable": False},
            {"Name": "staff_role", "AttributeDataType": "String", "Mutable": False},
            {"Name": "org_id", "AttributeDataType": "String", "Mutable": False},
        ],
    )
    env[topology.STAFF_USER_POOL_VAR] = pool["UserPool"]["Id"]
    return env


def local_keyring() -> dict[str, str]:
    """A fresh signing keyring, generated at start as the local stand-in for Secrets Manager's."""
    return {"active_kid": "local1", "local1": secrets.token_urlsafe(32)}


def base_environment(endpoint_url: str) -> dict[str, str]:
    """Variables that point every AWS client of this process at moto."""
    return {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        topology.STAGE_VAR: "local",
        "POWERTOOLS_SERVICE_NAME": "furusato",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Furusato",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


def reset_data(endpoint_url: str, prefix: str = "furusato") -> None:
    """Empty every table, bucket and user pool (tests start each case from nothing)."""
    cognito = client("cognito-idp", endpoint_url)
    for pool in cognito.list_user_pools(MaxResults=60)["UserPools"]:
        for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool["Id"]):
            for user in page["Users"]:
                cognito.admin_delete_user(UserPoolId=pool["Id"], Username=user["Username"])
    ddb = client("dynamodb", endpoint_url)
    for table in topology.TABLES:
        name = physical_name(table.name, prefix)
        ddb.delete_table(TableName=name)
        create_table(ddb, table, name)
    s3 = client("s3", endpoint_url)
    for bucket in topology.BUCKETS:
        name = physical_name(bucket.name, prefix)
        paginator = s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=name):
            objects = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if objects:
                s3.delete_objects(Bucket=name, Delete={"Objects": objects})
