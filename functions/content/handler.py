"""Content function: introduction pages and the governments' own survey questions."""

from typing import Any

from furusato.api.app import build_resolver
from furusato.api.observability import api_entrypoint
from furusato.routes import pages

app = build_resolver(pages.router)


@api_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
