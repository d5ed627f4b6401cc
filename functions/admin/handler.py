"""Admin function: operator onboarding, staff accounts, the audit trail and a registrant's data
rights. The only function holding Cognito admin rights."""

from typing import Any

from furusato.api.app import api_handler
from furusato.api.observability import api_entrypoint
from furusato.routes import data_rights, operator, staff_accounts

app, handle = api_handler("admin", operator.router, staff_accounts.router, data_rights.router)


@api_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
