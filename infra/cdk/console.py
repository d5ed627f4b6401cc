"""The municipal console (管理画面) in AWS: a private bucket behind CloudFront.

- The built app (`console/dist`, made by `make console` before any synth: no Docker, offline) is
  copied under `admin/` of a private bucket by a BucketDeployment; CloudFront reads it through
  origin access control. A viewer-request function routes the app's deep links to `index.html`.
- `/v1/*` on the same distribution goes to the API, so the console calls it on its own origin
  (no CORS; tokens never leave it).
- Security headers on every answer: a CSP without inline scripts, HSTS, `frame-ancestors 'none'`,
  nosniff.
- `config.json` is written at deploy time from the stack's own values (user pool, the console's
  app client, the hosted sign-in domain): nothing is built into the app.
- With `lgwan_source_ranges`, the console and the staff and operator routes answer only those
  ranges: the CloudFront function checks the viewer's address, and the API's regional web ACL
  blocks staff and operator routes from elsewhere unless they come through this distribution
  (a header only CloudFront adds, whose value is a generated secret).
"""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from .api import Api, path_matches
from .auth import STAFF_CUSTOM_ATTRIBUTES
from .config import ROOT, ConfigError, DeployConfig
from .console_edge import staff_path_pattern, viewer_request_code
from .nag import acknowledge, resource_of

CONSOLE_DIST = ROOT / "console" / "dist"
PREFIX = "admin"
ORIGIN_VERIFY_HEADER = "x-furusato-origin-verify"


def content_security_policy(auth_domain: str) -> str:
    """As the local stack's (infra/local/console.py), plus the storage and sign-in endpoints."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            f"connect-src 'self' https://*.amazonaws.com {auth_domain}",
            "media-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action 'self' {auth_domain}",
            "frame-ancestors 'none'",
        ]
    )


class Console(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        api: Api,
        staff_pool: cognito.UserPool,
        access_logs: s3.IBucket,
        upload_buckets: list[s3.Bucket],
    ) -> None:
        super().__init__(scope, construct_id)
        if not (CONSOLE_DIST / "index.html").is_file():
            raise ConfigError("the console is not built: run `make console` (make synth and deploy do)")
        if config.lgwan_source_ranges and api.web_acl is None:
            raise ConfigError("'lgwan_source_ranges' needs the API's web ACL: leave 'waf' on")

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="console/",
            lifecycle_rules=[
                s3.LifecycleRule(id="old-builds", noncurrent_version_expiration=Duration.days(30))
            ],
            # Only the built app lives here: it is rebuilt from the repository at every deploy.
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )

        # The hosted sign-in: the staff pool's own domain and a public client with code + PKCE.
        prefix = config.console_auth_domain_prefix or Fn.join("-", ["furusato", config.stage, Aws.ACCOUNT_ID])
        self.domain = staff_pool.add_domain(
            "ConsoleDomain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )
        auth_domain = f"https://{self.domain.domain_name}.auth.{Aws.REGION}.amazoncognito.com"

        routing = cloudfront.Function(
            self,
            "ViewerRequest",
            code=cloudfront.FunctionCode.from_inline(viewer_request_code(config.lgwan_source_ranges)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Console routes to index.html; the LGWAN allow-list when configured",
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Console security headers: CSP without inline scripts, HSTS, no framing, nosniff",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(auth_domain), override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
            ),
        )
        function_associations = [
            cloudfront.FunctionAssociation(
                function=routing, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
            )
        ]

        # The API behind the same distribution; with the allow-list, a generated secret in a header
        # tells the API's web ACL that a request came through CloudFront (which checked the viewer).
        api_headers: dict[str, str] = {}
        verify: secretsmanager.Secret | None = None
        if config.lgwan_source_ranges:
            verify = secretsmanager.Secret(
                self,
                "OriginVerify",
                description="Header value CloudFront adds to console API calls (LGWAN allow-list)",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    exclude_punctuation=True, password_length=48
                ),
            )
            acknowledge(
                resource_of(verify),
                "AwsSolutions-SMG4",
                "The origin-verify value is shared by CloudFront and the web ACL only; rotating it "
                "means redeploying both, which the stack does on every deployment change.",
            )
            api_headers[ORIGIN_VERIFY_HEADER] = verify.secret_value.unsafe_unwrap()
        if api.domain is not None and config.domain_name:
            api_origin: cloudfront.IOrigin = origins.HttpOrigin(
                config.domain_name, custom_headers=api_headers
            )
        else:
            api_origin = origins.RestApiOrigin(api.api, custom_headers=api_headers)

        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"furusato {config.stage} municipal console",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                function_associations=function_associations,
                compress=True,
            ),
            additional_behaviors={
                "/v1/*": cloudfront.BehaviorOptions(
                    origin=api_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=headers,
                    function_associations=function_associations,
                )
            },
            default_root_object="admin/index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_ipv6=not config.lgwan_source_ranges,  # the allow-list is IPv4
            price_class=cloudfront.PriceClass.PRICE_CLASS_200,
            # A missing object answers the app, which shows its own "not found" page.
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=403, response_http_status=200, response_page_path="/admin/index.html"
                ),
                cloudfront.ErrorResponse(
                    http_status=404, response_http_status=200, response_page_path="/admin/index.html"
                ),
            ],
        )
        acknowledge(
            resource_of(self.distribution),
            "AwsSolutions-CFR3",
            "Standard CloudFront logs need an ACL-enabled bucket; the data buckets enforce bucket-owner "
            "ownership. The console's bucket logs its reads and the API logs every call it serves.",
        )
        acknowledge(
            resource_of(self.distribution),
            "AwsSolutions-CFR4",
            "The default CloudFront certificate enforces TLS 1.2 for viewers only with a custom "
            "domain; the console uses the distribution's own domain until one is configured.",
        )
        acknowledge(
            resource_of(self.distribution),
            "AwsSolutions-CFR1",
            "Geographic restriction is replaced by the LGWAN source-range allow-list (lgwan_source_ranges).",
        )
        acknowledge(
            resource_of(self.distribution),
            "AwsSolutions-CFR2",
            "A CloudFront web ACL must live in us-east-1; this stack is regional. The console's "
            "allow-list runs in the CloudFront function and the API keeps its regional web ACL.",
        )
        console_url = f"https://{self.distribution.distribution_domain_name}/{PREFIX}/"

        self.client = staff_pool.add_client(
            "ConsoleClient",
            user_pool_client_name=f"furusato-{config.stage}-console",
            generate_secret=False,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.PROFILE,
                    cognito.OAuthScope.COGNITO_ADMIN,
                ],
                callback_urls=[f"{console_url}callback"],
                logout_urls=[console_url],
            ),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(*STAFF_CUSTOM_ATTRIBUTES),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )

        # The app and its configuration, written at deploy time (the values are the stack's own).
        s3deploy.BucketDeployment(
            self,
            "Deploy",
            destination_bucket=self.bucket,
            destination_key_prefix=f"{PREFIX}/",
            sources=[
                s3deploy.Source.asset(str(CONSOLE_DIST)),
                s3deploy.Source.json_data(
                    "config.json",
                    {
                        "auth": "cognito",
                        "api_url": "",
                        "region": Aws.REGION,
                        "user_pool_id": staff_pool.user_pool_id,
                        "client_id": self.client.user_pool_client_id,
                        "auth_domain": auth_domain,
                    },
                ),
            ],
            distribution=self.distribution,
            distribution_paths=[f"/{PREFIX}/index.html", f"/{PREFIX}/config.json"],
            prune=True,
            memory_limit=512,
        )
        self._acknowledge_deployment_handler()
        self.console_url = console_url
        # The browser posts backfill files to the imports bucket and reads the import reports.
        for bucket in upload_buckets:
            bucket.add_cors_rule(
                allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.GET],
                allowed_origins=[f"https://{self.distribution.distribution_domain_name}"],
                allowed_headers=["*"],
                max_age=3000,
            )
        if verify is not None:
            self._restrict_staff_routes(config, api, verify)
        CfnOutput(self, "ConsoleUrl", value=console_url, description="The municipal console (管理画面)")

    def _acknowledge_deployment_handler(self) -> None:
        """The BucketDeployment's copy function is CDK's own singleton (one per stack)."""
        stack = Stack.of(self)
        handler = next(c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment"))
        why_copy = (
            "CDK's BucketDeployment copies the built console from the CDK asset bucket to the "
            "console bucket and invalidates CloudFront; its policy is generated by aws-s3-deployment."
        )
        for finding in (
            "AwsSolutions-IAM5[Action::s3:Abort*]",
            "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
            "AwsSolutions-IAM5[Action::s3:GetBucket*]",
            "AwsSolutions-IAM5[Action::s3:GetObject*]",
            "AwsSolutions-IAM5[Action::s3:List*]",
            "AwsSolutions-IAM5[Resource::*]",
            f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(resource_of(self.bucket))}.Arn>/*]",  # type: ignore[arg-type]
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        ):
            acknowledge(handler, finding, why_copy)
        for rule in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
            acknowledge(
                handler,
                rule,
                "The runtime of CDK's BucketDeployment function is chosen by aws-cdk-lib (it ships the AWS "
                "CLI layer for it) and moves with each aws-cdk-lib upgrade.",
            )
        acknowledge(
            handler,
            "Serverless-LambdaDLQ",
            "CDK's BucketDeployment function runs as a CloudFormation custom resource, invoked "
            "synchronously by the deployment: a failure fails and rolls back the deployment itself.",
        )
        acknowledge(
            handler,
            "Serverless-LambdaTracing",
            "CDK's BucketDeployment function only copies the built console during a deployment; "
            "tracing it would add nothing the CloudFormation events do not show.",
        )

    def _restrict_staff_routes(self, config: DeployConfig, api: Api, verify: secretsmanager.Secret) -> None:
        """Staff and operator routes on the API itself: only from the LGWAN ranges, or via CloudFront."""
        assert api.web_acl is not None
        ip_set = wafv2.CfnIPSet(
            self,
            "LgwanRanges",
            scope="REGIONAL",
            ip_address_version="IPV4",
            addresses=list(config.lgwan_source_ranges),
            description="LGWAN egress ranges of the governments",
        )
        text = wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
        staff_path = path_matches(staff_path_pattern(config.stage), decode=True)  # a block: match wide
        from_lgwan = wafv2.CfnWebACL.StatementProperty(
            ip_set_reference_statement=wafv2.CfnWebACL.IPSetReferenceStatementProperty(arn=ip_set.attr_arn)
        )
        via_cloudfront = wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                    single_header={"Name": ORIGIN_VERIFY_HEADER}
                ),
                positional_constraint="EXACTLY",
                search_string=verify.secret_value.unsafe_unwrap(),
                text_transformations=[text],
            )
        )
        rule = wafv2.CfnWebACL.RuleProperty(
            name="LgwanOnly",
            priority=10,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                and_statement=wafv2.CfnWebACL.AndStatementProperty(
                    statements=[
                        staff_path,
                        wafv2.CfnWebACL.StatementProperty(
                            not_statement=wafv2.CfnWebACL.NotStatementProperty(
                                statement=wafv2.CfnWebACL.StatementProperty(
                                    or_statement=wafv2.CfnWebACL.OrStatementProperty(
                                        statements=[from_lgwan, via_cloudfront]
                                    )
                                )
                            )
                        ),
                    ]
                )
            ),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name="LgwanOnly", sampled_requests_enabled=True
            ),
        )
        rules = api.web_acl.rules
        api.web_acl.rules = [*(rules if isinstance(rules, list) else []), rule]
