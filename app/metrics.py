"""Prometheus metrics, served at ``/metrics``.

With several worker processes, ``gateway serve --workers N`` points
``PROMETHEUS_MULTIPROC_DIR`` at a shared directory so ``/metrics`` on any worker reports
the sum over all of them.
"""

from __future__ import annotations

import hmac
import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

from app.auth import count_failed_authentication
from app.errors import Unauthenticated

HTTP_REQUESTS = Counter(
    "gateway_http_requests_total",
    "HTTP requests by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "gateway_http_request_duration_seconds",
    "HTTP request latency by route template and method.",
    ["route", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
GRAPHQL_OPERATIONS = Counter(
    "gateway_graphql_operations_total",
    "GraphQL operations by operation name, type and outcome (ok or error).",
    ["operation", "type", "outcome"],
)
GRAPHQL_EXECUTIONS = Counter(
    "gateway_graphql_executions_total",
    "GraphQL executions by operation name and executor: direct (the query's answer built "
    "from its plan, schema/direct.py), planned (graphql-core with the plan's steps, "
    "schema/plans.py) or graphql-core (plans off, or asked for by a differential test).",
    ["operation", "executor"],
)
GRAPHQL_LATENCY = Histogram(
    "gateway_graphql_operation_duration_seconds",
    "GraphQL operation latency by operation name.",
    ["operation"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SQL_STATEMENTS = Histogram(
    "gateway_sql_statements_per_request",
    "SQL statements executed while serving one HTTP request.",
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89),
)
DATALOADER_BATCH = Histogram(
    "gateway_dataloader_batch_size",
    "Keys per DataLoader batch, by loader.",
    ["loader"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200),
)
ACTIVE_SUBSCRIPTIONS = Gauge(
    "gateway_active_subscriptions",
    "GraphQL subscriptions currently open.",
    multiprocess_mode="livesum",
)
RATE_LIMITED = Counter(
    "gateway_rate_limit_rejections_total",
    "Requests refused by a rate limit, by limit.",
    ["limit"],
)
NOTIFICATION_DELIVERIES = Counter(
    "gateway_notification_deliveries_total",
    "Notification delivery attempts by channel kind (webhook, email) and outcome: sent, "
    "failed (every failed attempt), dead_lettered (deliveries given up).",
    ["kind", "outcome"],
)


def route_label(scope_route: object, path: str) -> str:
    """The route template (``/api/v1/assignments/{id}``), never the raw path (unbounded)."""
    template = getattr(scope_route, "path", None)
    return template if isinstance(template, str) else "unmatched"


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format; behind ``Authorization: Bearer <GATEWAY_METRICS_TOKEN>`` when
    that setting is set (otherwise restrict ``/metrics`` at the proxy)."""
    token = request.app.state.settings.metrics_token
    if token is not None:
        expected = f"Bearer {token.get_secret_value()}"
        if not hmac.compare_digest(request.headers.get("authorization", ""), expected):
            await count_failed_authentication(request)
            raise Unauthenticated("A metrics token is required")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        data = generate_latest(registry)
    else:
        data = generate_latest()
    return Response(data, media_type=CONTENT_TYPE_LATEST)
