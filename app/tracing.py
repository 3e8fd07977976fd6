"""OpenTelemetry tracing, when configured (``GATEWAY_OTEL_ENABLED=true``).

Spans: one per HTTP request (the ASGI instrumentation, without per-message spans) and one
per GraphQL operation (``schema/observe.py``) — never one per field. Spans are exported
over OTLP/HTTP to the endpoint in the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) environment variable; query text and variables
are not recorded (they may hold personal data).
"""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from app.settings import Settings

UNTRACED_URLS = "healthz,readyz,metrics,static"


def tracer_provider(settings: Settings) -> TracerProvider | None:
    if not settings.otel_enabled:
        return None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.otel_service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider
