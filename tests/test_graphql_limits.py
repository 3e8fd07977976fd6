"""Hostile GraphQL documents are refused before execution with QUERY_TOO_COMPLEX
(graphql-cop style probes included), and production hides the schema."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from graphql import build_schema, get_introspection_query, parse

from app.settings import Settings
from schema.limits import Limits, check_document
from tests.helpers import Auth, app_client, error_codes, gql

TOO_COMPLEX = ["QUERY_TOO_COMPLEX"]

LIMITS = Limits(
    max_depth=10,
    max_aliases=15,
    max_tokens=2000,
    max_document_chars=15000,
    max_cost=5000,
    max_directives=10,
    max_fields=300,
)

RECURSIVE = build_schema(
    """
    type Query { me: Person, people(first: Int): PersonConnection! }
    type Person { name: String, friend: Person, friends: [Person!]! }
    type PersonConnection { edges: [PersonEdge!]!, totalCount: Int! }
    type PersonEdge { node: Person! }
    """
)


def violations(query: str, variables: dict[str, int] | None = None) -> list[str]:
    return check_document(parse(query), RECURSIVE, LIMITS, variables, None)


def test_depth_is_counted_through_fragments():
    ten = "{ me " + "{ friend " * 9 + "{ name }" + " }" * 9 + " }"
    assert violations(ten) == []
    eleven = "{ me " + "{ friend " * 10 + "{ name }" + " }" * 10 + " }"
    assert violations(eleven) == ["Query is deeper than 10 levels"]
    via_fragments = (
        "{ me { ...A } } fragment A on Person { friend { friend { ...B } } }"
        " fragment B on Person { friend { friend { friend { friend { friend { friend { friend { friend { name } } } } } } } } }"
    )
    assert violations(via_fragments) == ["Query is deeper than 10 levels"]


def test_circular_fragments_do_not_hang_the_walk():
    cyclic = "{ me { ...A } } fragment A on Person { friend { ...B } } fragment B on Person { name ...A }"
    assert violations(cyclic) == []  # cycles are cut here; validation rejects the document


def test_exponential_fragment_expansion_is_stopped():
    # Each fragment spreads the next twice: 2**20 fields once expanded.
    chain = "".join(
        f"fragment F{i} on Person {{ name ...F{i + 1} ...F{i + 1} }} " for i in range(20)
    )
    found = violations("{ me { ...F0 } } " + chain + "fragment F20 on Person { name }")
    assert found == ["Query selects more than 300 fields"]


def test_cost_multiplies_page_sizes():
    cheap = "{ people(first: 10) { edges { node { friends { name } } } } }"
    assert violations(cheap) == []
    costly = "{ people(first: 100) { edges { node { friends { friends { name } } } } } }"
    assert violations(costly) == ["Query cost exceeds the budget of 5000"]
    with_variable = (
        "query($n: Int) { people(first: $n) { edges { node { friends { friends { name } } } } } }"
    )
    assert violations(with_variable, {"n": 2}) == []
    assert violations(with_variable, {"n": 100}) == ["Query cost exceeds the budget of 5000"]


def test_directives_are_limited():
    many = "{ me { " + " ".join(f"n{i}: name @include(if: true)" for i in range(11)) + " } }"
    assert "directives" in violations(many)[0] or "aliases" in violations(many)[0]
    only_directives = "{ me { name " + "@skip(if: false) " * 11 + "} }"
    assert violations(only_directives) == ["Query uses more than 10 directives"]


async def test_alias_overloading_is_refused(client, demo, auth: Auth):
    aliases = " ".join(f"a{i}: __typename" for i in range(101))
    body = await gql(client, f"{{ {aliases} }}", headers=auth.admin)
    assert error_codes(body) == TOO_COMPLEX
    assert "15 aliases" in body["errors"][0]["message"]
    assert body.get("data") is None


async def test_fifteen_aliases_are_allowed(client, demo, auth: Auth):
    aliases = " ".join(f"a{i}: __typename" for i in range(15))
    body = await gql(client, f"{{ {aliases} }}", headers=auth.admin)
    assert "errors" not in body
    assert len(body["data"]) == 15


async def test_field_duplication_is_refused(client, demo, auth: Auth):
    body = await gql(client, "{ " + "__typename " * 500 + "}", headers=auth.admin)
    assert error_codes(body) == TOO_COMPLEX
    assert "300 fields" in body["errors"][0]["message"]


async def test_token_limit(client, demo, auth: Auth):
    query = "{ me { " + "name " * 2100 + "} }"
    body = await gql(client, query, headers=auth.admin)
    assert error_codes(body) == TOO_COMPLEX
    assert "2000 tokens" in body["errors"][0]["message"]


async def test_document_length_limit(client, demo, auth: Auth):
    query = '{ person(id: "' + "x" * 16000 + '") { name } }'
    body = await gql(client, query, headers=auth.admin)
    assert error_codes(body) == TOO_COMPLEX
    assert "15000 characters" in body["errors"][0]["message"]


async def test_syntax_error_has_a_code(client, demo, auth: Auth):
    body = await gql(client, "{ me { name ", headers=auth.admin)
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]


async def test_cost_budget_on_the_real_schema(client, demo, auth: Auth):
    heavy = """{ people(first: 100) { edges { node { memberships { organisation {
        name legacyId id createdAt reminderDays escalationDays } } } } } }"""
    body = await gql(client, heavy, headers=auth.admin)
    assert error_codes(body) == TOO_COMPLEX
    assert "5000" in body["errors"][0]["message"]


async def test_batch_of_ten_is_refused_and_small_batches_work(client, demo, auth: Auth):
    ten = [{"query": "{ __typename }"} for _ in range(10)]
    refused = await client.post("/graphql", json=ten, headers=auth.admin)
    assert refused.status_code == 400
    assert refused.json()["code"] == "QUERY_TOO_COMPLEX"
    assert "5 operations" in refused.json()["detail"]
    two = [{"query": "{ me { legacyId } }"}, {"query": "{ __typename }"}]
    answered = await client.post("/graphql", json=two, headers=auth.admin)
    assert answered.status_code == 200
    assert [item["data"] for item in answered.json()] == [
        {"me": {"legacyId": "admin_001"}},
        {"__typename": "Query"},
    ]


async def test_circular_introspection_is_refused(client, demo, auth: Auth):
    query = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    body = await gql(client, query, headers=auth.admin)
    assert error_codes(body) == TOO_COMPLEX
    assert "circular introspection" in body["errors"][0]["message"]


async def test_standard_introspection_query_works_in_development(client, demo, auth: Auth):
    body = await gql(client, get_introspection_query(descriptions=True), headers=auth.admin)
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_mutation_over_get_is_refused(client, demo, auth: Auth):
    response = await client.get(
        "/graphql",
        params={"query": 'mutation { deletePerson(id: "user_042") }'},
        headers=auth.admin,
    )
    assert response.status_code in (400, 405)
    still_there = await gql(client, '{ person(id: "user_042") { name } }', headers=auth.admin)
    assert still_there["data"]["person"]["name"] == "Ola Hansen"


@pytest.fixture
async def production_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings, env="production", graphiql=None, introspection=None) as c:
        yield c


async def test_production_hides_introspection_suggestions_and_graphiql(
    production_client: httpx.AsyncClient, demo, auth: Auth
):
    body = await gql(production_client, "{ __schema { types { name } } }", headers=auth.admin)
    assert body["data"] is None
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED", "GRAPHQL_VALIDATION_FAILED"], body
    assert [error["message"] for error in body["errors"]] == [
        "GraphQL introspection has been disabled, but the requested query contained the "
        f"field '{field}'."
        for field in ("__schema", "types")
    ]
    typo = await gql(production_client, "{ mee { name } }", headers=auth.admin)
    assert "Did you mean" not in typo["errors"][0]["message"]
    page = await production_client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 404
