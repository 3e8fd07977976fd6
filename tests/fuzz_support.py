"""Running schemathesis operations inside the suite: each operation gets a small Hypothesis
run from one seed, and every answer is tallied per operation (status codes, cases
generated, an empty negative space), so the tests can assert what the run reached.

The seed varies between runs: ``GATEWAY_FUZZ_SEED`` replays one (every test prints it and
every failure names it); ``GATEWAY_FUZZ_EXAMPLES`` sets the examples per operation and mode.

The application under test is a fresh ``create_app(settings)`` served in-process by
schemathesis' ASGI transport (its own event loop thread, which runs the app's lifespan), on
the test database the ``demo`` fixture filled.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
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
Strategy = Callable[[Operation, GenerationMode], st.SearchStrategy[Case]]

# The run's seed: GATEWAY_FUZZ_SEED=<n> replays a run, by default a new one each time.
SEED = int(os.environ.get("GATEWAY_FUZZ_SEED") or random.randrange(2**32))
# Examples per operation and mode; the nightly run sets GATEWAY_FUZZ_EXAMPLES=200.
EXAMPLES = int(os.environ.get("GATEWAY_FUZZ_EXAMPLES", "12"))
REPLAY = f"replay with GATEWAY_FUZZ_SEED={SEED} GATEWAY_FUZZ_EXAMPLES={EXAMPLES}"

# Every health check the fuzz runs switch off, and why (the others stay on).
SUPPRESSED_HEALTH_CHECKS: dict[HealthCheck, str] = {
    HealthCheck.too_slow: "each example is a request through the whole app and database",
    HealthCheck.filter_too_much: "schemathesis filters strings against the document's "
    "patterns (ids, uuids, srns), which rejects many drawn values by design",
    HealthCheck.data_too_large: "documented text bounds reach 1,000,000 characters and "
    "negative cases cross them on purpose",
    HealthCheck.large_base_example: "an input object with every field bounded by the "
    "document is large even at its smallest",
}

# REST operations that get no negative case, and why (any other one without a case fails).
NO_NEGATIVE_CASE: dict[str, str] = {
    "GET /api/v1/me": "no parameter and no body: there is nothing to make invalid",
}
# Reads left out of the "valid data is not refused" run, found by these words in a query
# parameter's description: a rule across parameters (``from`` not after ``to``, both
# period dates or neither, aliases that must agree) that JSON Schema cannot state, so
# values each valid on their own may be refused.
CROSS_FIELD = ("`to`", "`from`", "not with", "must agree", "give start_date", "give end_date")


def announce(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the seed to the terminal (not captured), so every run can be replayed."""
    with capsys.disabled():
        print(f"\n[fuzz] GATEWAY_FUZZ_SEED={SEED} GATEWAY_FUZZ_EXAMPLES={EXAMPLES}")


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


@dataclass
class Tally:
    """What a run reached, per operation label."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    cases: Counter[str] = field(default_factory=Counter)  # generated cases run
    unsatisfiable: list[str] = field(default_factory=list)  # nothing to generate
    failures: dict[str, str] = field(default_factory=dict)
    generated_2xx: set[str] = field(default_factory=set)  # a generated case succeeded
    seconds: dict[str, float] = field(default_factory=dict)

    def answered(self, label: str, status: int) -> None:
        self.statuses.setdefault(label, Counter())[status] += 1

    def succeeded(self, label: str) -> bool:
        return any(200 <= s < 300 for s in self.statuses.get(label, ()))

    def summary(self) -> str:
        ranked = sorted(self.seconds.items(), key=lambda item: -item[1])
        slowest = ", ".join(f"{k} {v:.0f}s" for k, v in ranked[:3])
        return (
            f"{sum(self.cases.values())} generated cases in {sum(self.seconds.values()):.0f}s "
            f"(slowest: {slowest}); no case at all: {self.unsatisfiable or 'none'}"
        )

    def report(self) -> str:
        lines = [REPLAY]
        for label, failure in self.failures.items():
            lines.append(f"--- {label}\n{failure}")
        return "\n".join(lines)


def run_operations(
    schema: BaseSchema,
    check: Callable[[Case], int | None],
    *,
    mode: GenerationMode = GenerationMode.POSITIVE,
    headers: dict[str, str] | None = None,
    examples: int = EXAMPLES,
    strategy: Strategy | None = None,
    explicit: Callable[[Operation], list[Case]] | None = None,
    tally: Tally | None = None,
) -> Tally:
    """Run ``check`` (which answers the status code it saw) on generated cases of every
    operation; failures, statuses and empty negative spaces land in the tally.

    ``explicit`` gives an operation's hand-written cases (built just before it runs, from
    what the run has learnt so far): they run first, through the same check, until one
    answers 2xx."""
    tally = tally if tally is not None else Tally()
    # Deletes last, in reverse order: a delete drawn from the pools removes records that
    # later operations would find gone (an editorial lock needs a live assignment; deleting
    # the assignment deletes its lock, so the lock's own delete goes first).
    found = operations(schema)
    ordered = sorted(
        found,
        key=lambda op: (
            op.method.upper() == "DELETE",
            -found.index(op) if op.method.upper() == "DELETE" else 0,
        ),
    )
    for index, operation in enumerate(ordered):
        label = operation.label
        try:
            for case in explicit(operation) if explicit is not None else ():
                status = check(case)
                if status is not None:
                    tally.answered(label, status)
                    if 200 <= status < 300:
                        break
        except (Exception, BaseExceptionGroup) as exc:
            tally.failures[label] = "explicit case: " + _describe(exc)
            continue
        cases = (
            strategy(operation, mode)
            if strategy is not None
            else operation.as_strategy(mode, headers=headers)
        )

        @seed(SEED + index)
        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            suppress_health_check=list(SUPPRESSED_HEALTH_CHECKS),
            # No shrinking: the database changes under the run, so a shrunk case would not
            # replay; the seed replays the whole run instead.
            phases=[Phase.explicit, Phase.generate],
        )
        @given(case=cases)
        def run(case: Case) -> None:
            tally.cases[label] += 1
            status = check(case)
            if status is not None:
                tally.answered(label, status)
                if 200 <= status < 300:
                    tally.generated_2xx.add(label)

        started = time.monotonic()
        try:
            run()
        except Unsatisfiable:
            tally.unsatisfiable.append(label)  # no case at all in this mode: reported
        except (Exception, BaseExceptionGroup) as exc:  # reported together below
            tally.failures[label] = _describe(exc)
        finally:
            tally.seconds[label] = time.monotonic() - started
    return tally


def _describe(exc: BaseException) -> str:
    parts: list[Any] = [str(exc)]
    parts += [str(inner)[:800] for inner in getattr(exc, "exceptions", ())]
    return "\n".join(parts)[:3000]
