"""The milestones' read model: each batch reader applies the visibility rule for its caller,
so a milestone the caller may not see answers exactly as one that does not exist."""

from __future__ import annotations

from datetime import date

from app.auth import Principal, Role
from app.db import Database
from app.pagination import PageRequest
from app.services import milestone_reads as reads

ADMIN = Principal("admin_001", frozenset({Role.ADMIN}))
COORDINATOR = Principal("user_007", frozenset({Role.COORDINATOR}), frozenset({"org_03"}))
OTHER_COORDINATOR = Principal("user_201", frozenset({Role.COORDINATOR}), frozenset({"org_05"}))
MENTOR = Principal("mentor_001", frozenset({Role.PEER_MENTOR}), frozenset({"org_03"}))
OTHER_MENTOR = Principal("user_042", frozenset({Role.PEER_MENTOR}), frozenset({"org_03"}))
KEYS = ["milestone_100h", "no_such_milestone", "milestone_500h"]


async def test_milestones_by_ids_hide_what_the_caller_may_not_see(db: Database, demo: None):
    async with db.read() as session:
        for who in (ADMIN, COORDINATOR, MENTOR):
            found = await reads.milestones_by_ids(session, who, KEYS)
            assert [r.id if r else None for r in found] == [KEYS[0], None, KEYS[2]], who
            assert found[0] is not None
            assert (found[0].mentor_id, found[0].type, found[0].threshold) == (
                "mentor_001",
                reads.MilestoneType.HOURS_LOGGED,
                100,
            )
            assert found[0].achieved
            assert found[0].badge == "100h"
        for who in (OTHER_COORDINATOR, OTHER_MENTOR):
            assert await reads.milestones_by_ids(session, who, KEYS) == [None, None, None], who


async def test_person_pages_and_mentees_helped_follow_the_same_rule(db: Database, demo: None):
    key = reads.MentorMilestonePage("mentor_001", reads.MilestoneFilters(), PageRequest(0, 3))
    period = ("mentor_a1b2c3", date(2025, 1, 1), date(2025, 12, 31))
    async with db.read() as session:
        (mine,) = await reads.milestone_pages(session, MENTOR, [key])
        (theirs,) = await reads.milestone_pages(session, OTHER_COORDINATOR, [key])
        helped = await reads.mentees_helped(session, COORDINATOR, [period])
        counted = await reads.mentees_helped(session, ADMIN, [period])
        hidden = await reads.mentees_helped(session, OTHER_COORDINATOR, [period])
    assert mine.total > 3
    assert len(mine.items) == 3
    assert all(item.mentor_id == "mentor_001" for item in mine.items)
    assert (theirs.total, list(theirs.items)) == (0, [])
    assert hidden == [0]
    assert helped == counted == [1]


async def test_definitions_by_ids_are_the_catalogue(db: Database, demo: None):
    async with db.read() as session:
        found = await reads.definitions_by_ids(session, OTHER_MENTOR, ["msd_hours_100", "nope"])
    assert found[1] is None
    assert found[0] is not None
    assert (found[0].name, found[0].badge, found[0].active) == ("100 Hours Milestone", "100h", True)
