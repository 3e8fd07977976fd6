"""The mentoring read model: every batch reader applies the assignment's visibility rule for
the caller (a key the caller may not see answers like a key that names nothing), and the
policy's one rule agrees with its SQL form (the scope) and with the event check."""

from __future__ import annotations

from app.auth import Principal, Role
from app.db import Database
from app.pagination import PageRequest
from app.services import mentoring_pages as pages
from app.services import mentoring_reads as reads
from app.services.mentoring_rules import AssignmentsKey, Filters, NotificationsKey
from app.services.policy import (
    assignment_scope,
    hears_assignment_event,
    manages_assignment,
    sees_assignment,
)

ADMIN = Principal("user_001", frozenset({Role.ADMIN}))
COORDINATOR = Principal("user_007", frozenset({Role.COORDINATOR}), frozenset({"org_03"}))
OTHER_COORDINATOR = Principal("user_201", frozenset({Role.COORDINATOR}), frozenset({"org_05"}))
MENTOR = Principal("user_042", frozenset({Role.PEER_MENTOR}), frozenset({"org_03"}))
OTHER_MENTOR = Principal("user_019", frozenset({Role.PEER_MENTOR}), frozenset({"org_03"}))
EDITOR = Principal("user_300", frozenset({Role.EDITOR}), frozenset({"org_03"}))


def test_one_rule_for_records_scopes_and_events():
    for who in (ADMIN, COORDINATOR, OTHER_COORDINATOR, MENTOR, OTHER_MENTOR, EDITOR):
        scope = assignment_scope(who)
        for org in ("org_03", "org_05", None):
            for mentor in ("user_042", "user_019"):
                seen = sees_assignment(who, org, mentor)
                assert seen == scope.covers(org, mentor)
                payload: dict[str, object] = {"org_id": org, "mentor_id": mentor}
                assert hears_assignment_event(who, payload) == seen
                moved: dict[str, object] = {
                    "org_id": "org_99",
                    "mentor_id": "user_999",
                    "previous_org_id": org,
                    "previous_mentor_id": mentor,
                }
                assert hears_assignment_event(who, moved) == seen
    assert manages_assignment(COORDINATOR, "org_03")
    assert not manages_assignment(COORDINATOR, None)
    assert not manages_assignment(MENTOR, "org_03")
    assert manages_assignment(ADMIN, None)


async def test_readers_answer_hidden_keys_like_missing_ones(db: Database, demo):
    async with db.read() as session:
        for who, sees in (
            (ADMIN, True),
            (COORDINATOR, True),
            (MENTOR, True),
            (OTHER_COORDINATOR, False),
            (OTHER_MENTOR, False),
            (EDITOR, False),
        ):
            found = await reads.assignments_by_ids(session, who, ["asgn_001", "asgn_nope"])
            assert [r is not None for r in found] == [sees, False], who
            contacts = await reads.latest_contacts(session, who, [("asgn_001", 3)])
            assert bool(contacts[0]) == sees, who
            notes = await reads.notifications_of_assignments(session, who, ["asgn_001"])
            assert bool(notes[0]) == sees, who
            by_id = await reads.notifications_by_ids(session, who, ["ntf_asgn001rem"])
            assert (by_id[0] is not None) == sees, who
        closed = await reads.status_histories(session, COORDINATOR, ["assign_000zz"])
        assert [(c.from_status, c.to_status) for c in closed[0]] == [("open", "closed")]
        assert await reads.status_histories(session, OTHER_COORDINATOR, ["assign_000zz"]) == [[]]


async def test_hub_pages_derive_the_scope_from_the_caller(db: Database, demo):
    page = PageRequest(0, 50)
    mine = AssignmentsKey("user_042", "mentor", Filters(status=None), page)
    org = NotificationsKey("org_03", page)
    async with db.read() as session:
        seen = (await pages.assignment_pages(session, MENTOR, [mine]))[0]
        hidden = (await pages.assignment_pages(session, OTHER_MENTOR, [mine]))[0]
        counts = await pages.open_counts(session, OTHER_COORDINATOR, ["user_042"])
        notified = (await pages.notification_pages(session, COORDINATOR, [org]))[0]
        outsider = (await pages.notification_pages(session, OTHER_COORDINATOR, [org]))[0]
    assert seen.total > 0
    assert all(r.mentor_id == "user_042" for r in seen.items)
    assert (hidden.total, list(hidden.items)) == (0, [])
    assert counts == [0]
    assert notified.total > 0
    assert (outsider.total, list(outsider.items)) == (0, [])
