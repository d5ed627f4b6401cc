"""Check-in function: organizations, activities, QR check-in, participation history and the card."""

from typing import Any

from furusato.api.app import api_handler
from furusato.api.observability import api_entrypoint
from furusato.routes import activities, card, checkins, organizations

app, handle = api_handler("checkin", organizations.router, activities.router, checkins.router, card.router)


@api_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
