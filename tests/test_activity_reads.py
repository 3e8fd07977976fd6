"""The activities' read model: its batch readers answer ``None`` for what the caller may
not see (exactly as for an unknown key), in the keys' order, with the mentor's
organisations loaded at most once per batch; and the policy's activity predicates."""

from __future__ import annotations

from datetime import date

import pytest

from app.auth import Principal, Role
from app.db import Database
from app.errors import InvalidInput
from app.pagination import PageRequest
from app.services import activity_reads as reads
from app.services.activity_reads import ActivityFilters, ActivityPageKey, ActivityScope
from app.services.policy import activity_scope, hears_activity_event
from tests.helpers import count_statements

ADMIN = Principal("admin_001", frozenset({Role.ADMIN}), frozenset())
COORDINATOR = Principal("user_007", frozenset({Role.COORDINATOR}), frozenset({"org_03"}))
OTHER_COORDINATOR = Principal("user_201", frozenset({Role.COORDINATOR}), frozenset({"org_05"}))
MENTOR = Principal("mentor_4b8c21", frozenset({Role.PEER_MENTOR}), frozenset({"org_03"}))
OTHER_MENTOR = Principal("mentor_001", frozenset({Role.PEER_MENTOR}), frozenset({"org_03"}))
EDITOR = Principal("editor_001", frozenset({Role.EDITOR}), frozenset())

KEYS = ["act_9f3a12bc", "act_nothing", "act_9f3a12bc"]


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        (ADMIN, True),
        (MENTOR, True),
        (COORDINATOR, True),
        (OTHER_MENTOR, False),
        (OTHER_COORDINATOR, False),
        (EDITOR, False),
    ],
    ids=lambda value: value.person_id if isinstance(value, Principal) else str(value),
)
async def test_activities_by_ids_hide_what_the_caller_may_not_see(
    db: Database, demo: None, who: Principal, sees: bool
) -> None:
    async with db.read() as session:
        with count_statements() as counter:
            found = await reads.activities_by_ids(session, who, KEYS)
    assert found[1] is None
    assert found[0] == found[2]
    assert (found[0] is not None) is sees
    if found[0] is not None:
        assert (found[0].id, found[0].peer_mentor_id) == ("act_9f3a12bc", "mentor_4b8c21")
    # The mentor's organisations are read only when the answer depends on them.
    assert counter.count == (2 if who in (COORDINATOR, OTHER_COORDINATOR) else 1)


async def test_activity_types_are_open_to_every_caller(db: Database, demo: None) -> None:
    async with db.read() as session:
        found = await reads.activity_types_by_ids(session, EDITOR, ["type_running", "type_x"])
    assert found[0] is not None
    assert found[0].id == "type_running"
    assert found[1] is None


async def test_hub_pages_apply_the_callers_scope(db: Database, demo: None) -> None:
    page = PageRequest(0, 5)
    keys = [ActivityPageKey("mentor_4b8c21", ActivityFilters(), page)]
    async with db.read() as session:
        own = await reads.activity_pages(session, MENTOR, keys)
        others = await reads.activity_pages(session, OTHER_MENTOR, keys)
        outsider = await reads.activity_pages(session, OTHER_COORDINATOR, keys)
    assert (own[0].total, len(own[0].items)) == (47, 5)
    assert own[0].items[0].id == "act_9f3a12bc"
    assert (others[0].total, others[0].items) == (0, [])
    assert (outsider[0].total, outsider[0].items) == (0, [])


async def test_yearly_summaries_hide_before_they_check_the_year(db: Database, demo: None) -> None:
    keys: list[tuple[str, int | None]] = [
        ("mentor_001", 2025),
        ("mentor_001", 1999),
        ("mentor_4b8c21", 1999),
    ]
    async with db.read() as session:
        found = await reads.yearly_summaries(session, OTHER_MENTOR, keys)
    summary, bad_year, hidden = found
    assert isinstance(summary, reads.YearSummaryRecord)
    assert (summary.year, summary.totals.minutes, summary.totals.activity_count) == (
        2025,
        18750,
        198,
    )
    assert summary.totals.start == date(2025, 1, 1)
    assert isinstance(bad_year, InvalidInput)
    assert hidden is None


def test_activity_scope() -> None:
    assert activity_scope(ADMIN) == ActivityScope(None, None)
    assert activity_scope(COORDINATOR) == ActivityScope(
        frozenset({"user_007"}), frozenset({"org_03"})
    )
    assert activity_scope(MENTOR) == ActivityScope(frozenset({"mentor_4b8c21"}), None)
    assert activity_scope(EDITOR) == ActivityScope(frozenset({"editor_001"}), None)


def test_hears_activity_event() -> None:
    assert hears_activity_event(ADMIN, "mentor_001", ())
    assert hears_activity_event(OTHER_MENTOR, "mentor_001", ())
    assert not hears_activity_event(MENTOR, "mentor_001", ["org_03"])
    assert hears_activity_event(COORDINATOR, "mentor_001", ["org_03"])
    assert not hears_activity_event(OTHER_COORDINATOR, "mentor_001", ["org_03"])
    assert not hears_activity_event(COORDINATOR, None, ())
