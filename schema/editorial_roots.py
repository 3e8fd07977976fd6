"""GraphQL root fields of the editorial domain: assignments, their exclusive locks and the
``lockChanged`` subscription. The same services as REST ``/v3`` decide every case."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry

from app.services import editorial as service
from app.services.editorial_locks import LOCK_TOPIC
from app.services.editorial_reads import lock_change_for
from app.services.event_log import event_id
from app.services.policy import EditorialAction
from resolvers import editorial as resolve
from resolvers.context import Info
from schema.base import (
    FILTER_HELP,
    After,
    AfterEvent,
    Before,
    First,
    Last,
    paging,
    register_node,
)
from schema.editorial_types import (
    ORDER_KEYS_HELP,
    EditorialAssignment,
    EditorialAssignmentConnection,
    EditorialAssignmentFilter,
    EditorialAssignmentOrder,
    EditorialAssignmentOrderField,
    EditorialAssignmentType,
    EditorialContentItem,
    EditorialIssue,
    EditorialLock,
    EditorialLockChange,
    EditorialLockChangeKind,
    EditorialSortDirection,
    read_order_keys,
)
from schema.listing import read_filter
from schema.text import bounded

_USERS_HELP = "CEO user uuids, or directory ids of people with the editor or admin role."
_CHILDREN_HELP = "Uuids of content items."
_ISSUE_HELP = 'Numeric id of an issue, e.g. "2"; null for none.'
_HTML_HELP = "HTML, stored as given (clients must treat it as untrusted)."
Uuid = Annotated[str, strawberry.argument(description="A CEO uuid (any letter case).")]
Srn = Annotated[
    str,
    strawberry.argument(description="An assignment's srn, `srn:tsn:ceo-core/assignment:<UUID>`."),
]
OnlySrn = Annotated[
    str | None, strawberry.argument(description="Only the lock changes of this srn.")
]
_NEW = strawberry.argument(description="The new assignment.")
_CHANGES = strawberry.argument(description="The changes.")


def _html(name: str) -> Any:
    """An HTML field of an assignment's input, bounded as the service bounds it."""
    return strawberry.field(
        default=strawberry.UNSET,
        description=_HTML_HELP,
        metadata=bounded(service.TEXT_LIMITS[name]),
    )


@strawberry.input(description="A new assignment.")
class CreateEditorialAssignmentInput:
    title: str = strawberry.field(
        description="Working title, not blank.", metadata=bounded(service.MAX_TITLE)
    )
    slug: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="URL slug; made from the title when omitted.",
        metadata=bounded(service.MAX_SLUG),
    )
    type: EditorialAssignmentType | None = strawberry.field(
        default=strawberry.UNSET, description="Defaults to ARTICLE."
    )
    abstract: str | None = _html("abstract")
    content: str | None = _html("content")
    notes: str | None = _html("notes")
    published_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="When it was published; null for not yet."
    )
    due_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="When the work is due; null for no date."
    )
    issue_id: str | None = strawberry.field(default=strawberry.UNSET, description=_ISSUE_HELP)
    children: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=_CHILDREN_HELP
    )
    users: list[str] | None = strawberry.field(default=strawberry.UNSET, description=_USERS_HELP)


@strawberry.input(description="Changes to an assignment; omitted fields stay as they are.")
class UpdateEditorialAssignmentInput:
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Working title.", metadata=bounded(service.MAX_TITLE)
    )
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="URL slug.", metadata=bounded(service.MAX_SLUG)
    )
    type: EditorialAssignmentType | None = strawberry.field(
        default=strawberry.UNSET, description="What it produces."
    )
    abstract: str | None = _html("abstract")
    content: str | None = _html("content")
    notes: str | None = _html("notes")
    published_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="When it was published; null for not yet."
    )
    due_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="When the work is due; null for no date."
    )
    issue_id: str | None = strawberry.field(default=strawberry.UNSET, description=_ISSUE_HELP)
    children: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=_CHILDREN_HELP
    )
    users: list[str] | None = strawberry.field(default=strawberry.UNSET, description=_USERS_HELP)


_INPUT_FIELDS = (
    "title", "slug", "type", "abstract", "content", "notes",
    "published_at", "due_at", "issue_id", "children", "users",
)  # fmt: skip


def _values(
    data: CreateEditorialAssignmentInput | UpdateEditorialAssignmentInput,
) -> dict[str, Any]:
    """The fields the client sent (``None`` = explicit null), enums as their CEO values."""
    values: dict[str, Any] = {}
    for name in _INPUT_FIELDS:
        value = getattr(data, name)
        if value is not strawberry.UNSET:
            values[name] = value.value if isinstance(value, EditorialAssignmentType) else value
    return values


async def _assignment_node(info: Info, key: str) -> EditorialAssignment | None:
    row = await resolve.assignment_node(info.context, key)
    return None if row is None else EditorialAssignment.from_record(row)


async def _issue_node(info: Info, key: str) -> EditorialIssue | None:
    row = await resolve.issue_node(info.context, key)
    return None if row is None else EditorialIssue.from_record(row)


async def _content_node(info: Info, key: str) -> EditorialContentItem | None:
    row = await resolve.content_node(info.context, key)
    return None if row is None else EditorialContentItem.from_record(row)


async def _lock_node(info: Info, key: str) -> EditorialLock | None:
    row = await resolve.lock_node(info.context, key)
    return None if row is None else EditorialLock.from_record(row)


register_node("EditorialAssignment", _assignment_node)
register_node("EditorialIssue", _issue_node)
register_node("EditorialContentItem", _content_node)
register_node("EditorialLock", _lock_node)


@strawberry.type
class EditorialQuery:
    @strawberry.field(description="One assignment by its CEO uuid (ACL: ASSIGNMENT get).")
    async def editorial_assignment(self, info: Info, uuid: Uuid) -> EditorialAssignment:
        return EditorialAssignment.from_record(await resolve.assignment(info.context, uuid))

    @strawberry.field(description="Assignments, ordered (ACL: ASSIGNMENT list).")
    async def editorial_assignments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        order_by: Annotated[
            EditorialAssignmentOrderField | None,
            strawberry.argument(description="Order by (REST `order`; null: MODIFIED_AT)."),
        ] = None,
        direction: Annotated[
            EditorialSortDirection | None,
            strawberry.argument(description="Direction (REST `dir`; null: DESC)."),
        ] = None,
        filter: Annotated[
            EditorialAssignmentFilter | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_keys: Annotated[
            list[EditorialAssignmentOrder] | None,
            strawberry.argument(description=ORDER_KEYS_HELP),
        ] = None,
    ) -> EditorialAssignmentConnection:
        """``orderBy``/``direction`` default to null, meaning MODIFIED_AT/DESC (they
        defaulted to those values, non-null, before ``orderKeys`` came): so a client's
        ``orderBy`` or ``direction`` is told apart from the default, and ``orderKeys``
        with either of them is refused (BAD_USER_INPUT) rather than one silently winning.
        Omitting them orders as before; every value that was valid still is."""
        paged = await resolve.assignments(
            info.context,
            paging(info, first, after, last, before),
            None if order_by is None else str(order_by.value),
            None if direction is None else str(direction.value),
            where=read_filter(filter),
            sort=read_order_keys(order_keys),
        )
        return EditorialAssignmentConnection.of(paged, EditorialAssignment.from_record)

    @strawberry.field(description="One active lock by its uuid (ACL: LOCKREQUEST get).")
    async def editorial_lock(self, info: Info, uuid: Uuid) -> EditorialLock:
        return EditorialLock.from_record((await resolve.lock(info.context, uuid)).lock)


@strawberry.type
class EditorialMutation:
    @strawberry.mutation(description="Create an assignment (ACL: ASSIGNMENT create).")
    async def create_editorial_assignment(
        self, info: Info, input: Annotated[CreateEditorialAssignmentInput, _NEW]
    ) -> EditorialAssignment:
        return EditorialAssignment.from_record(await resolve.create(info.context, _values(input)))

    @strawberry.mutation(
        description="Change an assignment; the caller must hold its lock (ACL: ASSIGNMENT update)."
    )
    async def update_editorial_assignment(
        self, info: Info, uuid: Uuid, input: Annotated[UpdateEditorialAssignmentInput, _CHANGES]
    ) -> EditorialAssignment:
        row = await resolve.update(info.context, uuid, _values(input))
        return EditorialAssignment.from_record(row)

    @strawberry.mutation(
        description="Delete an assignment; the caller must hold its lock (ACL: ASSIGNMENT delete)."
    )
    async def delete_editorial_assignment(self, info: Info, uuid: Uuid) -> bool:
        await resolve.delete(info.context, uuid)
        return True

    @strawberry.mutation(
        description="Lock an assignment's srn for the caller, or renew the caller's own lock "
        "(ACL: LOCKREQUEST create). Another user's lock: CONFLICT."
    )
    async def acquire_editorial_lock(self, info: Info, srn: Srn) -> EditorialLock:
        return EditorialLock.from_record((await resolve.acquire(info.context, srn)).lock)

    @strawberry.mutation(description="Extend a lock the caller holds (ACL: LOCKREQUEST create).")
    async def renew_editorial_lock(self, info: Info, uuid: Uuid) -> EditorialLock:
        return EditorialLock.from_record((await resolve.renew(info.context, uuid)).lock)

    @strawberry.mutation(
        description="Release the caller's lock (RELEASED); admins may break another's "
        "(BROKEN) (ACL: LOCKREQUEST delete)."
    )
    async def release_editorial_lock(self, info: Info, uuid: Uuid) -> EditorialLockChangeKind:
        return EditorialLockChangeKind((await resolve.release(info.context, uuid)).value)


@strawberry.type
class EditorialSubscription:
    @strawberry.subscription(
        description="Lock changes (ACL: LOCKREQUEST get); only those of `srn` when given."
    )
    async def lock_changed(
        self, info: Info, srn: OnlySrn = None, after: AfterEvent = None
    ) -> AsyncGenerator[EditorialLockChange, None]:
        resolve.require(info.context, EditorialAction.LOCKREQUEST_GET)
        wanted = None if srn is None else resolve.canonical_srn(srn)
        async with info.context.changes((LOCK_TOPIC,), after) as events:
            async for event in events:
                change = lock_change_for(info.context.who, event, wanted)
                if change is not None:
                    yield EditorialLockChange.from_record(change, event_id(event))
