"""Secrets Manager secrets from `topology.SECRETS`.

Each holds a signing keyring, `{"active_kid": "k1", "k1": "<key>"}`, read by the functions that
declare the secret. The stack seeds it with one generated key (never in the template); rotation
adds a key and moves `active_kid` (see docs/deploy.md), as the local stack's keyring does.
"""

from __future__ import annotations

import json

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from furusato import topology

from .config import DeployConfig
from .nag import acknowledge, resource_of

FIRST_KEY_ID = "k1"


class Keyrings(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig) -> None:
        super().__init__(scope, construct_id)
        self.secrets: dict[str, secretsmanager.Secret] = {}
        for spec in topology.SECRETS:
            secret = secretsmanager.Secret(
                self,
                "".join(part.capitalize() for part in spec.name.split("-")),
                description=f"furusato {config.stage}: {spec.description}",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template=json.dumps({"active_kid": FIRST_KEY_ID}),
                    generate_string_key=FIRST_KEY_ID,
                    password_length=64,
                    exclude_punctuation=True,
                    include_space=False,
                ),
                removal_policy=config.removal_policy,
            )
            acknowledge(
                resource_of(secret),
                "AwsSolutions-SMG4",
                "A keyring is rotated by adding a key and moving active_kid while older keys stay valid "
                "for the tokens they signed; Secrets Manager's single-value rotation does not fit. "
                "The procedure is in docs/deploy.md.",
            )
            self.secrets[spec.name] = secret
