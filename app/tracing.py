"""OpenTelemetry tracing, when configured (``GATEWAY_OTEL_ENABLED=true``).

Spans: one per HTTP request (the ASGI instrumentation, without per-message spans, named by
the route template: ``GET /api/v1/assignments/{id}``) and one
per GraphQL operation (``schema/observe.py``) — never one per field. Spans are exported
over OTLP/HTTP to the endpoint in the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) environment variable; query text and variables
are not recorded (they may hold personal data).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import get_default_span_details
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from app.metrics import route_label
from app.settings import Settings

UNTRACED_URLS = "healthz,readyz,metrics,static"


def span_details(routes: Sequence[BaseRoute]) -> Callable[[Scope], tuple[str, dict[str, Any]]]:
    """Request spans named ``METHOD /route/{template}`` (with ``http.route``), as the
    metrics label them: the raw path carries ids, and would make every span name unique."""

    def details(scope: Scope) -> tuple[str, dict[str, Any]]:
        route = next((r for r in routes if r.matches(scope)[0] is not Match.NONE), None)
        template = route_label(route, scope.get("path", ""))
        if scope["type"] == "websocket":
            return template, {"http.route": template}
        # The instrumentation's own rule for the method (unknown methods are one name).
        method, _ = get_default_span_details({"method": scope.get("method", "")})
        return f"{method} {template}", {"http.route": template}

    return details


def tracer_provider(settings: Settings) -> TracerProvider | None:
    if not settings.otel_enabled:
        return None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.otel_service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider
