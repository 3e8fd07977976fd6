"""Demo data of the editorial domain (contract 004): the example assignment
``AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB`` (id 5) with its issue (id 2), children and user,
four more assignments, and ``(scale - 1) * 100`` generated ones for volume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.editorial import (
    EditorialAssignment,
    EditorialAssignmentChild,
    EditorialAssignmentUser,
    EditorialContentItem,
    EditorialIssue,
    EditorialUser,
)

EXAMPLE_UUID = "AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB"
EXAMPLE_USER_UUID = "PPPPPPPP-1234-4567-7890-BBBBBBBBBBBB"
CHILD_UUIDS = ("UUUUUUUU-1234-4567-7890-BBBBBBBBBBBB", "OOOOOOOO-1234-4567-7890-BBBBBBBBBBBB")


def _t(text_value: str) -> datetime:
    return datetime.strptime(text_value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


# (id, uuid, directory person)
USERS = (
    (1, EXAMPLE_USER_UUID, "editor_001"),
    (2, "QQQQQQQQ-1234-4567-7890-BBBBBBBBBBBB", "admin_001"),
)

# (id, uuid, label, published_at)
ISSUES = (
    (1, "IIIIIIII-1234-4567-7890-000000000001", "December 1, 2016", "2016-12-01 05:00:00"),
    (2, "IIIIIIII-1234-4567-7890-000000000002", "January 5, 2017", "2017-01-05 05:00:00"),
    (3, "IIIIIIII-1234-4567-7890-000000000003", "February 2, 2017", None),
)

# (id, uuid, type, slug, title)
CONTENT = (
    (1, CHILD_UUIDS[0], "article", "council-budget", "Council passes the 2017 budget"),
    (2, CHILD_UUIDS[1], "media", "council-budget-photo", "The council chamber during the vote"),
    (
        3,
        "CCCCCCCC-1234-4567-7890-BBBBBBBBBBBB",
        "article",
        "winter-sports",
        "Winter sports preview",
    ),
    (4, "DDDDDDDD-1234-4567-7890-BBBBBBBBBBBB", "gallery", "snow-day", "Snow day on campus"),
)

# (id, uuid, slug, type, title, content, created, modified, due, issue, users, children)
ASSIGNMENTS = (
    (1, "AAAAAAAA-1234-4567-7890-000000000001", "budget-explainer", "article",
     "What the budget means for students", "<p>Draft outline</p>",
     "2016-11-20 10:00:00", "2016-11-28 09:30:00", "2016-11-30 05:00:00", 1, (1,), (1,)),
    (2, "AAAAAAAA-1234-4567-7890-000000000002", "budget-vote-photos", "media",
     "Photos of the budget vote", "", "2016-11-21 12:00:00", "2016-12-02 16:45:00",
     "2016-11-29 05:00:00", 1, (2,), (2,)),
    (3, "AAAAAAAA-1234-4567-7890-000000000003", "winter-sports-preview", "article",
     "Winter sports preview", "<p>Interview the coaches</p>", "2016-12-01 08:00:00",
     "2017-01-03 11:00:00", "2017-01-04 05:00:00", 2, (1, 2), (3,)),
    (4, "AAAAAAAA-1234-4567-7890-000000000004", "snow-day-gallery", "gallery",
     "Snow day gallery", "", "2017-01-20 07:15:00", "2017-01-31 18:20:00",
     None, 3, (), (4,)),
    (5, EXAMPLE_UUID, "some-slug", "article", "A title", "<p>something</p>",
     "2016-12-15 21:12:28", "2017-02-16 22:01:21", "2016-12-30 05:00:00", 2, (1,), (1, 2)),
)  # fmt: skip

SCALED_PER_STEP = 100


def scaled_assignment_uuid(n: int) -> str:
    return f"SSSSSSSS-1234-4567-7890-{n:012d}"


async def seed(session: AsyncSession, scale: int) -> None:
    session.add_all(EditorialUser(id=i, uuid=u, person_id=p) for i, u, p in USERS)
    session.add_all(
        EditorialIssue(
            id=i, uuid=u, label=label, published_at=_t(pub) if pub else None,
            created_at=_t("2016-11-01 12:00:00"), modified_at=_t("2016-11-01 12:00:00"),
        )
        for i, u, label, pub in ISSUES
    )  # fmt: skip
    session.add_all(
        EditorialContentItem(
            id=i, uuid=u, type=kind, slug=slug, title=title,
            created_at=_t("2016-12-01 12:00:00"), modified_at=_t("2016-12-10 12:00:00"),
        )
        for i, u, kind, slug, title in CONTENT
    )  # fmt: skip
    await session.flush()
    for row in ASSIGNMENTS:
        aid, uuid, slug, kind, title, content, created, modified, due, issue = row[:10]
        session.add(
            EditorialAssignment(
                id=aid, uuid=uuid, slug=slug, type=kind, title=title, content=content,
                created_at=_t(created), modified_at=_t(modified),
                due_at=_t(due) if due else None, creator_id=1, issue_id=issue,
            )
        )  # fmt: skip
    await session.flush()
    await add_scaled_assignments(session, (scale - 1) * SCALED_PER_STEP, first_id=6)
    links_users = [
        {"assignment_id": row[0], "user_id": uid, "position": i}
        for row in ASSIGNMENTS
        for i, uid in enumerate(row[10])
    ]
    links_children = [
        {"assignment_id": row[0], "content_id": cid, "position": i}
        for row in ASSIGNMENTS
        for i, cid in enumerate(row[11])
    ]
    await session.execute(insert(EditorialAssignmentUser), links_users)
    await session.execute(insert(EditorialAssignmentChild), links_children)
    await sync_sequences(session)


async def add_scaled_assignments(session: AsyncSession, count: int, *, first_id: int) -> None:
    """``count`` generated assignments (each with a user and a child) for volume tests."""
    if count <= 0:
        return
    base = _t("2017-03-01 09:00:00")
    rows = [
        {
            "id": first_id + n,
            "uuid": scaled_assignment_uuid(first_id + n),
            "slug": f"story-{first_id + n}",
            "type": "article",
            "title": f"Story {first_id + n}",
            "abstract": "",
            "content": f"<p>Story {first_id + n}</p>",
            "notes": "",
            "created_at": base + timedelta(hours=n),
            "modified_at": base + timedelta(hours=n, minutes=30),
            "due_at": base + timedelta(days=7, hours=n),
            "published_at": None,
            "creator_id": 1 + n % 2,
            "issue_id": 1 + n % 3,
        }
        for n in range(count)
    ]
    await session.execute(insert(EditorialAssignment), rows)
    await session.execute(
        insert(EditorialAssignmentUser),
        [
            {"assignment_id": r["id"], "user_id": 1 + n % 2, "position": 0}
            for n, r in enumerate(rows)
        ],
    )
    await session.execute(
        insert(EditorialAssignmentChild),
        [
            {"assignment_id": r["id"], "content_id": 1 + n % 4, "position": 0}
            for n, r in enumerate(rows)
        ],
    )
    await sync_sequences(session)


async def sync_sequences(session: AsyncSession) -> None:
    """After inserting explicit ids, move PostgreSQL's id sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("editorial_users", "editorial_issues", "editorial_content_items",
                  "editorial_assignments"):  # fmt: skip
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )
