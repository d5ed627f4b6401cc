"""The REST API, built from every route of every function in `topology.FUNCTIONS`.

Registrant routes use the registrant pool's authorizer, staff and operator routes the staff
pool's (the handlers then check `lg_code`, `staff_role` and the `operator` group); public routes
have no authorizer. API Gateway's own error responses use the API's error envelope.
"""

from __future__ import annotations

import json
import re

from aws_cdk import Aws, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from furusato import topology

from .config import ROOT, WAF_WINDOW_S, DeployConfig
from .nag import acknowledge, resource_of

WEB_DIR = ROOT / "infra" / "web"

_PATH_PARAM = re.compile(r"{(\w+)}")

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "errorMessage": "$context.error.message",
    "authorizerError": "$context.authorizer.error",
    "sub": "$context.authorizer.claims.sub",
    "wafStatus": "$context.waf.status",
    "xrayTraceId": "$context.xrayTraceId",
}

# API Gateway's own errors (before a handler runs), in the API's error envelope.
GATEWAY_ERRORS: dict[str, tuple[apigw.ResponseType, str, str]] = {
    "Unauthorized": (apigw.ResponseType.UNAUTHORIZED, "401", "UNAUTHENTICATED"),
    "AccessDenied": (apigw.ResponseType.ACCESS_DENIED, "403", "FORBIDDEN"),
    "WafFiltered": (apigw.ResponseType.WAF_FILTERED, "403", "FORBIDDEN"),
    # A REST API answers an unknown path or method with this response type.
    "UnknownRoute": (apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "404", "NOT_FOUND"),
    "BadParameters": (apigw.ResponseType.BAD_REQUEST_PARAMETERS, "400", "VALIDATION_ERROR"),
    "BadBody": (apigw.ResponseType.BAD_REQUEST_BODY, "400", "VALIDATION_ERROR"),
    "TooLarge": (apigw.ResponseType.REQUEST_TOO_LARGE, "413", "PAYLOAD_TOO_LARGE"),
    "Throttled": (apigw.ResponseType.THROTTLED, "429", "RATE_LIMITED"),
    "QuotaExceeded": (apigw.ResponseType.QUOTA_EXCEEDED, "429", "RATE_LIMITED"),
    "Default5xx": (apigw.ResponseType.DEFAULT_5_XX, "503", "UNAVAILABLE"),
}


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        functions: dict[str, lambda_.Function],
        registrant_pool: cognito.IUserPool,
        staff_pool: cognito.IUserPool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        self.api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"furusato-{config.stage}",
            description="Furusato Resident Registration API (v1)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            binary_media_types=list(topology.BINARY_MEDIA_TYPES),
            # Execution logging needs the account-level API Gateway CloudWatch role.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=config.removal_policy,
            disable_execute_api_endpoint=bool(config.domain_name),
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                # A default each method gets for itself; the hot routes have their own.
                throttling_rate_limit=config.api_throttle_rate,
                throttling_burst_limit=config.api_throttle_burst,
                method_options=_route_throttles(config),
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT)),
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                # Request and response bodies carry personal data: never into execution logs.
                data_trace_enabled=False,
            ),
        )
        acknowledge(
            resource_of(self.api.node.find_child("CloudWatchRole")),
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway execution logging (AwsSolutions-APIG6) needs the account-level CloudWatch role; "
            "AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy documented for exactly "
            "that role, shared by every REST API of the account and region.",
        )
        self.validator = self.api.add_request_validator(
            "Basic", validate_request_body=True, validate_request_parameters=True
        )
        self._add_gateway_responses()

        authorizers: dict[str, apigw.CognitoUserPoolsAuthorizer] = {}

        def authorizer_for(auth: str) -> apigw.CognitoUserPoolsAuthorizer:
            pool_name = "registrant" if auth == "registrant" else "staff"
            if pool_name not in authorizers:
                authorizers[pool_name] = apigw.CognitoUserPoolsAuthorizer(
                    self,
                    f"{pool_name.capitalize()}Authorizer",
                    authorizer_name=f"furusato-{config.stage}-{pool_name}",
                    cognito_user_pools=[registrant_pool if pool_name == "registrant" else staff_pool],
                    identity_source="method.request.header.Authorization",
                    results_cache_ttl=Duration.minutes(5),
                )
            return authorizers[pool_name]

        integrations = {
            name: apigw.LambdaIntegration(function, allow_test_invoke=False, proxy=True)
            for name, function in functions.items()
        }
        self.methods: list[apigw.Method] = []
        for spec, route in topology.all_routes():
            resource = self.api.root.resource_for_path(route.path)
            parameters = {f"method.request.path.{name}": True for name in _PATH_PARAM.findall(route.path)}
            if route.auth == "public":
                method = resource.add_method(
                    route.method,
                    integrations[spec.name],
                    authorization_type=apigw.AuthorizationType.NONE,
                    request_validator=self.validator,
                    request_parameters=parameters or None,
                )
                reason = (
                    f"{route.method} {route.path} is declared public in furusato.topology, as the API "
                    "contract wants it readable without an account (health, the directory, public "
                    "activities); the stage is throttled and WAF-protected."
                )
                acknowledge(resource_of(method), "AwsSolutions-APIG4", reason)
                acknowledge(resource_of(method), "AwsSolutions-COG4", reason)
            else:
                method = resource.add_method(
                    route.method,
                    integrations[spec.name],
                    authorization_type=apigw.AuthorizationType.COGNITO,
                    authorizer=authorizer_for(route.auth),
                    request_validator=self.validator,
                    request_parameters=parameters or None,
                )
            self.methods.append(method)

        self._add_static_pages(config)

        self.base_url = (
            f"https://{self.api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{config.stage}"
        )
        self.domain: apigw.DomainName | None = None
        # The regional web ACL (None with -c waf=false); the console adds the LGWAN rule to it.
        self.web_acl: wafv2.CfnWebACL | None = None
        if config.domain_name and config.certificate_arn:
            self.domain = self.api.add_domain_name(
                "Domain",
                domain_name=config.domain_name,
                certificate=acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn),
                endpoint_type=apigw.EndpointType.REGIONAL,
                security_policy=apigw.SecurityPolicy.TLS_1_2,
            )
            self.base_url = f"https://{config.domain_name}"

        if config.waf:
            self._add_waf(config)
        else:
            acknowledge(
                resource_of(self.api.deployment_stage),
                "AwsSolutions-APIG3",
                "WAF switched off for this deployment with -c waf=false (e.g. a short-lived test stage); "
                "the stage keeps throttling, Cognito authorizers and request validation.",
            )

    def _add_static_pages(self, config: DeployConfig) -> None:
        """Pages served without a function (mock integrations): the check-in page a phone camera
        opens from a QR code, and the app-link files that let the OS open the app instead."""
        pages: list[tuple[str, str, str]] = [
            (page.path, page.content_type, (WEB_DIR / page.file).read_text())
            for page in topology.STATIC_PAGES
        ]
        if config.ios_app_ids:
            aasa = {
                "applinks": {
                    "details": [{"appIDs": list(config.ios_app_ids), "components": [{"/": "/checkin"}]}]
                }
            }
            pages.append(("/.well-known/apple-app-site-association", "application/json", json.dumps(aasa)))
        if config.android_apps:
            statements = [
                {
                    "relation": ["delegate_permission/common.handle_all_urls"],
                    "target": {
                        "namespace": "android_app",
                        "package_name": entry.split(":", 1)[0],
                        "sha256_cert_fingerprints": [entry.split(":", 1)[1]],
                    },
                }
                for entry in config.android_apps
            ]
            pages.append(("/.well-known/assetlinks.json", "application/json", json.dumps(statements)))
        headers = {
            "Content-Type": None,
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "public, max-age=300",
        }
        for path, content_type, body in pages:
            # `#[[ ... ]]#` keeps the body out of the Velocity template language.
            template = f"#[[{body}]]#"
            values = {**headers, "Content-Type": content_type}
            integration = apigw.MockIntegration(
                request_templates={"application/json": '{"statusCode": 200}'},
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="200",
                        response_templates={
                            content_type.split(";")[0]: template,
                            "application/json": template,
                        },
                        response_parameters={
                            f"method.response.header.{name}": f"'{value}'" for name, value in values.items()
                        },
                    )
                ],
            )
            method = self.api.root.resource_for_path(path).add_method(
                "GET",
                integration,
                authorization_type=apigw.AuthorizationType.NONE,
                request_validator=self.validator,
                method_responses=[
                    apigw.MethodResponse(
                        status_code="200",
                        response_parameters={f"method.response.header.{name}": True for name in values},
                    )
                ],
            )
            reason = (
                f"GET {path} is a static page for anyone who scans a poster without the app (or an "
                "app-link file the phone's OS fetches); it reads no data and has no function behind it."
            )
            acknowledge(resource_of(method), "AwsSolutions-APIG4", reason)
            acknowledge(resource_of(method), "AwsSolutions-COG4", reason)

    def _add_gateway_responses(self) -> None:
        for construct_id, (response_type, status, code) in GATEWAY_ERRORS.items():
            headers = {"Content-Type": "'application/json'"}
            if status in {"429", "503"}:
                headers["Retry-After"] = "'1'"
            self.api.add_gateway_response(
                construct_id,
                type=response_type,
                status_code=status,
                response_headers=headers,
                templates={
                    "application/json": (
                        '{"error": {"code": "' + code + '", "message": $context.error.messageString, '
                        '"details": {}}}'
                    )
                },
            )

    def _add_waf(self, config: DeployConfig) -> None:
        def managed(name: str, priority: int, *, count: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS",
                        name=name,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                            )
                            for rule in count
                        ]
                        or None,
                    )
                ),
                visibility_config=_visibility(name),
            )

        has_token = wafv2.CfnWebACL.StatementProperty(
            size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": "authorization"}),
                comparison_operator="GT",
                size=0,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        )
        authorized_path = path_matches(authorized_path_pattern(config.stage))
        # A token on a route with a Cognito authorizer: a made-up one is refused there (401) before
        # any function runs, and API Gateway bills no refused request.
        per_token = wafv2.CfnWebACL.StatementProperty(
            and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[authorized_path, has_token])
        )

        def rate_rule(
            name: str, priority: int, statement: wafv2.CfnWebACL.RateBasedStatementProperty
        ) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=statement),
                visibility_config=_visibility(name),
            )

        acl = self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(f"furusato-{config.stage}-api"),
            rules=[
                # Introduction pages and surveys can exceed the common rule set's 8 KB body limit;
                # the handlers enforce their own size limits (413).
                managed("AWSManagedRulesCommonRuleSet", 0, count=("SizeRestrictions_BODY",)),
                managed("AWSManagedRulesKnownBadInputsRuleSet", 1),
                managed("AWSManagedRulesAmazonIpReputationList", 2),
                # Public routes (with or without an Authorization header) and requests without a
                # token: per IP, so an unauthenticated flood is blocked at the edge.
                rate_rule(
                    "RatePerIp",
                    3,
                    wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=config.waf_rate_limit,
                        evaluation_window_sec=WAF_WINDOW_S,
                        aggregate_key_type="IP",
                        scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                            not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=per_token)
                        ),
                    ),
                ),
                # A token on an authorized route: per token, so that the many people behind one
                # venue's Wi-Fi or a carrier's NAT each have their own allowance.
                rate_rule(
                    "RatePerToken",
                    4,
                    wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=config.waf_rate_limit_per_token,
                        evaluation_window_sec=WAF_WINDOW_S,
                        aggregate_key_type="CUSTOM_KEYS",
                        custom_keys=[
                            wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
                                header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                                    name="authorization",
                                    text_transformations=[
                                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                    ],
                                )
                            )
                        ],
                        scope_down_statement=per_token,
                    ),
                ),
                # A ceiling per IP for everything: above a festival behind one address, not above
                # the smallest route throttle (config checks it), against made-up tokens rotated
                # from one address on the authorized routes.
                rate_rule(
                    "RatePerIpAll",
                    5,
                    wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=config.waf_rate_limit_per_ip_all,
                        evaluation_window_sec=WAF_WINDOW_S,
                        aggregate_key_type="IP",
                    ),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=acl.attr_arn,
        )


def _route_throttles(config: DeployConfig) -> dict[str, apigw.MethodDeploymentOptions]:
    declared = {(route.method, route.path) for _, route in topology.all_routes()}
    options = {}
    for (method, path), (rate, burst) in config.route_throttles.items():
        if (method, path) not in declared:
            raise ValueError(f"a throttle for {method} {path}, which furusato.topology does not declare")
        options[f"{path}/{method}"] = apigw.MethodDeploymentOptions(
            throttling_rate_limit=rate, throttling_burst_limit=burst
        )
    return options


def path_matches(pattern: str, *, decode: bool = False) -> wafv2.CfnWebACL.StatementProperty:
    """A web ACL statement matching the request's path against `pattern` after NORMALIZE_PATH
    (`//`, `./`, `../`), so that `/v1/me/../local-governments` counts as the route it may reach.
    `decode` URL-decodes first: right for a rule that blocks (`/v1/%61dmin/` is then a staff
    route too), wrong for one that lets a path through to a gentler limit, where an encoded
    `%2F..%2F` inside a path parameter would look like another route."""
    steps = ["URL_DECODE", "NORMALIZE_PATH"] if decode else ["NORMALIZE_PATH"]
    return wafv2.CfnWebACL.StatementProperty(
        regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            regex_string=pattern,
            text_transformations=[
                wafv2.CfnWebACL.TextTransformationProperty(priority=n, type=step)
                for n, step in enumerate(steps)
            ],
        )
    )


def authorized_path_pattern(stage: str) -> str:
    """A regular expression matching the paths under the roots whose routes all have a Cognito
    authorizer: `/v1/me`, `/v1/checkins`, `/v1/admin/...`, `/v1/operator/...` (from the topology),
    with or without the stage's name in front (the execute-api URL has it, a custom domain not).

    WAF keys these per token when they carry one; every other path, public or unknown, per IP
    whatever its headers, since nothing there refuses a made-up token."""
    routes = [route for _, route in topology.all_routes()]
    roots = sorted({"/".join(route.path.split("/")[:3]) for route in routes if route.auth != "public"})
    pattern = f"^(/{re.escape(stage)})?({'|'.join(re.escape(root) for root in roots)})(/.*)?$"
    public = [route.path for route in routes if route.auth == "public"]
    public += [page.path for page in topology.STATIC_PAGES]
    if any(re.match(pattern, path) for path in public):
        raise ValueError(f"a public route lies under an authorized root {roots}: key WAF by full path")
    return pattern


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )
