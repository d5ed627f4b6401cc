"""Content function: introduction pages, own survey questions, content and the registrant's feed,
and consultations."""

from typing import Any

from furusato.api.app import api_handler
from furusato.api.observability import api_entrypoint
from furusato.routes import consultations, contents, pages

app, handle = api_handler("content", pages.router, contents.router, consultations.router)


@api_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
