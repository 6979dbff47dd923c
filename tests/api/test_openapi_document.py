"""Leadline's OpenAPI document: valid, served, covering the seed spec, and matching the routes exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_spec_validator import validate

from leadline.api.openapi import openapi_document
from leadline.api.routes import OPERATIONS
from tests.live_server import LiveServer

SEED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "fathom-analytics-v1.openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        op["operationId"]: (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def test_the_document_is_valid_openapi() -> None:
    validate(openapi_document())


def test_the_server_serves_the_document_without_a_key(server: LiveServer) -> None:
    response = httpx.get(server.url("/v1/openapi.json"))
    assert response.status_code == 200
    assert response.json() == openapi_document()


def test_it_has_every_seed_operation_at_the_same_path_and_method() -> None:
    seed, ours = operations(yaml.safe_load(SEED_SPEC.read_text())), operations(openapi_document())
    for operation_id, (method, path, _) in seed.items():
        assert ours[operation_id][:2] == (method, path), operation_id


def test_it_has_every_seed_parameter_and_schema_property() -> None:
    seed_document, document = yaml.safe_load(SEED_SPEC.read_text()), openapi_document()
    seed, ours = operations(seed_document), operations(document)

    def parameter_names(spec: dict[str, Any], op: dict[str, Any]) -> set[tuple[str, str]]:
        names = set()
        for parameter in op.get("parameters", []):
            if "$ref" in parameter:
                parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
            names.add((parameter["name"], parameter["in"]))
        return names

    for operation_id, (_, _, op) in seed.items():
        assert parameter_names(seed_document, op) <= parameter_names(document, ours[operation_id][2]), operation_id
    for name, schema in seed_document["components"]["schemas"].items():
        assert set(schema.get("properties", {})) <= set(document["components"]["schemas"][name].get("properties", {}))


def test_the_routes_and_the_document_describe_the_same_operations() -> None:
    documented = {op_id: (method, path) for op_id, (method, path, _) in operations(openapi_document()).items()}
    routed = {operation.operation_id: (operation.method, operation.path) for operation in OPERATIONS}
    routed["getOpenApiDocument"] = ("GET", "/openapi.json")
    assert documented == routed


def test_the_aggregation_parameters_documented_are_the_ones_parsed() -> None:
    from leadline.query.model import PARAMETERS

    _, _, aggregations = operations(openapi_document())["getAggregations"]
    assert {parameter["name"] for parameter in aggregations["parameters"]} == set(PARAMETERS)


def test_the_dataset_names_documented_are_the_declared_ones() -> None:
    from leadline.publishing.datasets import DATASETS

    assert openapi_document()["components"]["schemas"]["DatasetName"]["enum"] == list(DATASETS)
