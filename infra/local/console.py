"""The municipal console (管理画面) on the local stack: the built app under `/admin`.

`make console` builds `console/` into `console/dist`; the gateway hands every `/admin` request here
before routing the API. Deep links answer `index.html` (the app routes in the browser), files under
`assets/` are content-hashed and cached, and `config.json` is generated: local sign-in through
`POST /local/token`, the API on this same origin. The security headers are the ones CloudFront adds
in AWS (`infra/cdk/console.py`), minus HSTS, which has no meaning over plain http.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from infra.local.aws import client
from infra.local.messages import HttpResponse, Request, json_response

REPO_ROOT = Path(__file__).resolve().parents[2]
CONSOLE_DIST = REPO_ROOT / "console" / "dist"
PREFIX = "/admin"


def content_security_policy(connect_src: list[str]) -> str:
    """No inline script, no framing, nothing from another origin but the API and storage."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src " + " ".join(["'self'", *connect_src]),
            "media-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(connect_src: list[str]) -> list[tuple[str, str]]:
    return [
        ("Content-Security-Policy", content_security_policy(connect_src)),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", "camera=(self), microphone=(), geolocation=()"),
    ]


def is_console_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


class ConsoleSite:
    def __init__(self, *, storage_url: str, dist: Path = CONSOLE_DIST) -> None:
        self.dist = dist
        # Presigned uploads and reports go from the browser straight to the local S3 (moto).
        self.headers = security_headers([storage_url])

    def config(self) -> dict[str, str]:
        return {"auth": "local", "api_url": ""}

    def serve(self, request: Request) -> HttpResponse:
        path = request.path
        if path == PREFIX:
            return HttpResponse(302, [("Location", PREFIX + "/")])
        relative = path[len(PREFIX) + 1 :]
        if relative == "config.json":
            return json_response(200, self.config(), [("Cache-Control", "no-store"), *self.headers])
        index = self.dist / "index.html"
        if not index.is_file():
            text = (
                "管理画面をビルドしています。しばらくしてから再読み込みしてください"
                "（`make run` はバックグラウンドで `make console` を実行します）。\n"
            )
            return HttpResponse(503, [("Content-Type", "text/plain; charset=utf-8")], text.encode())
        file = (self.dist / relative).resolve() if relative else index
        if relative and (not file.is_relative_to(self.dist.resolve()) or not file.is_file()):
            if relative.startswith("assets/"):
                return HttpResponse(404, [("Content-Type", "text/plain; charset=utf-8")], b"not found\n")
            file = index  # an app route: the app resolves it in the browser
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith(("javascript", "json")):
            content_type += "; charset=utf-8"
        cache = "public, max-age=31536000, immutable" if relative.startswith("assets/") else "no-cache"
        headers = [("Content-Type", content_type), ("Cache-Control", cache), *self.headers]
        return HttpResponse(200, headers, file.read_bytes())


def allow_console_origin(endpoint_url: str, bucket_names: list[str], origin: str) -> None:
    """CORS on the local buckets, as the deployment sets for the console's domain: the browser
    POSTs backfill files with presigned forms and reads the import reports."""
    s3 = client("s3", endpoint_url)
    rule = {"AllowedOrigins": [origin], "AllowedMethods": ["GET", "POST"], "AllowedHeaders": ["*"]}
    for name in bucket_names:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [rule]})
