"""Support function: support measures, applications, decisions, payments, report and export."""

from typing import Any

from furusato.api.app import api_handler
from furusato.api.observability import api_entrypoint
from furusato.routes import support

app, handle = api_handler("support", support.router)


@api_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
