"""GraphQL types of the editorial domain (SNworks CEO v3 assignments and their locks).

Types build from the read model's records (``app/services/editorial_reads.py``). Every
relation (issue, users, children, creator, lock, holder) is loaded through a batch reader,
so a page of assignments costs the same number of queries at any size. The people of
``users``, ``creator`` and ``holder`` are shown as the caller may see them at their own
route: in full, or as the directory card (id + name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from datetime import datetime
from enum import Enum

import strawberry

from app.errors import BadRequest
from app.listing import Sort
from app.services import editorial_reads as records
from app.services.editorial_format import srn
from resolvers import editorial as resolve
from resolvers.context import Info
from schema.aggregates import AggregatedConnection, Aggregates, aggregated
from schema.base import Node, event_id_field, to_global_id
from schema.listing import (
    DateTimeFilter,
    EnumFilter,
    IntFilter,
    KeyFilter,
    SortDirection,
    TextFilter,
    read_order,
)
from schema.people_types import Person

_HTML_NOTE = (
    " Editors' HTML, stored exactly as given: treat it as untrusted HTML "
    "(sanitise before rendering it in a page)."
)


@strawberry.enum(description="What an assignment produces (CEO `type`).")
class EditorialAssignmentType(Enum):
    ARTICLE = strawberry.enum_value("article", description="A written story.")
    MEDIA = strawberry.enum_value("media", description="A single photo or graphic.")
    GALLERY = strawberry.enum_value("gallery", description="A set of photos.")
    AUDIO = strawberry.enum_value("audio", description="A recording or podcast.")
    VIDEO = strawberry.enum_value("video", description="A video.")
    POST = strawberry.enum_value("post", description="A short post.")


@strawberry.enum(description="Properties assignments can be ordered by.")
class EditorialAssignmentOrderField(Enum):
    ID = strawberry.enum_value("id", description="The CEO numeric id.")
    SLUG = strawberry.enum_value("slug", description="The URL slug.")
    TYPE = strawberry.enum_value("type", description="The type.")
    TITLE = strawberry.enum_value("title", description="The working title.")
    CREATED_AT = strawberry.enum_value("created_at", description="When it was created.")
    MODIFIED_AT = strawberry.enum_value("modified_at", description="Last change (default).")
    PUBLISHED_AT = strawberry.enum_value(
        "published_at",
        description="When published; unpublished last as `orderBy` (in `orderKeys` nulls "
        "sort as its `SortDirection` says).",
    )
    DUE_AT = strawberry.enum_value(
        "due_at",
        description="When it is due; undated last as `orderBy` (in `orderKeys` nulls sort "
        "as its `SortDirection` says).",
    )


@strawberry.enum(description="Sort direction.")
class EditorialSortDirection(Enum):
    ASC = strawberry.enum_value("asc", description="Smallest, oldest or A first.")
    DESC = strawberry.enum_value("desc", description="Largest, newest or Z first (the default).")


@strawberry.input(
    description="Conditions on editorial assignments (each field's conditions combined with "
    "and; `and`, `or` and `not` combine filters). Applied within what the caller may list."
)
class EditorialAssignmentFilter:
    ceo_id: IntFilter | None = strawberry.field(
        default=None, description="The CEO numeric id (`ceoId`)."
    )
    uuid: KeyFilter | None = strawberry.field(
        default=None, description="The CEO uuid, upper case as stored."
    )
    slug: TextFilter | None = strawberry.field(default=None, description="The URL slug.")
    type: EnumFilter[EditorialAssignmentType] | None = strawberry.field(
        default=None, description="What it produces."
    )
    title: TextFilter | None = strawberry.field(default=None, description="The working title.")
    abstract: TextFilter | None = strawberry.field(
        default=None, description="The summary (its HTML as stored)."
    )
    content: TextFilter | None = strawberry.field(
        default=None, description="The body (its HTML as stored)."
    )
    notes: TextFilter | None = strawberry.field(
        default=None, description="The newsroom notes (their HTML as stored)."
    )
    issue_id: IntFilter | None = strawberry.field(
        default=None, description="The print issue's CEO numeric id (`issue.ceoId`); null: none."
    )
    created_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When it was created."
    )
    modified_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When it last changed."
    )
    published_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When it was published; null: not yet."
    )
    due_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When the work is due; null: no date."
    )
    and_: list[EditorialAssignmentFilter] | None = strawberry.field(
        name="and", default=None, description="All of these."
    )
    or_: list[EditorialAssignmentFilter] | None = strawberry.field(
        name="or", default=None, description="Any of these."
    )
    not_: EditorialAssignmentFilter | None = strawberry.field(
        name="not", default=None, description="Not this."
    )


@strawberry.input(description="One key of an editorial assignments order (`orderKeys`).")
class EditorialAssignmentOrder:
    field: EditorialAssignmentOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending (default) or descending."
    )


ORDER_KEYS_HELP = (
    "The order, key by key (the CEO id breaks ties); null or empty: `orderBy`/`direction`. "
    "Not together with `orderBy` or `direction`."
)


def read_order_keys(keys: Sequence[EditorialAssignmentOrder] | None) -> Sort:
    """The ``app.listing`` order of an ``orderKeys`` list (``read_order``, its messages
    naming ``orderKeys``: the assignment lists' ``orderBy`` is their single REST field)."""
    try:
        return read_order(keys)
    except BadRequest as exc:
        raise BadRequest(exc.detail.replace("orderBy:", "orderKeys:", 1)) from None


@strawberry.input(
    description="Conditions on editorial locks (each field's conditions combined with and; "
    "`and`, `or` and `not` combine filters). Applied within what the caller may see."
)
class EditorialLockFilter:
    srn: KeyFilter | None = strawberry.field(
        default=None, description="The srn of the locked assignment."
    )
    uuid: KeyFilter | None = strawberry.field(
        default=None, description="The lock request's uuid, upper case as stored."
    )
    holder_id: KeyFilter | None = strawberry.field(
        default=None, description="The holder's directory id (`holder.legacyId`)."
    )
    created_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When the holder took the lock."
    )
    modified_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When the lock was last renewed."
    )
    expires_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When the lock stops counting unless renewed."
    )
    and_: list[EditorialLockFilter] | None = strawberry.field(
        name="and", default=None, description="All of these."
    )
    or_: list[EditorialLockFilter] | None = strawberry.field(
        name="or", default=None, description="Any of these."
    )
    not_: EditorialLockFilter | None = strawberry.field(
        name="not", default=None, description="Not this."
    )


@strawberry.enum(description="The fields editorial locks may be ordered by.")
class EditorialLockOrderField(Enum):
    SRN = strawberry.enum_value("srn", description="The srn of the locked assignment.")
    UUID = strawberry.enum_value("uuid", description="The lock request's uuid.")
    CREATED_AT = strawberry.enum_value("created_at", description="When it was taken.")
    MODIFIED_AT = strawberry.enum_value("modified_at", description="When it was last renewed.")
    EXPIRES_AT = strawberry.enum_value("expires_at", description="When it expires.")


@strawberry.input(description="One key of an editorial locks order.")
class EditorialLockOrder:
    field: EditorialLockOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending (default) or descending."
    )


@strawberry.enum(description="State of a lock request; a lock that exists is accepted.")
class EditorialLockState(Enum):
    ACCEPTED = strawberry.enum_value("accepted", description="The lock is held.")


@strawberry.enum(description="What happened to a lock.")
class EditorialLockChangeKind(Enum):
    ACQUIRED = strawberry.enum_value("acquired", description="Taken, or taken over once expired.")
    RENEWED = strawberry.enum_value("renewed", description="Extended by its holder.")
    RELEASED = strawberry.enum_value("released", description="Given up by its holder.")
    BROKEN = strawberry.enum_value("broken", description="Removed by an admin or with its item.")
    EXPIRED = strawberry.enum_value(
        "expired", description="Its time ran out without a renewal (announced once)."
    )


@strawberry.type(description="A print issue assignments are planned for.")
class EditorialIssue(Node):
    uuid: str = strawberry.field(description="The CEO uuid (upper case).")
    ceo_id: str = strawberry.field(description="The CEO numeric id, as a string.")
    label: str = strawberry.field(description="The issue's name, e.g. its date.")
    published_at: datetime | None = strawberry.field(description="When the issue comes out.")
    created_at: datetime = strawberry.field(description="When the issue was added.")
    modified_at: datetime = strawberry.field(description="When the issue last changed.")
    srn: str = strawberry.field(description="`srn:tsn:ceo-core/issue:<UUID>`.")

    @classmethod
    def from_record(cls, row: records.IssueRecord) -> EditorialIssue:
        return cls(
            id=to_global_id("EditorialIssue", row.uuid),
            legacy_id=row.uuid,
            uuid=row.uuid,
            ceo_id=str(row.id),
            label=row.label,
            published_at=row.published_at,
            created_at=row.created_at,
            modified_at=row.modified_at,
            srn=srn("issue", row.uuid),
        )


@strawberry.type(description="A piece of content (article, media ...) an assignment collects.")
class EditorialContentItem(Node):
    uuid: str = strawberry.field(description="The CEO uuid (upper case).")
    ceo_id: str = strawberry.field(description="The CEO numeric id, as a string.")
    type: str = strawberry.field(description="The CEO content type: article, media, gallery ...")
    slug: str = strawberry.field(description="URL slug.")
    title: str = strawberry.field(description="Headline or caption.")
    created_at: datetime = strawberry.field(description="When the item was added.")
    modified_at: datetime = strawberry.field(description="When the item last changed.")
    srn: str = strawberry.field(description="`srn:tsn:ceo-core/<type>:<UUID>`.")

    @classmethod
    def from_record(cls, row: records.ContentItemRecord) -> EditorialContentItem:
        return cls(
            id=to_global_id("EditorialContentItem", row.uuid),
            legacy_id=row.uuid,
            uuid=row.uuid,
            ceo_id=str(row.id),
            type=row.type,
            slug=row.slug,
            title=row.title,
            created_at=row.created_at,
            modified_at=row.modified_at,
            srn=srn(row.type, row.uuid),
        )


@strawberry.type(description="An exclusive lock on an assignment (a CEO lock request).")
class EditorialLock(Node):
    uuid: str = strawberry.field(description="The lock request's uuid (upper case).")
    srn: str = strawberry.field(description="The srn of the locked assignment.")
    state: EditorialLockState = strawberry.field(description="Always ACCEPTED while it exists.")
    created_at: datetime = strawberry.field(description="When the holder took the lock.")
    modified_at: datetime = strawberry.field(description="When the lock was last renewed.")
    expires_at: datetime = strawberry.field(
        description="When the lock stops counting unless its holder renews it."
    )
    user_id: strawberry.Private[int]

    @classmethod
    def from_record(cls, row: records.LockRecord) -> EditorialLock:
        return cls(
            id=to_global_id("EditorialLock", row.uuid),
            legacy_id=row.uuid,
            uuid=row.uuid,
            srn=row.srn,
            state=EditorialLockState.ACCEPTED,
            created_at=row.created_at,
            modified_at=row.modified_at,
            expires_at=row.expires_at,
            user_id=row.user_id,
        )

    @strawberry.field(description="Who holds the lock.")
    async def holder(self, info: Info) -> Person | None:
        return Person.from_optional(await resolve.lock_holder(info.context, self.user_id))


@strawberry.type(description="An editorial assignment: collects content, assigned to users, "
                 "tied to a print issue and a due date. Changing it needs its lock.")  # fmt: skip
class EditorialAssignment(Node):
    uuid: str = strawberry.field(description="The CEO uuid (upper case).")
    ceo_id: str = strawberry.field(description="The CEO numeric id, as a string.")
    slug: str = strawberry.field(description="URL slug.")
    type: EditorialAssignmentType = strawberry.field(description="What the assignment produces.")
    title: str = strawberry.field(description="Working title.")
    abstract: str = strawberry.field(description="Summary." + _HTML_NOTE)
    content: str = strawberry.field(description="Body." + _HTML_NOTE)
    notes: str = strawberry.field(description="Notes for the newsroom." + _HTML_NOTE)
    created_at: datetime = strawberry.field(description="When the assignment was created.")
    modified_at: datetime = strawberry.field(description="When it last changed.")
    published_at: datetime | None = strawberry.field(description="When it was published.")
    due_at: datetime | None = strawberry.field(description="When the work is due.")
    srn: str = strawberry.field(description="`srn:tsn:ceo-core/assignment:<UUID>`: lock this.")
    row_id: strawberry.Private[int]
    issue_id: strawberry.Private[int | None]
    creator_id: strawberry.Private[int]

    @classmethod
    def from_record(cls, row: records.EditorialAssignmentRecord) -> EditorialAssignment:
        return cls(
            id=to_global_id("EditorialAssignment", row.uuid),
            legacy_id=row.uuid,
            uuid=row.uuid,
            ceo_id=str(row.id),
            slug=row.slug,
            type=EditorialAssignmentType(row.type),
            title=row.title,
            abstract=row.abstract,
            content=row.content,
            notes=row.notes,
            created_at=row.created_at,
            modified_at=row.modified_at,
            published_at=row.published_at,
            due_at=row.due_at,
            srn=row.srn,
            row_id=row.id,
            issue_id=row.issue_id,
            creator_id=row.creator_id,
        )

    @strawberry.field(description="The print issue it is planned for.")
    async def issue(self, info: Info) -> EditorialIssue | None:
        if self.issue_id is None:
            return None
        row = await resolve.issue(info.context, self.issue_id)
        return None if row is None else EditorialIssue.from_record(row)

    @strawberry.field(description="The people it is assigned to, in the order given.")
    async def users(self, info: Info) -> list[Person]:
        return [Person.from_record(p) for p in await resolve.users(info.context, self.row_id)]

    @strawberry.field(description="The content items it collects, in the order given.")
    async def children(self, info: Info) -> list[EditorialContentItem]:
        rows = await resolve.children(info.context, self.row_id)
        return [EditorialContentItem.from_record(row) for row in rows]

    @strawberry.field(description="Who created it.")
    async def creator(self, info: Info) -> Person | None:
        return Person.from_optional(await resolve.creator(info.context, self.creator_id))

    @strawberry.field(description="Its exclusive lock while somebody holds it, else null.")
    async def lock(self, info: Info) -> EditorialLock | None:
        row = await resolve.active_lock(info.context, self.srn)
        return None if row is None else EditorialLock.from_record(row)


@strawberry.type(description="A change of an exclusive lock, announced once committed.")
class EditorialLockChange:
    kind: EditorialLockChangeKind = strawberry.field(description="What happened.")
    srn: str = strawberry.field(description="The srn of the assignment whose lock changed.")
    lock_uuid: str = strawberry.field(description="The lock request's uuid.")
    holder_id: str | None = strawberry.field(
        description="Directory id of the person who holds (or held) the lock."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the lock expires (acquired and renewed locks) or expired (EXPIRED)."
    )
    event_id: str = event_id_field()

    @classmethod
    def from_record(cls, change: records.LockChangeRecord, event_id: str) -> EditorialLockChange:
        return cls(
            kind=EditorialLockChangeKind(change.kind),
            srn=change.srn,
            lock_uuid=change.lock_uuid,
            holder_id=change.holder_id,
            expires_at=change.expires_at,
            event_id=event_id,
        )


# --- aggregates on the editorial assignments connections -------------------------------------


@strawberry.enum(description="What grouped editorial assignments aggregates may group by.")
class EditorialAssignmentGroupBy(Enum):
    TYPE = strawberry.enum_value("type", description="What it produces (its stored word).")
    DAY = strawberry.enum_value("day", description="The day of `createdAt` (`2025-06-09`).")
    WEEK = strawberry.enum_value("week", description="The ISO week of `createdAt`, by its Monday.")
    MONTH = strawberry.enum_value("month", description="The month of `createdAt` (`2025-06`).")
    YEAR = strawberry.enum_value("year", description="The year of `createdAt` (`2025`).")


@strawberry.type(
    description="The least or greatest values among the editorial assignments of a group."
)
class EditorialAssignmentBounds:
    created_at: dt.datetime | None = strawberry.field(description="When created; null for none.")
    modified_at: dt.datetime | None = strawberry.field(
        description="When last modified; null for none."
    )
    published_at: dt.datetime | None = strawberry.field(
        description="When published; null for none."
    )
    due_at: dt.datetime | None = strawberry.field(description="When due; null for none.")


@strawberry.type(
    description="Aggregates over the editorial assignments of a list, or of one group of them."
)
class EditorialAssignmentAggregates(Aggregates):
    min: EditorialAssignmentBounds = strawberry.field(description="Least values.")
    max: EditorialAssignmentBounds = strawberry.field(description="Greatest values.")


@strawberry.type(
    description="A page of editorial assignments, with cursors, the total count and aggregates."
)
@aggregated(EditorialAssignmentAggregates, EditorialAssignmentGroupBy)
class EditorialAssignmentConnection(AggregatedConnection[EditorialAssignment]):
    pass


# --- aggregates on the editorial locks connections -------------------------------------------


@strawberry.enum(description="What grouped editorial locks aggregates may group by.")
class EditorialLockGroupBy(Enum):
    HOLDER = strawberry.enum_value("holder_id", description="The holder's directory id.")
    DAY = strawberry.enum_value("day", description="The day of `createdAt` (`2025-06-09`).")
    WEEK = strawberry.enum_value("week", description="The ISO week of `createdAt`, by its Monday.")
    MONTH = strawberry.enum_value("month", description="The month of `createdAt` (`2025-06`).")
    YEAR = strawberry.enum_value("year", description="The year of `createdAt` (`2025`).")


@strawberry.type(description="The least or greatest values among the editorial locks of a group.")
class EditorialLockBounds:
    created_at: dt.datetime | None = strawberry.field(description="When requested; null for none.")
    modified_at: dt.datetime | None = strawberry.field(
        description="When last renewed; null for none."
    )
    expires_at: dt.datetime | None = strawberry.field(description="When it expires; null for none.")


@strawberry.type(
    description="Aggregates over the editorial locks of a list, or of one group of them."
)
class EditorialLockAggregates(Aggregates):
    min: EditorialLockBounds = strawberry.field(description="Least values.")
    max: EditorialLockBounds = strawberry.field(description="Greatest values.")


@strawberry.type(
    description="A page of editorial locks, with cursors, the total count and aggregates."
)
@aggregated(EditorialLockAggregates, EditorialLockGroupBy)
class EditorialLockConnection(AggregatedConnection[EditorialLock]):
    pass
