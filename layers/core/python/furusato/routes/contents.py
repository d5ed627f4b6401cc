"""Staff content of a local government, and the registrant's feed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth
from furusato.api.app import json_response, no_content, page
from furusato.api.endpoint import endpoint
from furusato.domain.errors import InvalidInput
from furusato.shapes import contents as shapes
from furusato.shapes.common import given

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()

PREFIX = "/v1/admin/lgs/<lg_code>/contents"
# Viewers read; admins and coordinators publish.
WRITERS = frozenset({"admin", "coordinator"})


@router.post(PREFIX)
@endpoint(
    router,
    "Create content: publish now, schedule (publish_at) or keep as a draft (admin, coordinator)",
    body=shapes.CONTENT_IN,
    responses={201: shapes.CONTENT},
    idempotent=True,
)
def create_content(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import contents

    who = auth.staff(router, lg_code, WRITERS)
    return json_response(201, contents.create(lg_code, who.sub, body))


@router.get(PREFIX)
@endpoint(
    router,
    "Content of the government, newest first",
    query=shapes.CONTENTS_QUERY,
    responses={200: shapes.CONTENT_PAGE},
)
def list_contents(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import contents

    auth.staff(router, lg_code, auth.READERS)
    items, next_cursor = contents.list_contents(lg_code, limit=query["limit"], cursor=query["cursor"])
    return json_response(200, page(items, next_cursor))


@router.get(f"{PREFIX}/<content_id>")
@endpoint(router, "One content", responses={200: shapes.CONTENT})
def get_content(lg_code: str, content_id: str) -> Response[Any]:
    from furusato.capabilities import contents

    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, contents.get(lg_code, content_id))


@router.patch(f"{PREFIX}/<content_id>")
@endpoint(
    router,
    "Edit, schedule, publish (draft: false) or expire content (admin, coordinator)",
    body=shapes.CONTENT_PATCH,
    responses={200: shapes.CONTENT},
    errors=("ALREADY_PUBLISHED", "CONTENT_CHANGED"),
)
def patch_content(lg_code: str, content_id: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import contents

    who = auth.staff(router, lg_code, WRITERS)
    changes = given(body)
    if not changes:
        raise InvalidInput("nothing to change", details={"body": "name at least one field"})
    return json_response(200, contents.update(lg_code, content_id, who.sub, changes))


@router.delete(f"{PREFIX}/<content_id>")
@endpoint(router, "Delete content (admin, coordinator)", responses={204: None})
def delete_content(lg_code: str, content_id: str) -> Response[Any]:
    from furusato.capabilities import contents

    auth.staff(router, lg_code, WRITERS)
    contents.delete(lg_code, content_id)
    return no_content()


@router.get("/v1/me/feed")
@endpoint(
    router,
    "Content of my governments that targets me, newest first",
    query=shapes.FEED_QUERY,
    responses={200: shapes.FEED_PAGE},
)
def get_feed(query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import contents

    who = auth.registrant(router)
    items, next_cursor = contents.feed(who.sub, limit=query["limit"], cursor=query["cursor"])
    return json_response(200, page(items, next_cursor), headers={"Cache-Control": "no-store"})
