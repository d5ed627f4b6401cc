"""The console distribution's viewer-request function, run under Node with CloudFront's events."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from infra.cdk.console_edge import staff_path_pattern, viewer_request_code

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node runs the CloudFront function")


def run(code: str, uri: str, ip: str = "198.51.100.7") -> dict[str, Any]:
    event = {"viewer": {"ip": ip}, "request": {"method": "GET", "uri": uri, "headers": {}}}
    script = f"{code}\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    assert NODE is not None
    done = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=30, check=True)
    return dict(json.loads(done.stdout))


def test_app_routes_answer_the_app_and_files_are_served_as_they_are() -> None:
    code = viewer_request_code(())
    assert run(code, "/admin/activities/act_123/venue")["uri"] == "/admin/index.html"
    assert run(code, "/admin/")["uri"] == "/admin/index.html"
    assert run(code, "/admin/assets/index-abc.js")["uri"] == "/admin/assets/index-abc.js"
    assert run(code, "/admin/config.json")["uri"] == "/admin/config.json"
    assert run(code, "/v1/admin/lgs/212172/activities")["uri"] == "/v1/admin/lgs/212172/activities"
    home = run(code, "/")
    assert home["statusCode"] == 302 and home["headers"]["location"]["value"] == "/admin/"


def test_without_ranges_nobody_is_refused() -> None:
    code = viewer_request_code(())
    assert "statusCode" not in run(code, "/v1/operator/lgs", ip="192.0.2.1")


def test_with_ranges_only_lgwan_reaches_the_console_and_staff_routes() -> None:
    code = viewer_request_code(("203.0.113.0/24", "10.20.0.0/16"))
    for uri in ("/admin/", "/admin/activities", "/v1/admin/lgs/212172/stats", "/v1/operator/lgs", "/"):
        refused = run(code, uri, ip="198.51.100.7")
        assert refused["statusCode"] == 403, uri
        assert "LGWAN" in refused["body"]["data"]
        assert "statusCode" not in run(code, uri, ip="203.0.113.250") or uri == "/"
    assert run(code, "/admin/activities", ip="10.20.255.1")["uri"] == "/admin/index.html"
    assert "statusCode" in run(code, "/admin/", ip="10.21.0.1")
    # Registrants' routes stay open to the internet; an IPv6 viewer is outside every IPv4 range.
    assert run(code, "/v1/me", ip="198.51.100.7")["uri"] == "/v1/me"
    assert run(code, "/admin/", ip="2001:db8::1")["statusCode"] == 403
    # A staff route spelled so that a plain prefix check misses it is still a staff route.
    for uri in (
        "/v1//admin/lgs",
        "/v1/me/../admin/lgs",
        "/v1/%61dmin/lgs",
        "/v1/./operator/lgs",
        "/v1/me%2F..%2Fadmin/lgs",
    ):
        assert run(code, uri, ip="198.51.100.7")["statusCode"] == 403, uri


def test_the_api_acl_guards_staff_routes_with_and_without_the_stage_in_front() -> None:
    """The execute-api URL carries the stage (`/prod/v1/admin/...`), a custom domain does not:
    the LGWAN allow-list must hold for both, and for nothing else."""
    pattern = re.compile(staff_path_pattern("prod"))
    for path in ("/v1/admin/lgs/212172/activities", "/prod/v1/admin/lgs", "/prod/v1/operator/lgs"):
        assert pattern.match(path), path
    for path in ("/v1/me", "/prod/v1/local-governments", "/dev/v1/admin/lgs", "/v1/administrator/x"):
        assert not pattern.match(path), path
