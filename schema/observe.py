"""Per-operation observability (never per field): the operation name in the log context,
operation counts and latency in Prometheus, and an OpenTelemetry span when tracing is on."""

from __future__ import annotations

import time
from collections.abc import Iterator

from opentelemetry.trace import StatusCode, Tracer
from strawberry.extensions import SchemaExtension

from app import logs, metrics


class OperationMetrics(SchemaExtension):
    def __init__(self, tracer: Tracer | None = None) -> None:
        super().__init__()
        self.tracer = tracer

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        if self.tracer is None:
            yield
            self._record(started)
            return
        with self.tracer.start_as_current_span("graphql.operation") as span:
            yield
            name, kind, outcome = self._record(started)
            span.update_name(f"graphql {kind} {name}")
            span.set_attribute("graphql.operation.name", name)
            span.set_attribute("graphql.operation.type", kind)
            if outcome == "error":
                span.set_status(StatusCode.ERROR)

    def _record(self, started: float) -> tuple[str, str, str]:
        context = self.execution_context
        name = (context.operation_name or "anonymous")[:64]
        result = context.result
        outcome = "error" if context.pre_execution_errors or (result and result.errors) else "ok"
        try:
            kind = context.operation_type.value
        except RuntimeError:  # the document did not parse
            kind = "unknown"
        metrics.GRAPHQL_OPERATIONS.labels(name, kind, outcome).inc()
        metrics.GRAPHQL_LATENCY.labels(name).observe(time.perf_counter() - started)
        return name, kind, outcome

    def on_execute(self) -> Iterator[None]:
        logs.bind(operation=self.execution_context.operation_name or "anonymous")
        yield
