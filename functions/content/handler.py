"""Content function: introduction pages and the governments' own survey questions."""

from typing import Any

from furusato.api.app import api_handler
from furusato.api.observability import api_entrypoint
from furusato.routes import pages

app, handle = api_handler("content", pages.router)


@api_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
