"""Bad requests get clear problem+json answers at the edge, never a 500."""

from __future__ import annotations

import jwt
import pytest

from tests.helpers import Auth

PROBLEM = "application/problem+json"


async def test_health_and_readiness_are_open(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "reachable"


async def test_unknown_route_is_404_problem(client):
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "NOT_FOUND"
    assert body["status"] == 404
    assert body["request_id"] == response.headers["x-request-id"]


async def test_wrong_method_is_405_problem(client, auth: Auth):
    response = await client.delete("/api/v1/me", headers=auth.admin)
    assert response.status_code == 405
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_missing_token_is_401(client, demo):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer ", "Token abc"],
)
async def test_bad_credentials_are_401(client, demo, header):
    response = await client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"


async def test_token_signed_with_another_secret_is_401(client, demo, settings):
    forged = jwt.encode(
        {
            "sub": "admin_001",
            "roles": ["admin"],
            "iat": 1,
            "exp": 4_000_000_000,
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
        },
        "some-other-secret-that-is-long-enough-000000",
        algorithm="HS256",
    )
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_unsigned_alg_none_token_is_401(client, demo, settings):
    unsigned = jwt.encode(
        {
            "sub": "admin_001",
            "roles": ["admin"],
            "iat": 1,
            "exp": 4_000_000_000,
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
        },
        key=None,
        algorithm="none",
    )
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {unsigned}"})
    assert response.status_code == 401


async def test_expired_token_is_401_with_reason(client, demo, auth: Auth):
    from datetime import timedelta

    token = auth.tokens.issue("admin_001", ["admin"], ttl=timedelta(seconds=-10))
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_token_for_unknown_person_is_401(client, demo, auth: Auth):
    response = await client.get("/api/v1/me", headers=auth("ghost_999", "admin"))
    assert response.status_code == 401


async def test_malformed_json_is_400(client, demo, auth: Auth):
    response = await client.post(
        "/api/v1/people",
        content=b'{"id": "p1", "name": ',
        headers={**auth.admin, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert "Malformed JSON" in response.json()["detail"]


async def test_json_that_is_not_an_object_is_400(client, demo, auth: Auth):
    response = await client.post("/api/v1/people", json=["a"], headers=auth.admin)
    assert response.status_code == 400


async def test_non_json_body_is_415(client, demo, auth: Auth):
    response = await client.post(
        "/api/v1/people", content=b"id=p1", headers={**auth.admin, "content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_body_over_the_limit_is_413(client, demo, auth: Auth, settings):
    big = b'{"name": "' + b"x" * (settings.max_body_bytes + 10) + b'"}'
    response = await client.post(
        "/api/v1/people", content=big, headers={**auth.admin, "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_unknown_body_field_is_422_naming_it(client, demo, auth: Auth):
    response = await client.post(
        "/api/v1/people", json={"id": "p_new", "name": "New", "shoe_size": 44}, headers=auth.admin
    )
    assert response.status_code == 422
    assert {"field": "shoe_size", "message": "unknown field"} in response.json()["errors"]


async def test_graphql_rejects_non_json_post_with_415(client):
    response = await client.post(
        "/graphql", content=b"query { me { id } }", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM


async def test_graphql_malformed_json_is_400(client):
    response = await client.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_request_id_is_echoed_when_safe(client):
    response = await client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    hostile = await client.get("/healthz", headers={"x-request-id": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


async def test_duplicate_json_keys_are_refused_on_both_doors(client, demo, auth: Auth):
    body = b'{"id": "p_dup", "name": "A", "name": "B"}'
    rest = await client.post(
        "/api/v1/people", content=body, headers={**auth.admin, "content-type": "application/json"}
    )
    assert rest.status_code == 400
    assert "Duplicate JSON key 'name'" in rest.json()["detail"]
    graphql = await client.post(
        "/graphql",
        content=b'{"query": "{ me { name } }", "query": "{ __typename }"}',
        headers={**auth.admin, "content-type": "application/json"},
    )
    assert graphql.status_code == 400
    assert graphql.headers["content-type"] == PROBLEM


async def test_nan_and_deep_nesting_are_refused(client, demo, auth: Auth):
    nan = await client.post(
        "/api/v1/people",
        content=b'{"id": "p_nan", "name": NaN}',
        headers={**auth.admin, "content-type": "application/json"},
    )
    assert nan.status_code == 400
    deep = b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    nested = await client.post(
        "/api/v1/people", content=deep, headers={**auth.admin, "content-type": "application/json"}
    )
    assert nested.status_code == 400


async def test_numbers_where_strings_belong_are_422(client, demo, auth: Auth):
    response = await client.post(
        "/api/v1/people", json={"id": 42, "name": ["x"]}, headers=auth.admin
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"id", "name"}


async def test_metrics_expose_the_listed_series(client, demo, auth: Auth):
    await client.get("/api/v1/me", headers=auth.admin)
    await client.post(
        "/graphql",
        json={"query": "query Dash { me { memberships { organisation { name } } } }"},
        headers=auth.coordinator,
    )
    text = (await client.get("/metrics")).text
    for series in (
        'gateway_http_requests_total{method="GET",route="/api/v1/me",status="200"}',
        "gateway_http_request_duration_seconds_bucket",
        'gateway_graphql_operations_total{operation="Dash",outcome="ok",type="query"}',
        "gateway_graphql_operation_duration_seconds_bucket",
        "gateway_sql_statements_per_request_bucket",
        'gateway_dataloader_batch_size_count{loader="memberships_of_people"}',
        "gateway_active_subscriptions",
        "gateway_rate_limit_rejections_total",
    ):
        assert series in text, series
