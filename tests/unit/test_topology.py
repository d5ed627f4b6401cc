"""The pynamodb models and the declared topology must describe the same tables."""

from furusato import topology
from furusato.store.models import MODELS, key_schema
from tests.support.lambda_api import handler_module


def test_models_match_the_declared_main_table() -> None:
    declared = topology.MAIN_TABLE
    for model in MODELS:
        schema = key_schema(model)
        assert schema["partition_key"] == declared.partition_key
        assert schema["sort_key"] == declared.sort_key
        assert schema["indexes"] == {i.name: (i.partition_key, i.sort_key) for i in declared.indexes}
        assert "expires_at" in model.get_attributes() and declared.ttl_attribute == "expires_at"


def test_each_handler_serves_exactly_its_declared_routes() -> None:
    for fn in topology.FUNCTIONS:
        if not fn.routes:
            continue
        app = handler_module(fn.name).app
        served = {(route.method, route.openapi_path) for route in app._static_routes + app._dynamic_routes}
        assert served == {(r.method, r.path) for r in fn.routes}, fn.name


def test_route_paths_are_unique_across_functions() -> None:
    seen = [(r.method, r.path) for _, r in topology.all_routes()]
    assert len(seen) == len(set(seen))


def test_the_test_client_routes_as_api_gateway_does_literal_segments_first() -> None:
    from tests.support.lambda_api import match_route

    _fn, route, params = match_route("GET", "/v1/admin/lgs/212172/imports/template")
    assert route.path == "/v1/admin/lgs/{lg_code}/imports/template" and params == {"lg_code": "212172"}
    _fn, route, params = match_route("GET", "/v1/admin/lgs/212172/imports/imp_x")
    assert route.path == "/v1/admin/lgs/{lg_code}/imports/{import_id}" and params["import_id"] == "imp_x"
