"""Schemathesis against ``/openapi.json``: every operation, in-process over ASGI, with an
admin token and without one.

Checks: no server error (5xx); status code, content type and body as the OpenAPI document
says (the document is generated from the ``Endpoint`` records, so a failure here means a
route or its declared models are wrong); data that violates the document (negative mode)
is refused with a 4xx; reads the document allows (positive mode) are not refused.

The admin runs are fed ids that exist (``tests/fuzz_rest_support.py``) and every operation
runs its written success cases too, so the run must reach every operation's 2xx answer
(and check its body) and give every operation a negative case; both are asserted. The
seed and the number of examples: ``tests/fuzz_support.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.applications import Starlette

from app.auth import TokenService
from app.rest.http import UNSAFE_TEXT
from app.rest.openapi import openapi_document
from app.settings import Settings
from tests.fuzz_rest_support import Pools, explicit_cases, fed_strategy, harvest, preconditions
from tests.fuzz_support import (
    CROSS_FIELD,
    NO_NEGATIVE_CASE,
    REPLAY,
    Case,
    Tally,
    announce,
    fuzz_app,
    operations,
    run_operations,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def gateway(settings: Settings, demo) -> Iterator[Starlette]:
    yield from fuzz_app(settings)


def _admin(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {TokenService(settings).issue('admin_001', ['admin'])}"}


def _schema(gateway: Starlette) -> BaseSchema:
    """The document, with 413 counted as refusing invalid data: a text field may state a
    bound (``content``: 1,000,000 characters) that a body of multi-byte characters passes
    only beyond the 1 MiB body limit, which is refused as too large."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", gateway)
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    return schema


def _json(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None  # 304, or a refusal that is not JSON (the checks judged it)


# What the admin runs reached (filled by test_admin, asserted by the tests after it).
RUNS: dict[GenerationMode, Tally] = {}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_admin(
    gateway: Starlette,
    settings: Settings,
    mode: GenerationMode,
    capsys: pytest.CaptureFixture[str],
):
    """Every operation as an admin: ids fed from the database, each operation's own success
    cases first, every answer checked against the document."""
    announce(capsys)
    schema = _schema(gateway)
    headers = _admin(settings)
    pools = Pools()
    harvest(schema, headers, pools)

    def validated(case: Case) -> int:
        extra = preconditions(schema, case, headers)
        response = case.call_and_validate(checks=CHECKS, headers={**headers, **extra})
        pools.learn(case, response.status_code, _json(response))
        return response.status_code

    tally = run_operations(
        schema,
        validated,
        mode=mode,
        strategy=fed_strategy(pools, headers),
        explicit=explicit_cases(pools) if mode is GenerationMode.POSITIVE else None,
    )
    RUNS[mode] = tally
    with capsys.disabled():
        print(f"[fuzz] REST admin {mode.value}: {tally.summary()}")
    assert tally.failures == {}, tally.report()


def _labels(gateway: Starlette) -> list[str]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", gateway)
    return [operation.label for operation in operations(schema)]


def test_every_operation_answered_2xx(gateway: Starlette, capsys: pytest.CaptureFixture[str]):
    """The positive admin run reached every operation's success answer (so every success
    body was checked against the document)."""
    tally = RUNS.get(GenerationMode.POSITIVE)
    assert tally is not None, "run test_admin[positive] first (this test reads its tally)"
    never = [label for label in _labels(gateway) if not tally.succeeded(label)]
    explicit_only = [label for label in _labels(gateway) if label not in tally.generated_2xx]
    with capsys.disabled():
        print(
            f"\n[fuzz] REST: {len(_labels(gateway)) - len(never)} operations answered 2xx, "
            f"{len(explicit_only)} only through their written cases: {explicit_only}"
        )
    answers = {label: dict(tally.statuses.get(label, {})) for label in never}
    assert never == [], f"never answered 2xx: {answers} ({REPLAY})"


def test_every_operation_got_a_negative_case(gateway: Starlette):
    tally = RUNS.get(GenerationMode.NEGATIVE)
    assert tally is not None, "run test_admin[negative] first (this test reads its tally)"
    empty = [label for label in _labels(gateway) if not tally.cases[label]]
    assert set(tally.unsatisfiable) <= set(empty)  # Unsatisfiable: counted as no case
    unlisted = [label for label in empty if label not in NO_NEGATIVE_CASE]
    assert unlisted == [], f"no negative case generated: {unlisted} ({REPLAY})"
    stale = [label for label in NO_NEGATIVE_CASE if label not in empty]
    assert stale == [], f"listed as having no negative case, but got some: {stale}"


def _cross_field_paths(settings: Settings) -> list[str]:
    paths = []
    for path, methods in openapi_document(settings)["paths"].items():
        parameters = methods.get("get", {}).get("parameters", [])
        if any(any(m in p.get("description", "") for m in CROSS_FIELD) for p in parameters):
            paths.append(path)
    return paths


def test_reads_the_document_allows_are_not_refused(gateway: Starlette, settings: Settings):
    """Positive data on every read: a request valid by the document is never refused with a
    400 or 422 (bounds, patterns, ranges and page sizes are stated as enforced)."""
    excluded = _cross_field_paths(settings)
    assert "/api/v1/activities" in excluded
    schema = _schema(gateway).include(method="GET").exclude(path=excluded)

    def accepted(case: Case) -> int | None:
        values = [*(case.query or {}).values(), *(case.path_parameters or {}).values()]
        if any(UNSAFE_TEXT.search(str(value)) for value in values):
            return None  # the generator let a NUL past the documented pattern: not valid
        return case.call_and_validate(
            checks=[positive_data_acceptance, not_a_server_error]
        ).status_code

    tally = run_operations(schema, accepted, headers=_admin(settings))
    assert tally.failures == {}, tally.report()


def test_anonymous(gateway: Starlette):
    """Without credentials every operation answers 401, as documented, whatever the input."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", gateway)

    def unauthenticated(case: Case) -> int:
        response = case.call_and_validate(checks=CHECKS[:4])
        assert response.status_code == 401, response.text
        return response.status_code

    tally = run_operations(schema, unauthenticated, examples=5)
    assert tally.failures == {}, tally.report()
