"""The console distribution's viewer-request function (CloudFront Functions, JS 2.0).

Pure text, no CDK import, so a unit test can run it under Node with sample events.
"""

from __future__ import annotations

import json
import re

# Routes only staff and operators use: behind the LGWAN allow-list when it is on.
STAFF_PATHS = ("/v1/admin/", "/v1/operator/")


def staff_path_pattern(stage: str) -> str:
    """The API web ACL's match for the staff and operator routes, with or without the stage's name
    in front: a caller of the execute-api URL (`/{stage}/v1/admin/...`) must meet the LGWAN
    allow-list as a caller of a custom domain does. WAF normalizes the path first (`//`, `./`,
    `../`), so `/v1//admin/` and `/v1/me/../admin/` are matched too."""
    roots = "|".join(re.escape(path) for path in STAFF_PATHS)
    return f"^(/{re.escape(stage)})?({roots})"


def viewer_request_code(source_ranges: tuple[str, ...]) -> str:
    """CloudFront Functions (JS 2.0): the LGWAN allow-list, then the app's routes to index.html."""
    return (
        _VIEWER_REQUEST.replace("__RANGES__", json.dumps(list(source_ranges)))
        .replace("__STAFF_PATHS__", json.dumps(list(STAFF_PATHS)))
        .strip()
    )


_VIEWER_REQUEST = """
var RANGES = __RANGES__;
var STAFF_PATHS = __STAFF_PATHS__;
function ipv4(ip) {
  var p = ip.split(".");
  if (p.length !== 4) return null;
  return (((+p[0]) << 24) >>> 0) + ((+p[1]) << 16) + ((+p[2]) << 8) + (+p[3]);
}
function allowed(ip) {
  var n = ipv4(ip);
  if (n === null) return false;
  for (var i = 0; i < RANGES.length; i++) {
    var r = RANGES[i].split("/");
    var bits = +r[1];
    var mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if (((n & mask) >>> 0) === ((ipv4(r[0]) & mask) >>> 0)) return true;
  }
  return false;
}
// The path as a server may resolve it: escapes decoded, empty and dot segments resolved, so that
// `/v1//admin/`, `/v1/me/../admin/` or `/v1/%61dmin/` cannot pass as a registrant's route.
function resolved(uri) {
  var decoded;
  try { decoded = decodeURIComponent(uri); } catch (e) { decoded = uri; }
  var out = [];
  decoded.split("/").forEach(function (segment) {
    if (segment === "" || segment === ".") return;
    if (segment === "..") { out.pop(); return; }
    out.push(segment);
  });
  return "/" + out.join("/") + "/";
}
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var path = resolved(uri);
  var guarded = path.indexOf("/admin/") === 0 || uri === "/" ||
    STAFF_PATHS.some(function (p) { return path.indexOf(p) === 0; });
  if (RANGES.length && guarded && !allowed(event.viewer.ip)) {
    return { statusCode: 403, statusDescription: "Forbidden",
      headers: { "content-type": { value: "text/plain; charset=utf-8" } },
      body: { encoding: "text", data: "LGWAN回線からのみ利用できます。" } };
  }
  if (uri === "/" || uri === "/admin") {
    return { statusCode: 302, statusDescription: "Found", headers: { location: { value: "/admin/" } } };
  }
  if (uri.indexOf("/admin/") === 0 && uri.split("/").pop().indexOf(".") === -1) {
    request.uri = "/admin/index.html";
  }
  return request;
}
"""
