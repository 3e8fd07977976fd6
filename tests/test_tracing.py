"""OpenTelemetry tracing when configured: one span per HTTP request and one per GraphQL
operation, never one per field; no query text or variables in the spans."""

from __future__ import annotations

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.main import create_app
from app.settings import Settings
from tests.helpers import Auth, gql, once


async def test_operation_level_spans(settings: Settings, demo, auth: Auth):
    import httpx

    app = create_app(settings.model_copy(update={"otel_enabled": True}))
    exporter = InMemorySpanExporter()
    app.state.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
            with once():  # one request's spans
                body = await gql(
                    c,
                    "query Desk { people(first: 20) { nodes { legacyId memberships { orgId } } } }",
                    headers=auth.admin,
                )
            assert len(body["data"]["people"]["nodes"]) == 20
            await c.get("/healthz")
    spans = exporter.get_finished_spans()
    names = sorted(span.name for span in spans)
    assert names == ["POST /graphql", "graphql query Desk"], names
    operation = next(s for s in spans if s.name == "graphql query Desk")
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Desk"
    http = next(s for s in spans if s.name == "POST /graphql")
    assert operation.parent is not None
    assert operation.parent.span_id == http.context.span_id
    for span in spans:
        assert "people(first" not in str(dict(span.attributes or {}))


async def test_request_spans_are_named_by_route_template(settings: Settings, demo, auth: Auth):
    """Span names carry the route template, never the ids in the path (unbounded names)."""
    import httpx

    app = create_app(settings.model_copy(update={"otel_enabled": True}))
    exporter = InMemorySpanExporter()
    app.state.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    uuid = "AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
            assert (await c.get(f"/v3/assignment/{uuid}", headers=auth.editor)).status_code == 200
            assert (
                await c.get("/api/v1/assignments/asgn_001", headers=auth.admin)
            ).status_code == 200
            assert (await c.delete("/api/v1/me", headers=auth.admin)).status_code == 405
            assert (await c.get("/no/such/route/123")).status_code == 404
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert sorted(spans) == [
        "DELETE /api/v1/me",
        "GET /api/v1/assignments/{id}",
        "GET /v3/assignment/{uuid}",
        "GET unmatched",
    ], sorted(spans)
    attributes = spans["GET /v3/assignment/{uuid}"].attributes
    assert attributes is not None
    assert attributes["http.route"] == "/v3/assignment/{uuid}"
