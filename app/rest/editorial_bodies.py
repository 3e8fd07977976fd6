"""The CEO v3 JSON shapes of editorial records, and their OpenAPI models.

Ids are numeric strings, uuids upper case, timestamps ``YYYY-MM-DD HH:MM:SS`` (UTC, no
zone), ``lock`` is the lock-request object while the assignment is locked, else ``false``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel

from app.pagination import Paged
from app.services.editorial_format import format_ceo_time, srn
from app.services.editorial_reads import (
    AssignmentView,
    ContentItemRecord,
    IssueRecord,
    LockView,
    UserRecord,
)


class UserOut(BaseModel):
    id: str
    uuid: str
    name: str
    person_id: str
    srn: str


class IssueOut(BaseModel):
    id: str
    uuid: str
    label: str
    published_at: str | None
    created_at: str
    modified_at: str
    srn: str


class ContentOut(BaseModel):
    id: str
    uuid: str
    type: str
    slug: str
    title: str
    created_at: str
    modified_at: str
    srn: str


class LockOut(BaseModel):
    uuid: str
    srn: str
    state: Literal["accepted"]
    user_id: str
    user: UserOut | None
    created_at: str
    modified_at: str
    expires_at: str


class AssignmentOut(BaseModel):
    id: str
    uuid: str
    slug: str
    type: str
    title: str
    abstract: str
    content: str
    notes: str
    created_at: str
    modified_at: str
    published_at: str | None
    due_at: str | None
    creator_id: str
    issue_id: str | None
    srn: str
    children: list[ContentOut]
    issue: IssueOut | None
    lock: LockOut | Literal[False]
    users: list[UserOut]


class AssignmentListOut(BaseModel):
    items: list[AssignmentOut]
    first: int
    before: int
    current: int
    last: int
    next: int
    total_pages: int
    total_items: int
    limit: int


class MessageOut(BaseModel):
    message: str


def user_json(user: UserRecord) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "uuid": user.uuid,
        "name": user.name,
        "person_id": user.person_id,
        "srn": srn("user", user.uuid),
    }


def issue_json(issue: IssueRecord) -> dict[str, Any]:
    return {
        "id": str(issue.id),
        "uuid": issue.uuid,
        "label": issue.label,
        "published_at": format_ceo_time(issue.published_at),
        "created_at": format_ceo_time(issue.created_at),
        "modified_at": format_ceo_time(issue.modified_at),
        "srn": srn("issue", issue.uuid),
    }


def content_json(item: ContentItemRecord) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "uuid": item.uuid,
        "type": item.type,
        "slug": item.slug,
        "title": item.title,
        "created_at": format_ceo_time(item.created_at),
        "modified_at": format_ceo_time(item.modified_at),
        "srn": srn(item.type, item.uuid),
    }


def lock_json(view: LockView) -> dict[str, Any]:
    lock = view.lock
    return {
        "uuid": lock.uuid,
        "srn": lock.srn,
        "state": "accepted",
        "user_id": str(lock.user_id),
        "user": None if view.holder is None else user_json(view.holder),
        "created_at": format_ceo_time(lock.created_at),
        "modified_at": format_ceo_time(lock.modified_at),
        "expires_at": format_ceo_time(lock.expires_at),
    }


def assignment_json(view: AssignmentView) -> dict[str, Any]:
    row = view.assignment
    return {
        "id": str(row.id),
        "uuid": row.uuid,
        "slug": row.slug,
        "type": row.type,
        "title": row.title,
        "abstract": row.abstract,
        "content": row.content,
        "notes": row.notes,
        "created_at": format_ceo_time(row.created_at),
        "modified_at": format_ceo_time(row.modified_at),
        "published_at": format_ceo_time(row.published_at),
        "due_at": format_ceo_time(row.due_at),
        "creator_id": str(row.creator_id),
        "issue_id": None if row.issue_id is None else str(row.issue_id),
        "srn": row.srn,
        "children": [content_json(item) for item in view.children],
        "issue": None if view.issue is None else issue_json(view.issue),
        "lock": False if view.lock is None else lock_json(view.lock),
        "users": [user_json(user) for user in view.users],
    }


def list_envelope(paged: Paged[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """CEO's page-number envelope: ``before`` stays 1 on the first page, ``next`` stays
    ``last`` on the last; ``last`` is at least 1 (``total_pages`` is 0 for no items)."""
    limit, page, total = paged.request.limit, paged.request.page, paged.total
    total_pages = math.ceil(total / limit)
    last = max(total_pages, 1)
    return {
        "items": items,
        "first": 1,
        "before": max(min(page - 1, last), 1),
        "current": page,
        "last": last,
        "next": page + 1 if page < last else last,
        "total_pages": total_pages,
        "total_items": total,
        "limit": limit,
    }
