"""Statistics of the relationship population: a government's (staff) and the national ones
(operator). Anonymous counts kept by the stream consumer; reading never touches a registration."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import statistics
from furusato.api import auth
from furusato.api.app import json_response
from furusato.api.endpoint import endpoint
from furusato.shapes.statistics import NATIONAL_STATISTICS, STATISTICS

router = Router()


@router.get("/v1/admin/lgs/<lg_code>/stats")
@endpoint(router, "Statistics of the relationship population", responses={200: STATISTICS})
def lg_statistics(lg_code: str) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, statistics.for_lg(lg_code))


@router.get("/v1/operator/stats")
@endpoint(router, "National statistics (each person counted once)", responses={200: NATIONAL_STATISTICS})
def national_statistics() -> Response[Any]:
    auth.operator(router)
    return json_response(200, statistics.national())
