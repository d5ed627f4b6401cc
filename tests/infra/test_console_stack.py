"""The console's distribution: private bucket behind CloudFront (OAC), SPA routing, security
headers, configuration written at deploy time, hosted sign-in with code + PKCE, LGWAN off by default."""

from __future__ import annotations

import re
from typing import Any

from tests.infra.test_stack import Template, flatten, props, resources


def one(template: Template, kind: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, kind)
    assert len(found) == 1, f"{kind}: {list(found)}"
    lid, res = next(iter(found.items()))
    return lid, props(res)


def distribution(template: Template) -> dict[str, Any]:
    return dict(one(template, "AWS::CloudFront::Distribution")[1]["DistributionConfig"])


def test_the_console_bucket_is_private_and_read_only_through_origin_access_control(
    template: Template,
) -> None:
    config = distribution(template)
    s3_origins = [o for o in config["Origins"] if "S3OriginConfig" in o]
    assert len(s3_origins) == 1 and s3_origins[0]["OriginAccessControlId"]
    bucket_lid = flatten(s3_origins[0]["DomainName"]).split(".")[0].strip("<")
    bucket = props(resources(template)[bucket_lid])
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "WebsiteConfiguration" not in bucket
    policies = [
        p
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if bucket_lid in flatten(props(p)["Bucket"])
    ]
    statements = [
        s for p in policies for s in props(p)["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"
    ]
    assert statements and all(s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in statements)
    assert all("AWS:SourceArn" in s["Condition"]["StringEquals"] for s in statements)


def test_app_routes_reach_index_html_and_the_api_shares_the_origin(template: Template) -> None:
    config = distribution(template)
    assert config["DefaultRootObject"] == "admin/index.html"
    default = config["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert [a["EventType"] for a in default["FunctionAssociations"]] == ["viewer-request"]
    _, function = one(template, "AWS::CloudFront::Function")
    assert (
        '"/admin/index.html"' in function["FunctionCode"] and "var RANGES = [];" in function["FunctionCode"]
    )
    api = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/v1/*"]
    assert len(api) == 1 and api[0]["ViewerProtocolPolicy"] == "https-only"
    assert "POST" in api[0]["AllowedMethods"] and "PATCH" in api[0]["AllowedMethods"]
    assert {e["ErrorCode"] for e in config["CustomErrorResponses"]} == {403, 404}


def test_security_headers_on_every_answer(template: Template) -> None:
    _, policy = one(template, "AWS::CloudFront::ResponseHeadersPolicy")
    security = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = flatten(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = {d.split()[0]: d for d in (part.strip() for part in csp.split(";"))}
    assert directives["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    config = distribution(template)
    behaviors = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    assert all(b.get("ResponseHeadersPolicyId") for b in behaviors)


def test_the_configuration_is_written_at_deploy_time_from_the_stacks_values(template: Template) -> None:
    _, deployment = one(template, "Custom::CDKBucketDeployment")
    assert deployment["DestinationBucketKeyPrefix"] == "admin/"
    markers = flatten(deployment.get("SourceMarkers", []))
    clients = resources(template, "AWS::Cognito::UserPoolClient")
    console_client = next(
        lid for lid, res in clients.items() if "console" in flatten(props(res)["ClientName"])
    )
    assert console_client in markers
    assert "StaffPool" in markers
    assert len(deployment["SourceObjectKeys"]) == 2  # the built app and config.json


def test_hosted_sign_in_uses_the_authorization_code_flow_of_a_public_client(template: Template) -> None:
    clients = resources(template, "AWS::Cognito::UserPoolClient")
    console = next(props(r) for r in clients.values() if "console" in flatten(props(r)["ClientName"]))
    assert console["AllowedOAuthFlows"] == ["code"]
    assert console.get("GenerateSecret") in (None, False)  # PKCE, no secret in a browser
    assert all(re.search(r"/admin/callback$", flatten(u)) for u in console["CallbackURLs"])
    assert "openid" in console["AllowedOAuthScopes"]
    assert console["SupportedIdentityProviders"] == ["COGNITO"]
    _, domain = one(template, "AWS::Cognito::UserPoolDomain")
    assert "StaffPool" in flatten(domain["UserPoolId"])


def test_the_lgwan_allow_list_is_off_by_default(template: Template) -> None:
    assert not resources(template, "AWS::WAFv2::IPSet")
    _, acl = one(template, "AWS::WAFv2::WebACL")
    assert "LgwanOnly" not in [r["Name"] for r in acl["Rules"]]


def test_the_imports_bucket_accepts_the_consoles_uploads(template: Template) -> None:
    domain = "ConsoleDistribution"
    buckets = [
        props(r)
        for r in resources(template, "AWS::S3::Bucket").values()
        if "-imports-" in flatten(props(r).get("BucketName", ""))
    ]
    rules = buckets[0]["CorsConfiguration"]["CorsRules"]
    assert any(domain in flatten(r["AllowedOrigins"]) and "POST" in r["AllowedMethods"] for r in rules)
