"""Per-operation observability (never per field): the operation name in the log context,
and operation counts and latency in Prometheus."""

from __future__ import annotations

import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from app import logs, metrics


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
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

    def on_execute(self) -> Iterator[None]:
        logs.bind(operation=self.execution_context.operation_name or "anonymous")
        yield
