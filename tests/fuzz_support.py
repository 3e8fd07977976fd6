"""Running schemathesis operations inside the suite: each operation gets a small, seeded
Hypothesis run, failures are collected per operation and reported together.

The application under test is a fresh ``create_app(settings)`` served in-process by
schemathesis' ASGI transport (its own event loop thread, which runs the app's lifespan), on
the test database the ``demo`` fixture filled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, GenerationMode
from schemathesis import Case as AnyCase
from schemathesis.core.result import Ok
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.schemas import BaseSchema
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings

Case = AnyCase[Any]
Operation = APIOperation[Any, Any, Any, Any]

# Examples per operation and mode; raise GATEWAY_FUZZ_EXAMPLES for a deeper local run.
EXAMPLES = int(os.environ.get("GATEWAY_FUZZ_EXAMPLES", "15"))


def fuzz_app(app_settings: Settings) -> Iterator[Starlette]:
    """A gateway app for schemathesis' ASGI transport; its lifespan is stopped afterwards.
    A small connection pool: it runs beside the suite's own apps on the same server."""
    application = create_app(
        app_settings.model_copy(update={"db_pool_size": 3, "db_max_overflow": 2})
    )
    try:
        yield application
    finally:
        schemathesis_asgi.shutdown_lifespans()


def operations(schema: BaseSchema) -> list[Operation]:
    """Every operation of the schema; an operation schemathesis cannot read fails the test."""
    found: list[Operation] = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise result.err()
        found.append(result.ok())
    return found


def run_operations(
    schema: BaseSchema,
    check: Callable[[Case], None],
    *,
    mode: GenerationMode = GenerationMode.POSITIVE,
    headers: dict[str, str] | None = None,
    examples: int = EXAMPLES,
) -> dict[str, str]:
    """Run ``check`` on generated cases of every operation; ``{operation: failure}``."""
    failures: dict[str, str] = {}
    for operation in operations(schema):

        @settings(
            max_examples=examples,
            derandomize=True,  # the same cases on every run
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
        )
        @given(case=operation.as_strategy(mode, headers=headers))
        def run(case: Case) -> None:
            check(case)

        try:
            run()
        except Unsatisfiable:
            continue  # nothing to generate in this mode (e.g. no way to negate a path string)
        except (Exception, BaseExceptionGroup) as exc:  # reported together below
            failures[operation.label] = _describe(exc)
    return failures


def _describe(exc: BaseException) -> str:
    parts: list[Any] = [str(exc)]
    parts += [str(inner)[:800] for inner in getattr(exc, "exceptions", ())]
    return "\n".join(parts)[:3000]
