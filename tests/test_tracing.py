"""OpenTelemetry tracing when configured: one span per HTTP request and one per GraphQL
operation, never one per field; no query text or variables in the spans."""

from __future__ import annotations

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.main import create_app
from app.settings import Settings
from tests.helpers import Auth, gql


async def test_operation_level_spans(settings: Settings, demo, auth: Auth):
    import httpx

    app = create_app(settings.model_copy(update={"otel_enabled": True}))
    exporter = InMemorySpanExporter()
    app.state.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
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
