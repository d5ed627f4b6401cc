"""Registration function: directory, profiles, registrations, identity, premium decisions,
notifications and operator onboarding."""

from typing import Any

from furusato.api.app import api_handler
from furusato.api.observability import api_entrypoint
from furusato.routes import directory, identity, me, operator, reviews, staff_settings, statistics

app, handle = api_handler(
    "registration",
    directory.router,
    me.router,
    identity.router,
    staff_settings.router,
    reviews.router,
    operator.router,
    statistics.router,
)


@api_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
