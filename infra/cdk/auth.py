"""Cognito: a registrant pool (self sign-up from the app) and a staff pool (invitation only).

Staff claims that decide access — `custom:lg_code`, `custom:staff_role`, `custom:org_id` — are
set by operators through the registration function (AdminCreateUser); the app client cannot
write them, so a staff member cannot widen their own access. Operators are staff-pool users in
the `operator` group.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from .config import DeployConfig
from .nag import acknowledge, resource_of

STAFF_CUSTOM_ATTRIBUTES = ("lg_code", "staff_role", "org_id")
OPERATOR_GROUP = "operator"


def _email(config: DeployConfig) -> cognito.UserPoolEmail | None:
    if not config.ses_from_email:
        return None
    return cognito.UserPoolEmail.with_ses(from_email=config.ses_from_email)


class Auth(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig) -> None:
        super().__init__(scope, construct_id)
        prefix = f"furusato-{config.stage}"

        plus = config.registrant_threat_protection
        self.registrant_pool = cognito.UserPool(
            self,
            "RegistrantPool",
            user_pool_name=f"{prefix}-registrants",
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS if plus else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION if plus else None
            ),
            email=_email(config),
            deletion_protection=config.retain_data,
            removal_policy=config.removal_policy,
        )
        self.registrant_client = self.registrant_pool.add_client(
            "AppClient",
            user_pool_client_name=f"{prefix}-app",
            auth_flows=cognito.AuthFlow(user_srp=True),
            disable_o_auth=True,
            generate_secret=False,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            read_attributes=cognito.ClientAttributes().with_standard_attributes(
                email=True, email_verified=True
            ),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True),
        )
        acknowledge(
            resource_of(self.registrant_pool),
            "AwsSolutions-COG2",
            "Registrants are members of the public signing up from the mobile app; TOTP MFA is offered "
            "(optional) but not forced. Their identity is bound by a signed identity-provider assertion "
            "(POST /v1/me/identity-verifications), and every staff account requires MFA.",
        )
        if not plus:
            acknowledge(
                resource_of(self.registrant_pool),
                "AwsSolutions-COG8",
                "The Plus feature plan is billed per monthly active user; at national scale for "
                "registrants it is an operator decision, switched on with "
                "-c registrant_threat_protection=true. The staff pool is always on Plus.",
            )

        custom_attributes: dict[str, cognito.ICustomAttribute] = {
            # Immutable: set once by AdminCreateUser, never changed by anyone (a different role
            # or government is a new account).
            "lg_code": cognito.StringAttribute(min_len=6, max_len=6, mutable=False),
            "staff_role": cognito.StringAttribute(min_len=3, max_len=16, mutable=False),
            "org_id": cognito.StringAttribute(min_len=1, max_len=64, mutable=False),
        }
        self.staff_pool = cognito.UserPool(
            self,
            "StaffPool",
            user_pool_name=f"{prefix}-staff",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            custom_attributes=custom_attributes,
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            user_invitation=cognito.UserInvitationConfig(
                email_subject="ふるさと住民登録 管理画面への招待 / Furusato staff invitation",
                email_body=(
                    "ふるさと住民登録の管理画面アカウントが作成されました。<br>"
                    "ユーザー名: {username}<br>仮パスワード: {####}<br><br>"
                    "A Furusato staff account was created for you. "
                    "User name: {username} Temporary password: {####}"
                ),
            ),
            email=_email(config),
            deletion_protection=config.retain_data,
            removal_policy=config.removal_policy,
        )
        self.operator_group = cognito.UserPoolGroup(
            self,
            "OperatorGroup",
            user_pool=self.staff_pool,
            group_name=OPERATOR_GROUP,
            description="National operators: onboard local governments and create their staff",
            precedence=0,
        )
        self.staff_client = self.staff_pool.add_client(
            "ToolsClient",
            user_pool_client_name=f"{prefix}-tools",
            auth_flows=cognito.AuthFlow(user_srp=True),
            disable_o_auth=True,
            generate_secret=False,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(*STAFF_CUSTOM_ATTRIBUTES),
            # Deliberately without the custom attributes (and without email, the sign-in name):
            # only operators change those, through AdminUpdateUserAttributes.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )
