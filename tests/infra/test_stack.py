"""Properties of the synthesized CloudFormation template, checked against `furusato.topology`.

Everything is read from the template of one `cdk synth` (see conftest.py); the topology is the
expectation, so adding a route, function, table, bucket or schedule there is covered here
without touching these tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from furusato import topology
from furusato.settings import ConfigurationError
from furusato.settings import load as load_settings

Template = dict[str, Any]

STAFF_CUSTOM_ATTRIBUTES = {"custom:lg_code", "custom:staff_role", "custom:org_id"}
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
MAX_RESOURCES = 500
REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------
# Helpers over the template dict


def resources(template: Template, type_: str | None = None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = template["Resources"]
    if type_ is None:
        return found
    return {lid: res for lid, res in found.items() if res["Type"] == type_}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = resource.get("Properties", {})
    return found


def ref_id(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` points at, else None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def logical_ids_in(value: Any) -> set[str]:
    """Every logical id referenced anywhere inside `value` (Ref, GetAtt, Join, Sub...)."""
    found: set[str] = set()
    if isinstance(value, dict):
        direct = ref_id(value)
        if direct and not direct.startswith("AWS::"):
            found.add(direct)
        for item in value.values():
            found |= logical_ids_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= logical_ids_in(item)
    return found


def flatten(value: Any) -> str:
    """A readable string of an intrinsic: Join/Sub/Ref rendered as `<Ref>` placeholders."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(flatten(v) for v in value)
    if isinstance(value, dict):
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return str(sep).join(flatten(p) for p in parts)
        if "Ref" in value:
            return f"<{value['Ref']}>"
        if "Fn::GetAtt" in value:
            return f"<{value['Fn::GetAtt'][0]}.{value['Fn::GetAtt'][1]}>"
    return json.dumps(value, sort_keys=True)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


CDK_BUCKET_DEPLOYMENT = "CustomCDKBucketDeployment"


def stage_name(cdk_context: dict[str, Any]) -> str:
    return str(cdk_context.get("stage", "dev"))


def functions_by_name(
    template: Template, cdk_context: dict[str, Any]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """topology function name -> (logical id, resource), by the deployed function name."""
    prefix = f"furusato-{stage_name(cdk_context)}-"
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for lid, res in resources(template, "AWS::Lambda::Function").items():
        if lid.startswith(CDK_BUCKET_DEPLOYMENT):
            continue  # CDK's own copy function of the console's BucketDeployment
        name = props(res).get("FunctionName", "")
        assert isinstance(name, str) and name.startswith(prefix), f"{lid} has no furusato function name"
        found[name.removeprefix(prefix)] = (lid, res)
    return found


def tables_by_name(template: Template) -> dict[str, str]:
    """topology table name -> logical id, matched on the key schema and the construct's name
    (tables may share a key schema)."""
    found: dict[str, str] = {}
    for spec in topology.TABLES:
        expected = [{"AttributeName": spec.partition_key, "KeyType": "HASH"}]
        if spec.sort_key:
            expected.append({"AttributeName": spec.sort_key, "KeyType": "RANGE"})
        matches = [
            lid
            for lid, res in resources(template, "AWS::DynamoDB::Table").items()
            if props(res)["KeySchema"] == expected and lid.startswith(f"Data{spec.name.capitalize()}Table")
        ]
        assert len(matches) == 1, f"table {spec.name}: expected one table keyed {expected}, found {matches}"
        found[spec.name] = matches[0]
    return found


def secrets_by_name(template: Template) -> dict[str, str]:
    """topology secret name -> logical id, matched on the description."""
    found: dict[str, str] = {}
    for spec in topology.SECRETS:
        matches = [
            lid
            for lid, res in resources(template, "AWS::SecretsManager::Secret").items()
            if spec.description in props(res).get("Description", "")
        ]
        assert len(matches) == 1, f"secret {spec.name}: {matches}"
        found[spec.name] = matches[0]
    return found


def api_paths(template: Template) -> dict[str, str]:
    """AWS::ApiGateway::Resource logical id -> full path."""
    api_resources = resources(template, "AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(lid: str) -> str:
        if lid not in paths:
            res = props(api_resources[lid])
            parent = res["ParentId"]
            parent_path = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
            paths[lid] = f"{parent_path}/{res['PathPart']}"
        return paths[lid]

    for lid in api_resources:
        path_of(lid)
    return paths


def template_routes(template: Template) -> dict[tuple[str, str], dict[str, Any]]:
    paths = api_paths(template)
    routes: dict[tuple[str, str], dict[str, Any]] = {}
    for res in resources(template, "AWS::ApiGateway::Method").values():
        p = props(res)
        resource_id = p["ResourceId"]
        path = "/" if "Fn::GetAtt" in resource_id else paths[resource_id["Ref"]]
        key = (p["HttpMethod"], path)
        assert key not in routes, f"duplicate method {key}"
        routes[key] = p
    return routes


def user_pools(template: Template) -> dict[str, str]:
    """'staff' / 'registrant' -> logical id: staff pools allow admin-created users only."""
    found: dict[str, str] = {}
    for lid, res in resources(template, "AWS::Cognito::UserPool").items():
        admin_only = props(res).get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly", False)
        kind = "staff" if admin_only else "registrant"
        assert kind not in found, f"two {kind} pools"
        found[kind] = lid
    assert set(found) == {"staff", "registrant"}
    return found


def role_statements(template: Template, role_lid: str) -> list[dict[str, Any]]:
    """Every statement granted to a role: its inline policies and the policies attached to it."""
    role = props(resources(template)[role_lid])
    assert not role.get("ManagedPolicyArns"), f"{role_lid} uses managed policies"
    statements: list[dict[str, Any]] = []
    for policy in role.get("Policies", []):
        statements += policy["PolicyDocument"]["Statement"]
    for res in resources(template).values():
        if res["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            attached = {ref_id(r) for r in props(res).get("Roles", [])}
            if role_lid in attached:
                statements += props(res)["PolicyDocument"]["Statement"]
    return statements


def all_cfn_nag_acknowledgements(template: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    for lid, res in resources(template).items():
        for rule in res.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            yield lid, rule


# --------------------------------------------------------------------------------------------
# DynamoDB


def test_every_topology_table_exists_once_with_its_keys(template: Template) -> None:
    tables = tables_by_name(template)
    assert len(resources(template, "AWS::DynamoDB::Table")) == len(topology.TABLES)
    for spec in topology.TABLES:
        p = props(resources(template)[tables[spec.name]])
        key_names = [spec.partition_key, spec.sort_key]
        for index in spec.indexes:
            key_names += [index.partition_key, index.sort_key]
        expected_attrs = {(name, "S") for name in key_names if name}
        assert {(a["AttributeName"], a["AttributeType"]) for a in p["AttributeDefinitions"]} == expected_attrs


def test_global_secondary_indexes_exactly_as_declared(template: Template) -> None:
    tables = tables_by_name(template)
    for spec in topology.TABLES:
        p = props(resources(template)[tables[spec.name]])
        actual = {
            gsi["IndexName"]: (gsi["KeySchema"], gsi["Projection"]["ProjectionType"])
            for gsi in p.get("GlobalSecondaryIndexes", [])
        }
        expected = {}
        for index in spec.indexes:
            schema = [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
            if index.sort_key:
                schema.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
            expected[index.name] = (schema, "ALL")
        assert actual == expected, spec.name
        assert not p.get("LocalSecondaryIndexes")


def test_tables_on_demand_pitr_encrypted_ttl_and_streams(template: Template) -> None:
    tables = tables_by_name(template)
    for spec in topology.TABLES:
        p = props(resources(template)[tables[spec.name]])
        assert p["BillingMode"] == "PAY_PER_REQUEST", spec.name
        assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, spec.name
        assert p["SSESpecification"]["SSEEnabled"] is True, spec.name
        if spec.ttl_attribute:
            assert p["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in p
        if spec.stream:
            assert p["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES", spec.name
        else:
            assert "StreamSpecification" not in p, spec.name


# --------------------------------------------------------------------------------------------
# API Gateway


def test_api_routes_equal_topology_routes(template: Template) -> None:
    expected = {(route.method, route.path) for _, route in topology.all_routes()}
    pages = {("GET", page.path) for page in topology.STATIC_PAGES}
    assert set(template_routes(template)) == expected | pages
    local = {(route.method, route.path) for route in topology.LOCAL_ROUTES}
    assert not local & set(template_routes(template)), "local-only routes must never be deployed"


def test_static_pages_are_mock_integrations_serving_their_file(template: Template) -> None:
    """The page a phone camera opens from a QR code exists in AWS as it does locally."""
    routes = template_routes(template)
    for page in topology.STATIC_PAGES:
        method = routes[("GET", page.path)]
        assert method["AuthorizationType"] == "NONE"
        integration = method["Integration"]
        assert integration["Type"] == "MOCK"
        (response,) = integration["IntegrationResponses"]
        body = (REPO / "infra" / "web" / page.file).read_text()
        assert response["ResponseTemplates"]["text/html"] == f"#[[{body}]]#"
        headers = response["ResponseParameters"]
        assert headers["method.response.header.Content-Type"] == f"'{page.content_type}'"
        assert "frame-ancestors 'none'" in headers["method.response.header.Content-Security-Policy"]


def test_route_authorization_matches_declared_auth(template: Template) -> None:
    routes = template_routes(template)
    pools = user_pools(template)
    authorizers = resources(template, "AWS::ApiGateway::Authorizer")
    for _, route in topology.all_routes():
        method = routes[(route.method, route.path)]
        where = f"{route.method} {route.path}"
        if route.auth == "public":
            assert method["AuthorizationType"] == "NONE", where
            assert "AuthorizerId" not in method, where
            continue
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS", where
        authorizer = props(authorizers[method["AuthorizerId"]["Ref"]])
        assert authorizer["Type"] == "COGNITO_USER_POOLS"
        assert authorizer["IdentitySource"] == "method.request.header.Authorization"
        provider_pools = {ref_id(arn) for arn in authorizer["ProviderARNs"]}
        expected_pool = pools["registrant"] if route.auth == "registrant" else pools["staff"]
        assert provider_pools == {expected_pool}, f"{where} ({route.auth}) uses {provider_pools}"


def test_routes_integrate_with_their_function_as_lambda_proxy(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    routes = template_routes(template)
    functions = functions_by_name(template, cdk_context)
    for fn, route in topology.all_routes():
        integration = routes[(route.method, route.path)]["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        assert logical_ids_in(integration["Uri"]) == {functions[fn.name][0]}, f"{route.method} {route.path}"


def test_path_parameters_are_required_and_validated(template: Template) -> None:
    validators = resources(template, "AWS::ApiGateway::RequestValidator")
    assert len(validators) == 1
    (validator_lid, validator), *_ = validators.items()
    assert props(validator)["ValidateRequestBody"] is True
    assert props(validator)["ValidateRequestParameters"] is True
    for (http_method, path), method in template_routes(template).items():
        assert method["RequestValidatorId"] == {"Ref": validator_lid}, f"{http_method} {path}"
        expected = {f"method.request.path.{name}": True for name in re.findall(r"{(\w+)}", path)}
        assert method.get("RequestParameters", {}) == expected, f"{http_method} {path}"


# The routes with their own throttle, by the prefix of their context keys.
ROUTE_THROTTLES = {
    ("GET", "/v1/me"): "me",
    ("GET", "/v1/me/card"): "card",
    ("POST", "/v1/checkins"): "checkin",
    ("GET", "/v1/local-governments"): "directory",
}


def test_stage_throttling_access_logs_tracing_and_metrics(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    stages = resources(template, "AWS::ApiGateway::Stage")
    assert len(stages) == 1
    stage = props(next(iter(stages.values())))
    assert stage["StageName"] == stage_name(cdk_context)
    assert stage["TracingEnabled"] is True
    settings = {(s["HttpMethod"], s["ResourcePath"]): s for s in stage["MethodSettings"]}
    everything = settings[("*", "/*")]
    assert everything["ThrottlingRateLimit"] == cdk_context["api_throttle_rate"]
    assert everything["ThrottlingBurstLimit"] == cdk_context["api_throttle_burst"]
    assert everything["MetricsEnabled"] is True
    assert everything["LoggingLevel"] in {"ERROR", "INFO"}
    assert everything["DataTraceEnabled"] is False, "bodies carry personal data"

    access = stage["AccessLogSetting"]
    (log_group_lid,) = logical_ids_in(access["DestinationArn"])
    log_group = resources(template)[log_group_lid]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert props(log_group)["RetentionInDays"] > 0
    fields = json.loads(access["Format"])
    assert fields["requestId"] == "$context.requestId"
    assert {"status", "httpMethod", "resourcePath", "ip"} <= set(fields)


def test_hot_routes_have_their_own_throttle_sized_for_national_scale(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    (stage,) = (props(s) for s in resources(template, "AWS::ApiGateway::Stage").values())
    settings = {(s["HttpMethod"], s["ResourcePath"]): s for s in stage["MethodSettings"]}
    own = {key: value for key, value in settings.items() if key != ("*", "/*")}
    expected = {
        (method, "/" + path.replace("/", "~1")): prefix for (method, path), prefix in ROUTE_THROTTLES.items()
    }
    assert set(own) == set(expected), "a throttled route is missing, or one is throttled unannounced"
    limits = {}
    for key, prefix in expected.items():
        rate, burst = own[key]["ThrottlingRateLimit"], own[key]["ThrottlingBurstLimit"]
        assert (rate, burst) == (
            cdk_context[f"{prefix}_throttle_rate"],
            cdk_context[f"{prefix}_throttle_burst"],
        )
        limits[prefix] = (rate, burst)
    # docs/capacity.md: a push campaign brings 10,000 first accesses/s of GET /v1/me; a festival's
    # gate 1,000 scans in a burst and 200/s sustained, each shown the card first; the directory
    # 50 app starts/s.
    assert limits["me"][0] >= 10_000
    assert limits["checkin"][0] >= 200 and limits["checkin"][1] >= 1_000
    assert limits["card"][0] >= limits["checkin"][1] and limits["card"][1] >= limits["checkin"][1]
    assert limits["directory"][0] >= 10 * 50
    # Every method, those without their own throttle too, takes at least what one address may
    # send through WAF: one address never empties a route's bucket.
    slowest = min([cdk_context["api_throttle_rate"], *(rate for rate, _ in limits.values())])
    assert cdk_context["waf_rate_limit_per_ip_all"] <= 300 * slowest


def test_gateway_errors_use_the_api_error_envelope(template: Template) -> None:
    responses = {
        props(r)["ResponseType"]: props(r)
        for r in resources(template, "AWS::ApiGateway::GatewayResponse").values()
    }
    expected = {"UNAUTHORIZED": ("401", "UNAUTHENTICATED"), "THROTTLED": ("429", "RATE_LIMITED")}
    for response_type, (status, code) in expected.items():
        response = responses[response_type]
        assert response["StatusCode"] == status
        body = response["ResponseTemplates"]["application/json"]
        assert f'"code": "{code}"' in body


def _waf_field(field: dict[str, Any], request: dict[str, Any]) -> str:
    if "UriPath" in field:
        return str(request["path"])
    if "SingleHeader" in field:
        return str(request["headers"].get(field["SingleHeader"]["Name"].lower(), ""))
    raise AssertionError(f"field not understood by this test: {field}")


def _normalize_path(path: str) -> str:
    """WAF's NORMALIZE_PATH: no repeated slashes, `./` and `../` resolved."""
    parts: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if parts:
                parts.pop()
        elif segment not in {"", "."}:
            parts.append(segment)
    return "/" + "/".join(parts) + ("/" if path.endswith("/") and parts else "")


def _waf_text(statement: dict[str, Any], request: dict[str, Any]) -> str:
    text = _waf_field(statement["FieldToMatch"], request)
    for transformation in sorted(statement["TextTransformations"], key=lambda t: t["Priority"]):
        if transformation["Type"] == "NORMALIZE_PATH":
            text = _normalize_path(text)
        else:
            assert transformation["Type"] == "NONE", transformation
    return text


def waf_matches(statement: dict[str, Any], request: dict[str, Any]) -> bool:
    """Evaluate the WAF statements this stack uses against a request {path, headers}."""
    if "AndStatement" in statement:
        return all(waf_matches(s, request) for s in statement["AndStatement"]["Statements"])
    if "OrStatement" in statement:
        return any(waf_matches(s, request) for s in statement["OrStatement"]["Statements"])
    if "NotStatement" in statement:
        return not waf_matches(statement["NotStatement"]["Statement"], request)
    if "SizeConstraintStatement" in statement:
        size = statement["SizeConstraintStatement"]
        assert size["ComparisonOperator"] == "GT", size
        return len(_waf_text(size, request)) > size["Size"]
    if "RegexMatchStatement" in statement:
        regex = statement["RegexMatchStatement"]
        return re.search(regex["RegexString"], _waf_text(regex, request)) is not None
    raise AssertionError(f"statement not understood by this test: {statement}")


def _rate_rules(template: Template) -> dict[str, dict[str, Any]]:
    (acl,) = resources(template, "AWS::WAFv2::WebACL").values()
    return {
        r["Name"]: r["Statement"]["RateBasedStatement"]
        for r in props(acl)["Rules"]
        if "RateBasedStatement" in r["Statement"]
    }


def rate_keys(template: Template, request: dict[str, Any]) -> dict[str, str]:
    """Rate rule name -> what it counts the request under ("IP" or a header's name)."""
    keys = {}
    for name, rate in _rate_rules(template).items():
        scope = rate.get("ScopeDownStatement")
        if scope is not None and not waf_matches(scope, request):
            continue
        if rate["AggregateKeyType"] == "IP":
            keys[name] = "IP"
        else:
            assert rate["AggregateKeyType"] == "CUSTOM_KEYS"
            (key,) = rate["CustomKeys"]
            keys[name] = key["Header"]["Name"]
    return keys


def _request(path: str, token: str | None) -> dict[str, Any]:
    return {"path": path, "headers": {"authorization": token} if token is not None else {}}


def _example_path(template_path: str) -> str:
    return re.sub(r"{\w+}", "x1", template_path)


def test_waf_protects_the_stage(template: Template, cdk_context: dict[str, Any]) -> None:
    if not cdk_context.get("waf", True):
        pytest.skip("WAF switched off in cdk.json")
    stage_lid = next(iter(resources(template, "AWS::ApiGateway::Stage")))
    associations = resources(template, "AWS::WAFv2::WebACLAssociation").values()
    assert any(stage_lid in logical_ids_in(props(a)["ResourceArn"]) for a in associations)
    rates = _rate_rules(template)
    assert set(rates) == {"RatePerIp", "RatePerToken", "RatePerIpAll"}
    assert all(rate["EvaluationWindowSec"] == 300 for rate in rates.values())
    assert rates["RatePerIp"]["Limit"] == cdk_context["waf_rate_limit"]
    assert rates["RatePerToken"]["Limit"] == cdk_context["waf_rate_limit_per_token"]
    # The ceiling per address: above the public per-IP limit, and at most the stage default
    # (each method's own bucket) over the window.
    assert (
        cdk_context["waf_rate_limit"]
        <= rates["RatePerIpAll"]["Limit"]
        == cdk_context["waf_rate_limit_per_ip_all"]
        <= 300 * cdk_context["api_throttle_rate"]
    )


def test_waf_keys_public_routes_per_ip_whatever_their_authorization_header(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    if not cdk_context.get("waf", True):
        pytest.skip("WAF switched off in cdk.json")
    prefixes = ("", f"/{stage_name(cdk_context)}")  # a custom domain, the execute-api URL
    public = [route.path for _, route in topology.all_routes() if route.auth == "public"]
    public += [page.path for page in topology.STATIC_PAGES]
    # Paths that lead to a public route (or to none) although they name an authorized one.
    public += ["/v1/me/../local-governments", "/v1//me/../../v1/local-governments", "/v1/meow"]
    public += ["/v1/local-governments/%2E%2E%2Fv1%2Fme"]
    for prefix in prefixes:
        for path in public:
            for token in (None, "Bearer made-up", "x" * 2000):
                keys = rate_keys(template, _request(prefix + _example_path(path), token))
                assert keys == {"RatePerIp": "IP", "RatePerIpAll": "IP"}, (prefix + path, token)


def test_waf_keys_authorized_routes_per_token_and_requests_without_one_per_ip(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    if not cdk_context.get("waf", True):
        pytest.skip("WAF switched off in cdk.json")
    authorized = [route.path for _, route in topology.all_routes() if route.auth != "public"]
    assert "/v1/me" in authorized and "/v1/checkins" in authorized
    for prefix in ("", f"/{stage_name(cdk_context)}"):
        for path in authorized:
            request_path = prefix + _example_path(path)
            # Many people behind one address: each token is counted apart, the address only by
            # the ceiling for all.
            with_token = rate_keys(template, _request(request_path, "Bearer eyJ.a.b"))
            assert with_token == {"RatePerToken": "authorization", "RatePerIpAll": "IP"}, request_path
            # Without a token nothing reaches a function, yet the address is counted.
            for headers in (None, ""):
                without = rate_keys(template, _request(request_path, headers))
                assert without == {"RatePerIp": "IP", "RatePerIpAll": "IP"}, request_path


# --------------------------------------------------------------------------------------------
# Cognito


def test_staff_pool_is_invitation_only_with_mfa_and_protected_attributes(template: Template) -> None:
    pools = user_pools(template)
    staff = props(resources(template)[pools["staff"]])
    assert staff["MfaConfiguration"] == "ON"
    schema = {f"custom:{attr['Name']}": attr for attr in staff["Schema"] if "Name" in attr}
    assert STAFF_CUSTOM_ATTRIBUTES <= set(schema)
    # Set once at creation: nobody, not even an admin API, changes a government or a role.
    assert all(schema[name]["Mutable"] is False for name in STAFF_CUSTOM_ATTRIBUTES)
    policy = staff["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(
        policy[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )

    clients = [
        props(c)
        for c in resources(template, "AWS::Cognito::UserPoolClient").values()
        if ref_id(props(c)["UserPoolId"]) == pools["staff"]
    ]
    assert clients, "the staff pool has no app client"
    for client in clients:
        assert "WriteAttributes" in client, "without WriteAttributes every attribute is writable"
        assert not STAFF_CUSTOM_ATTRIBUTES & set(client["WriteAttributes"])
        assert STAFF_CUSTOM_ATTRIBUTES <= set(client["ReadAttributes"])


def test_operator_group_is_in_the_staff_pool(template: Template) -> None:
    pools = user_pools(template)
    groups = {
        props(g)["GroupName"]: ref_id(props(g)["UserPoolId"])
        for g in resources(template, "AWS::Cognito::UserPoolGroup").values()
    }
    assert groups.get("operator") == pools["staff"]


def test_registrant_pool_allows_self_sign_up_by_email(template: Template) -> None:
    pools = user_pools(template)
    registrant = props(resources(template)[pools["registrant"]])
    assert registrant.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly", False) is False
    assert registrant["AutoVerifiedAttributes"] == ["email"]
    assert registrant["UsernameAttributes"] == ["email"]
    assert registrant["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12


# --------------------------------------------------------------------------------------------
# Lambda


def test_one_function_per_topology_function_and_no_other(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    functions = functions_by_name(template, cdk_context)
    assert set(functions) == {fn.name for fn in topology.FUNCTIONS}


def test_functions_runtime_architecture_tracing_layers_and_logs(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    layers = {lid for lid in resources(template, "AWS::Lambda::LayerVersion") if "AwsCliLayer" not in lid}
    assert len(layers) == 2
    for spec in topology.FUNCTIONS:
        _, res = functions_by_name(template, cdk_context)[spec.name]
        p = props(res)
        assert p["Runtime"] == "python3.11", spec.name
        assert p["Architectures"] == ["arm64"], spec.name
        assert p["Handler"] == spec.handler, spec.name
        assert p["TracingConfig"] == {"Mode": "Active"}, spec.name
        assert p["MemorySize"] == spec.memory_mb, spec.name
        assert p["Timeout"] == spec.timeout_s, spec.name
        assert {ref_id(layer) for layer in p["Layers"]} == layers, spec.name
        log_group = resources(template)[ref_id(p["LoggingConfig"]["LogGroup"]) or ""]
        assert log_group["Type"] == "AWS::Logs::LogGroup"
        assert props(log_group)["RetentionInDays"] > 0, spec.name


def test_function_environment_names_only_what_it_uses(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    tables = tables_by_name(template)
    secrets = secrets_by_name(template)
    pools = user_pools(template)
    for spec in topology.FUNCTIONS:
        env = props(functions_by_name(template, cdk_context)[spec.name][1])["Environment"]["Variables"]
        assert env["FURUSATO_STAGE"] == stage_name(cdk_context)
        assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
        for name in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"):
            assert env[name], f"{spec.name}: {name}"
        assert "FURUSATO_PUBLIC_BASE_URL" in env
        for table in topology.TABLES:
            if table.name in spec.tables:
                assert ref_id(env[table.env_var]) == tables[table.name], f"{spec.name}: {table.env_var}"
            else:
                assert table.env_var not in env, f"{spec.name} gets {table.env_var} without declaring it"
        for bucket in topology.BUCKETS:
            assert (bucket.env_var in env) == (bucket.name in spec.buckets), f"{spec.name}: {bucket.env_var}"
            if bucket.name in spec.buckets:
                assert f"-{bucket.name}-" in flatten(env[bucket.env_var])
        for secret in topology.SECRETS:
            if secret.name in spec.secrets:
                assert ref_id(env[secret.env_var]) == secrets[secret.name], f"{spec.name}: {secret.env_var}"
            else:
                assert secret.env_var not in env, f"{spec.name} gets {secret.env_var} without declaring it"
        if spec.manages_staff:
            assert ref_id(env["FURUSATO_STAFF_USER_POOL_ID"]) == pools["staff"]
            assert ref_id(env["FURUSATO_REGISTRANT_USER_POOL_ID"]) == pools["registrant"]
        else:
            assert "FURUSATO_STAFF_USER_POOL_ID" not in env
            assert "FURUSATO_REGISTRANT_USER_POOL_ID" not in env


def test_function_environment_satisfies_settings(template: Template, cdk_context: dict[str, Any]) -> None:
    """Each function's cold start finds every variable Settings requires of it (the names come
    from the topology), and the check is real: without any one of them it fails, naming it."""
    for spec in topology.FUNCTIONS:
        variables = props(functions_by_name(template, cdk_context)[spec.name][1])["Environment"]["Variables"]
        # Resolved at deploy time (Refs, attributes): any non-empty text stands for them here.
        env = {name: value if isinstance(value, str) else f"<{name}>" for name, value in variables.items()}
        assert env[topology.FUNCTION_VAR] == spec.name
        assert set(topology.required_environment(spec)) <= set(env), spec.name
        env["AWS_LAMBDA_FUNCTION_NAME"] = f"furusato-{spec.name}"  # set by the Lambda runtime
        configured = load_settings(env)
        assert configured.function == spec.name and not configured.is_local
        for name in topology.required_environment(spec):
            without = {k: v for k, v in env.items() if k != name}
            with pytest.raises(ConfigurationError, match=name):
                load_settings(without)


def test_function_roles_grant_only_declared_tables_buckets_and_pools(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    tables = tables_by_name(template)
    table_ids = set(tables.values())
    secrets = secrets_by_name(template)
    pools = user_pools(template)
    for spec in topology.FUNCTIONS:
        _, res = functions_by_name(template, cdk_context)[spec.name]
        role_lid = ref_id(props(res)["Role"]) or ""
        statements = role_statements(template, role_lid)
        read_tables: set[str] = set()
        write_tables: set[str] = set()
        s3_resources: list[str] = []
        cognito_pools: set[str] = set()
        read_secrets: set[str] = set()
        for statement in statements:
            assert statement["Effect"] == "Allow"
            actions = as_list(statement["Action"])
            targets = as_list(statement["Resource"])
            services = {action.split(":")[0] for action in actions}
            assert len(services) == 1, f"{spec.name}: mixed services in one statement {actions}"
            service = services.pop()
            assert not any(action.endswith("*") for action in actions), (
                f"{spec.name}: wildcard action {actions}"
            )
            if "*" in targets:
                assert service == "xray", f"{spec.name}: Resource '*' for {actions}"
            if service == "dynamodb":
                assert "dynamodb:Scan" not in actions, f"{spec.name}: request paths never Scan"
                referenced = set().union(*(logical_ids_in(t) for t in targets))
                assert referenced <= table_ids
                read_tables |= referenced
                if any(
                    a in actions for a in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
                ):
                    write_tables |= referenced
            elif service == "s3":
                s3_resources += [flatten(t) for t in targets]
            elif service == "secretsmanager":
                assert set(actions) <= {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
                read_secrets |= set().union(*(logical_ids_in(t) for t in targets))
            elif service == "cognito-idp":
                cognito_pools |= set().union(*(logical_ids_in(t) for t in targets))
            elif service == "lambda":
                # Only a scheduled sweep may invoke, and only itself (to hand on a long run).
                assert any(s.function == spec.name for s in topology.SCHEDULES), spec.name
                assert actions == ["lambda:InvokeFunction"], actions
                assert all(f"function:furusato-dev-{spec.name}" in flatten(t) for t in targets), targets
            else:
                assert service in {"logs", "xray", "sqs"}, f"{spec.name}: unexpected {service} permissions"

        assert read_tables == {tables[name] for name in spec.tables}, spec.name
        writes = {tables[name] for name, access in spec.tables.items() if access in ("write", "append")}
        assert write_tables == writes, spec.name
        if spec.buckets:
            for bucket in spec.buckets:
                assert any(f"-{bucket}-" in target for target in s3_resources), f"{spec.name}: {bucket}"
        else:
            assert not s3_resources, f"{spec.name} declares no bucket but has S3 permissions {s3_resources}"
        expected_pools = {pools["staff"], pools["registrant"]} if spec.manages_staff else set()
        assert cognito_pools == expected_pools, spec.name
        assert read_secrets == {secrets[name] for name in spec.secrets}, spec.name


def test_only_the_admin_function_holds_cognito_admin_rights_and_exactly_what_it_calls(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    holders = [spec.name for spec in topology.FUNCTIONS if spec.manages_staff]
    assert holders == ["admin"]
    for spec in topology.FUNCTIONS:
        _, res = functions_by_name(template, cdk_context)[spec.name]
        statements = role_statements(template, ref_id(props(res)["Role"]) or "")
        actions = {a for s in statements for a in as_list(s["Action"]) if a.startswith("cognito-idp:")}
        expected = (
            {"cognito-idp:AdminCreateUser", "cognito-idp:AdminDeleteUser"} if spec.manages_staff else set()
        )
        assert actions == expected, spec.name


def test_no_role_can_alter_or_remove_an_audit_record(template: Template, cdk_context: dict[str, Any]) -> None:
    """Writers of the trail hold PutItem alone (conditional on a new key in the code); its one
    reader holds no write; nobody holds both; and the table's own policy denies every update and
    delete to every principal, whatever an identity policy grants."""
    audit_id = tables_by_name(template)["audit"]
    altering = {
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
        "dynamodb:DeleteTable",
        "dynamodb:UpdateTable",
        "dynamodb:UpdateTimeToLive",
        "dynamodb:RestoreTableFromBackup",
        "dynamodb:ImportTable",
    }
    appenders, readers = set(), set()
    for role_lid, role in resources(template, "AWS::IAM::Role").items():
        # Every role of the stack, the helpers CDK adds included: none may hold a DynamoDB
        # managed policy, and every statement is checked below.
        assert not any("DynamoDB" in flatten(arn) for arn in props(role).get("ManagedPolicyArns", []))
        statements = [
            st for policy in props(role).get("Policies", []) for st in policy["PolicyDocument"]["Statement"]
        ]
        for res in resources(template).values():
            if res["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
                if role_lid in {ref_id(r) for r in props(res).get("Roles", [])}:
                    statements += props(res)["PolicyDocument"]["Statement"]
        for statement in statements:
            actions = set(as_list(statement["Action"]))
            targets = as_list(statement["Resource"])
            if any(a.startswith("dynamodb:") or a == "*" for a in actions):
                # Never all tables at once, never every DynamoDB action.
                assert "*" not in targets and not any(flatten(t).endswith(":table/*") for t in targets)
                assert "dynamodb:*" not in actions and "*" not in actions, (role_lid, actions)
            if not any(audit_id in logical_ids_in(t) for t in targets):
                continue
            assert not actions & altering, (role_lid, actions)
            if actions == {"dynamodb:PutItem"}:
                appenders.add(role_lid)
            else:
                assert "dynamodb:PutItem" not in actions, (role_lid, actions)
                readers.add(role_lid)
    assert appenders and readers and not appenders & readers
    table = props(resources(template)[audit_id])
    assert "TimeToLiveSpecification" not in table and "StreamSpecification" not in table
    assert table["DeletionProtectionEnabled"] is True
    assert resources(template)[audit_id]["DeletionPolicy"] == "Retain"
    denied = [
        st
        for st in table["ResourcePolicy"]["PolicyDocument"]["Statement"]
        if st["Effect"] == "Deny" and st["Principal"] in ("*", {"AWS": "*"})
    ]
    assert denied and {
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
    } <= {a for st in denied for a in as_list(st["Action"])}


# --------------------------------------------------------------------------------------------
# Secrets


def test_secrets_are_generated_keyrings_never_in_the_template(template: Template) -> None:
    for spec in topology.SECRETS:
        p = props(resources(template)[secrets_by_name(template)[spec.name]])
        assert "SecretString" not in p, f"secret {spec.name} would be readable in the template"
        generator = p["GenerateSecretString"]
        template_doc = json.loads(generator["SecretStringTemplate"])
        assert template_doc["active_kid"] == generator["GenerateStringKey"]
        assert generator["PasswordLength"] >= 32


# --------------------------------------------------------------------------------------------
# S3


def bucket_for(template: Template, spec: topology.Bucket) -> tuple[str, dict[str, Any]]:
    matches = [
        (lid, props(res))
        for lid, res in resources(template, "AWS::S3::Bucket").items()
        if f"-{spec.name}-" in flatten(props(res).get("BucketName", ""))
    ]
    assert len(matches) == 1, f"bucket {spec.name}: {matches}"
    return matches[0]


def test_buckets_private_tls_only_versioned_encrypted_and_expiring(template: Template) -> None:
    policies = resources(template, "AWS::S3::BucketPolicy").values()
    for spec in topology.BUCKETS:
        lid, p = bucket_for(template, spec)
        assert p["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert p["VersioningConfiguration"] == {"Status": "Enabled"}
        assert p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert p["LoggingConfiguration"]["DestinationBucketName"]
        rules = [r for r in p["LifecycleConfiguration"]["Rules"] if r["Status"] == "Enabled"]
        if spec.expire_days:
            assert any(r.get("ExpirationInDays") == spec.expire_days for r in rules), rules
        assert any("NoncurrentVersionExpiration" in r for r in rules), rules

        tls_denials = [
            statement
            for policy in policies
            if ref_id(props(policy)["Bucket"]) == lid
            for statement in props(policy)["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Deny"
            and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert tls_denials, f"bucket {spec.name} does not deny plain HTTP"


def test_bucket_notifications_target_the_declared_function(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    functions = functions_by_name(template, cdk_context)
    permissions = [props(p) for p in resources(template, "AWS::Lambda::Permission").values()]
    for spec in topology.BUCKETS:
        _, p = bucket_for(template, spec)
        if not spec.notify_function or spec.notify_function not in functions:
            assert "NotificationConfiguration" not in p
            continue
        fn_lid = functions[spec.notify_function][0]
        (config,) = p["NotificationConfiguration"]["LambdaConfigurations"]
        assert config["Event"] == "s3:ObjectCreated:*"
        assert ref_id(config["Function"]) == fn_lid
        assert config["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": spec.notify_prefix}]
        assert any(
            perm["Principal"] == "s3.amazonaws.com"
            and ref_id(perm["FunctionName"]) == fn_lid
            and f"-{spec.name}-" in flatten(perm["SourceArn"])
            and "SourceAccount" in perm
            for perm in permissions
        ), "S3 may not invoke the function (or may from any bucket)"


# --------------------------------------------------------------------------------------------
# Schedules


def test_schedules_in_their_timezone_with_retries_dlq_and_scheduled_time(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    functions = functions_by_name(template, cdk_context)
    schedules = [props(s) for s in resources(template, "AWS::Scheduler::Schedule").values()]
    declared = [s for s in topology.SCHEDULES if s.function in functions]
    assert len(schedules) == len(declared)
    queues = resources(template, "AWS::SQS::Queue")
    alarms = [props(a) for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    for spec in declared:
        matches = [s for s in schedules if json.loads(s["Target"]["Input"]).get("sweep") == spec.name]
        assert len(matches) == 1, spec.name
        schedule = matches[0]
        assert schedule["ScheduleExpression"] == spec.cron
        assert schedule["ScheduleExpressionTimezone"] == spec.timezone == "Asia/Tokyo"
        assert schedule["State"] == "ENABLED"
        target = schedule["Target"]
        assert json.loads(target["Input"]) == {"sweep": spec.name, "scheduled_time": SCHEDULED_TIME}
        assert ref_id(target["Arn"]) == functions[spec.function][0]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        dlq_lid = ref_id(target["DeadLetterConfig"]["Arn"]) or ""
        assert props(queues[dlq_lid])["SqsManagedSseEnabled"] is True
        assert any(ref_id(d["Value"]) == dlq_lid for a in alarms for d in a.get("Dimensions", [])), (
            f"no alarm on the dead-letter queue of {spec.name}"
        )
        role = props(resources(template)[ref_id(target["RoleArn"]) or ""])
        principals = [s["Principal"]["Service"] for s in role["AssumeRolePolicyDocument"]["Statement"]]
        assert principals == ["scheduler.amazonaws.com"]


def test_queues_are_encrypted_and_tls_only(template: Template) -> None:
    policies = [props(p) for p in resources(template, "AWS::SQS::QueuePolicy").values()]
    for lid, queue in resources(template, "AWS::SQS::Queue").items():
        assert props(queue)["SqsManagedSseEnabled"] is True or "KmsMasterKeyId" in props(queue)
        assert any(
            lid in {ref_id(q) for q in policy["Queues"]}
            and any(
                s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
                for s in policy["PolicyDocument"]["Statement"]
            )
            for policy in policies
        ), f"queue {lid} accepts plain HTTP"


# --------------------------------------------------------------------------------------------
# Monitoring


def test_alarms_cover_every_function_and_the_api_and_notify_the_encrypted_topic(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    topics = resources(template, "AWS::SNS::Topic")
    assert len(topics) == 1
    topic_lid, topic = next(iter(topics.items()))
    assert "KmsMasterKeyId" in props(topic)
    alarms = [props(a) for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    for alarm in alarms:
        assert {ref_id(a) for a in alarm["AlarmActions"]} == {topic_lid}, alarm.get("AlarmDescription")

    def alarmed(metric: str, function_lid: str) -> bool:
        return any(
            a.get("MetricName") == metric
            and any(ref_id(d["Value"]) == function_lid for d in a.get("Dimensions", []))
            for a in alarms
        )

    for name, (lid, _) in functions_by_name(template, cdk_context).items():
        assert alarmed("Errors", lid), f"no errors alarm for {name}"
        assert alarmed("Throttles", lid), f"no throttles alarm for {name}"
    assert any(a.get("MetricName") == "5XXError" and a.get("Namespace") == "AWS/ApiGateway" for a in alarms)


# --------------------------------------------------------------------------------------------
# Packaging, cdk-nag, size


def test_no_docker_anywhere(assets_manifest: dict[str, Any], cloud_assembly: Path) -> None:
    assert not assets_manifest.get("dockerImages"), "docker image assets need a Docker daemon"
    for asset in assets_manifest["files"].values():
        assert "executable" not in asset["source"], "assets are plain directories, never built"
        source = cloud_assembly / asset["source"]["path"]
        if source.is_dir():
            assert not list(source.rglob("Dockerfile")), f"{source} contains a Dockerfile"


def test_layers_contain_the_package_and_the_dependencies_only(
    template: Template, assets_manifest: dict[str, Any], cloud_assembly: Path
) -> None:
    dirs = [
        cloud_assembly / a["source"]["path"]
        for a in assets_manifest["files"].values()
        if (cloud_assembly / a["source"]["path"]).is_dir()
    ]
    core = [d for d in dirs if (d / "python" / "furusato" / "topology.py").is_file()]
    deps = [d for d in dirs if (d / "python" / "pynamodb").is_dir()]
    assert len(core) == 1 and len(deps) == 1
    assert not list(core[0].rglob("*.egg-info"))
    for shipped in ("boto3", "botocore"):
        # Shipped, not taken from the runtime: the functions run the boto3 the tests ran.
        assert (deps[0] / "python" / shipped).is_dir(), shipped
    # Both layers ship unchecked-hash byte code for the runtime's Python (scripts/build_deps_layer.py).
    assert list(core[0].rglob("__pycache__/topology.cpython-311.pyc"))
    assert list(deps[0].rglob("pynamodb/__pycache__/models.cpython-311.pyc"))


def test_every_cdk_nag_acknowledgement_has_a_reason(template: Template) -> None:
    acknowledgements = list(all_cfn_nag_acknowledgements(template))
    assert acknowledgements, "expected the acknowledgements to be written into the template"
    for lid, rule in acknowledgements:
        assert rule["id"].startswith(("AwsSolutions-", "Serverless-")), (lid, rule)
        assert isinstance(rule.get("reason"), str) and len(rule["reason"].strip()) >= 20, (lid, rule)


def test_cdk_nag_report_has_no_violations(cloud_assembly: Path) -> None:
    report_file = cloud_assembly / "validation-report.json"
    if report_file.exists():
        report = json.loads(report_file.read_text())
        violations = [v for r in report.get("pluginReports", []) for v in r.get("violations", [])]
        assert not violations, json.dumps(violations, indent=2)[:4000]


def test_template_has_no_dependency_cycle(template: Template) -> None:
    """CloudFormation rejects a cycle only at deploy time; catch it here."""
    graph: dict[str, set[str]] = {}
    for lid, res in resources(template).items():
        depends = set(as_list(res.get("DependsOn", [])))
        graph[lid] = (logical_ids_in(res.get("Properties", {})) | depends) & set(resources(template))
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
                pytest.fail(f"dependency cycle: {' -> '.join(cycle)}")
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for lid in graph:
        if lid not in state:
            visit(lid, [lid])


def test_stack_is_below_the_cloudformation_resource_limit(template: Template) -> None:
    count = len(resources(template))
    assert count < MAX_RESOURCES, f"{count} resources: split the stack before CloudFormation refuses it"


# --------------------------------------------------------------------------------------------
# Stream consumers


def test_stream_mappings_report_partial_failures_retry_bounded_and_dead_letter(
    template: Template, cdk_context: dict[str, Any]
) -> None:
    mappings = [props(m) for m in resources(template, "AWS::Lambda::EventSourceMapping").values()]
    assert len(mappings) == len(topology.STREAM_SOURCES)
    tables = tables_by_name(template)
    queues = set(resources(template, "AWS::SQS::Queue"))
    alarms = [props(a) for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    for source in topology.STREAM_SOURCES:
        fn_lid, _ = functions_by_name(template, cdk_context)[source.function]
        mapping = next(m for m in mappings if fn_lid in logical_ids_in(m["FunctionName"]))
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [tables[source.table], "StreamArn"]}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["MaximumRetryAttempts"] == source.retry_attempts
        assert mapping["BatchSize"] == source.batch_size
        assert mapping["StartingPosition"] == "TRIM_HORIZON"
        destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
        assert logical_ids_in(destination) & queues
        patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
        for image in ("NewImage", "OldImage"):
            assert {"dynamodb": {image: {"type": {"S": list(source.item_types)}}}} in patterns
        assert any(
            a.get("MetricName") == "IteratorAge"
            and any(ref_id(d["Value"]) == fn_lid for d in a["Dimensions"])
            for a in alarms
        )
        # The function reads its own table's stream and nothing else.
        _, res = functions_by_name(template, cdk_context)[source.function]
        statements = role_statements(template, ref_id(props(res)["Role"]) or "")
        stream_reads = [s for s in statements if "dynamodb:GetRecords" in as_list(s["Action"])]
        assert [s["Resource"] for s in stream_reads] == [{"Fn::GetAtt": [tables[source.table], "StreamArn"]}]
