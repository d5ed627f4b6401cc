"""Registration function: directory, profiles, registrations, premium settings, onboarding."""

from typing import Any

from furusato.api.app import build_resolver
from furusato.api.observability import api_entrypoint
from furusato.routes import directory, me, operator, staff_settings

app = build_resolver(directory.router, me.router, staff_settings.router, operator.router)


@api_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
