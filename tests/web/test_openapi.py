"""The OpenAPI document is valid and describes the routes and bodies the API really has."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from web.api.openapi import document


def response_validator(name: str) -> Draft202012Validator:
    registry = Registry().with_resource(
        "urn:rollout", Resource.from_contents(document(), default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:rollout#/components/schemas/{name}"}, registry=registry
    )


def test_document_is_valid_openapi(client):
    body = client.get("/api/openapi.json").json
    validate(body)
    assert body["openapi"].startswith("3.")


def test_every_api_route_is_documented_and_nothing_else(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, ops in document()["paths"].items() for method in ops}
    assert served == documented


@pytest.mark.parametrize(
    ("url", "schema"),
    [
        ("/api/v1/regions", "Region"),
        ("/api/v1/windows?tz=Europe/Paris&to=2030-01-01", "Window"),
        ("/api/v1/policies", "Policy"),
        ("/api/v1/freezes", "Freeze"),
        ("/api/v1/customers", "Customer"),
    ],
)
def test_list_responses_match_their_schemas(client, session, url, schema):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    make_policy(session, "us")
    token = bearer(make_token(session, "admin"))
    session.commit()
    client.post(
        "/api/v1/freezes",
        headers=token,
        json={
            "title": "F",
            "region": "us",
            "starts_at": "2027-01-01T00:00:00Z",
            "ends_at": "2027-01-02T00:00:00Z",
        },
    )
    items = client.get(url, headers=token).json["items"]
    assert items
    validator = response_validator(schema)
    for item in items:
        validator.validate(item)


def test_deploy_check_and_errors_match_their_schemas(client, session):
    make_region(session, "us")
    make_policy(session, "us")
    token = bearer(make_token(session, "admin"))
    session.commit()
    verdict = client.get("/api/v1/deploy-check?region=us", headers=token).json
    response_validator("DeployCheck").validate(verdict)
    error = client.get("/api/v1/deploy-check?region=mars", headers=token).json
    response_validator("Error").validate(error)


def test_request_schemas_refuse_what_the_api_refuses():
    window_in = document()["components"]["schemas"]["WindowIn"]
    assert {"title", "starts_at", "ends_at"} <= set(window_in["required"])
    assert window_in["additionalProperties"] is False
