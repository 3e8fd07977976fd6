"""The HTTP edge under hostile use: bodies streamed past the limit, GraphQL bodies that are
not objects, 405s with ``Allow``, and per-request state that does not outlive the request."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.db import open_statement_counters
from tests.helpers import Auth, count_statements


async def test_requests_from_one_task_leave_no_statement_counter_behind(
    client: httpx.AsyncClient, demo, auth: Auth, caplog: pytest.LogCaptureFixture
):
    """The ASGI client runs the app in the test's own task: each request's counter must be
    gone after the request, and each still counts that request's statements."""
    assert open_statement_counters() == 0
    with caplog.at_level(logging.INFO, logger="gateway.access"), count_statements() as outer:
        for _ in range(5):
            response = await client.get("/api/v1/me", headers=auth.admin)
            assert response.status_code == 200
            assert open_statement_counters() == 1  # the test's own
    assert open_statement_counters() == 0
    counts = [r.__dict__["sql_statements"] for r in caplog.records if r.name == "gateway.access"]
    assert len(counts) == 5
    assert counts[0] > 0
    assert counts == [counts[0]] * 5
    assert sum(counts) == outer.count
