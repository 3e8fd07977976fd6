"""``filter:`` and multi-key orders on the editorial lists, property-tested through the
real app on both databases: for random filters (every operator, nested ``and``/``or``/
``not``) ``editorialAssignments`` answers exactly the live assignments the same filter
keeps when evaluated here, in Python, over every assignment the caller may list (fetched
unfiltered), for an editor and an admin; random ``orderKeys`` sort as Python sorts them
(the CEO id breaking ties) and cursors follow; ``orderKeys`` with ``orderBy`` or
``direction`` is refused; a person's ``editorialAssignments`` answers the root list
narrowed to them; ``heldLocks`` takes its own filter and order. A tombstone never comes
back, whatever the filter, and a caller who may not list still may not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import insert, update

from app.db import Database
from app.models.editorial import EditorialAssignment, EditorialAssignmentUser, EditorialLock
from tests.editorial_support import take_lock
from tests.helpers import Auth, gql
from tests.listing_support import Row, combined, every_page, instant, matches, ops, sorted_ids

FIELDS = (
    "ceoId uuid slug type title abstract content notes createdAt modifiedAt publishedAt dueAt"
    " issue { ceoId } users { legacyId }"
)
LIST = (
    "query($filter: EditorialAssignmentFilter, $orderKeys: [EditorialAssignmentOrder!],"
    " $after: String) {"
    " editorialAssignments(first: 100, after: $after, filter: $filter, orderKeys: $orderKeys) {"
    f" totalCount nodes {{ {FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)


def _t(hours: float) -> datetime:
    return datetime(2017, 3, 1, 9, tzinfo=UTC) + timedelta(hours=hours)


_TYPES = ("article", "media", "gallery", "audio", "video", "post")
_TITLES = ("Budget 100% done", "snake_case story", "Budget vote", "Budget vote", "River run")
GONE = "DDDDDDDD-1234-4567-7890-000000000999"
_USERS = ((1,), (2,), (1, 2))  # editor_001, admin_001, both (the tombstone: both)


async def _more_assignments(db: Database) -> None:
    """Twelve more assignments beside the demo's five, with the values filters and orders
    need to tell apart: every type, published and unpublished, undated, without an issue,
    equal titles and modification times (ties); and one tombstone."""
    rows: list[dict[str, Any]] = [
        {
            "id": 100 + n,
            "uuid": f"EEEEEEEE-1234-4567-7890-{n:012d}",
            "slug": f"extra-{n % 5}-{n}",
            "type": _TYPES[n % 6],
            "title": _TITLES[n % 5],
            "abstract": "" if n % 3 else "<p>Budget abstract</p>",
            "content": f"<p>Piece {n}</p>" if n % 4 else "",
            "notes": "call the river desk" if n % 2 else "",
            "created_at": _t(n),
            "modified_at": _t(24 + n // 3),  # three at a time share one
            "published_at": _t(48 + n) if n % 3 == 1 else None,
            "due_at": None if n % 4 == 2 else _t(72 - n),
            "creator_id": 1 + n % 2,
            "issue_id": None if n % 5 == 0 else 1 + n % 3,
            "deleted_at": None,
        }
        for n in range(12)
    ]
    rows.append({**rows[0], "id": 200, "uuid": GONE, "deleted_at": _t(0)})
    async with db.write() as session:
        await session.execute(insert(EditorialAssignment), rows)
        await session.execute(
            insert(EditorialAssignmentUser),
            [
                {"assignment_id": row["id"], "user_id": user, "position": i}
                for row in rows
                for i, user in enumerate(_USERS[row["id"] % 3])
            ],
        )


async def _all(
    client: httpx.AsyncClient, headers: dict[str, str], variables: dict[str, Any]
) -> tuple[list[Row], int]:
    rows, total = await every_page(client, LIST, "editorialAssignments", headers, variables)
    return [_flat(node) for node in rows], total


def _flat(node: Row) -> Row:
    """An assignment as its filter's fields name it (``legacyId``: the CEO id, the id that
    breaks ties in ``sorted_ids``)."""
    issue = node["issue"]
    return {
        **node,
        "legacyId": int(node["ceoId"]),
        "issueId": None if issue is None else int(issue["ceoId"]),
        "users": [user["legacyId"] for user in node["users"]],
    }


@pytest.fixture
async def roles(
    client: httpx.AsyncClient, demo, db: Database, auth: Auth
) -> dict[str, tuple[dict[str, str], list[Row]]]:
    """Each role's headers and every assignment it may list, unfiltered, in list order."""
    await _more_assignments(db)
    found = {}
    for name, headers in {"admin": auth.admin, "editor": auth.editor}.items():
        rows, total = await _all(client, headers, {})
        assert len(rows) == total == 17
        found[name] = (headers, rows)
    assert GONE not in {row["uuid"] for row in found["admin"][1]}
    return found


def _ceo_id(raw: Any) -> int:
    return int(raw)


PARSERS = {
    "ceoId": _ceo_id,
    "createdAt": instant,
    "modifiedAt": instant,
    "publishedAt": instant,
    "dueAt": instant,
}

# --- random filters -------------------------------------------------------------------------

_ids = st.integers(0, 120)
_uuids = st.sampled_from(
    [
        "AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB",
        "AAAAAAAA-1234-4567-7890-000000000003",
        "EEEEEEEE-1234-4567-7890-000000000004",
        GONE,
        "aaaaaaaa-1234-4567-7890-bbbbbbbbbbbb",
    ]
)
_slugs = st.sampled_from(["some-slug", "extra-1-6", "extra", "-", "budget", ""])
_kinds = st.sampled_from(["ARTICLE", "MEDIA", "GALLERY", "AUDIO", "VIDEO", "POST"])
_text = st.sampled_from(
    ["Budget", "Budget vote", "%", "_", "river", "<p>", "A title", "Piece 3", ""]
)
_issues = st.integers(0, 4)
_instants = st.datetimes(datetime(2016, 11, 1), datetime(2017, 3, 5)).map(
    lambda moment: moment.isoformat() + "Z"
)


def _text_ops() -> Any:
    return st.one_of(ops(_text, ranges=False), st.fixed_dictionaries({"contains": _text}))


_leaf = st.one_of(
    st.fixed_dictionaries({"ceoId": ops(_ids, ranges=True)}),
    st.fixed_dictionaries({"uuid": ops(_uuids, ranges=False)}),
    st.fixed_dictionaries(
        {"slug": st.one_of(ops(_slugs, ranges=False), st.fixed_dictionaries({"contains": _slugs}))}
    ),
    st.fixed_dictionaries({"type": ops(_kinds, ranges=False)}),
    st.fixed_dictionaries({"title": _text_ops()}),
    st.fixed_dictionaries({"abstract": _text_ops()}),
    st.fixed_dictionaries({"content": _text_ops()}),
    st.fixed_dictionaries({"notes": _text_ops()}),
    st.fixed_dictionaries({"issueId": ops(_issues, ranges=True)}),
    st.fixed_dictionaries({"createdAt": ops(_instants, ranges=True, lists=False)}),
    st.fixed_dictionaries({"modifiedAt": ops(_instants, ranges=True, lists=False)}),
    st.fixed_dictionaries({"publishedAt": ops(_instants, ranges=True, lists=False)}),
    st.fixed_dictionaries({"dueAt": ops(_instants, ranges=True, lists=False)}),
)
filters = combined(_leaf)

_PROPERTY = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_PROPERTY
@given(condition=filters, role=st.sampled_from(["admin", "editor"]))
async def test_a_filter_keeps_exactly_the_assignments_it_matches(
    client: httpx.AsyncClient, roles: dict[str, Any], condition: dict[str, Any], role: str
):
    headers, visible = roles[role]
    expected = [row["uuid"] for row in visible if matches(condition, row, PARSERS)]
    rows, total = await _all(client, headers, {"filter": condition})
    assert [row["uuid"] for row in rows] == expected, condition
    assert total == len(expected)


_ORDER_FIELDS = {
    "ID": "ceoId",
    "SLUG": "slug",
    "TYPE": "type",
    "TITLE": "title",
    "CREATED_AT": "createdAt",
    "MODIFIED_AT": "modifiedAt",
    "PUBLISHED_AT": "publishedAt",
    "DUE_AT": "dueAt",
}
_keys = st.lists(
    st.fixed_dictionaries(
        {
            "field": st.sampled_from(sorted(_ORDER_FIELDS)),
            "direction": st.sampled_from(["ASC", "DESC"]),
        }
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda key: key["field"],
)


@_PROPERTY
@given(keys=_keys, role=st.sampled_from(["admin", "editor"]))
@example(  # equal titles: the second key decides, not the id
    keys=[{"field": "TITLE", "direction": "ASC"}, {"field": "CREATED_AT", "direction": "DESC"}],
    role="admin",
)
async def test_order_keys_sort_every_page_and_their_cursors_follow(
    client: httpx.AsyncClient, roles: dict[str, Any], keys: list[dict[str, str]], role: str
):
    """Paging through the list ordered by ``orderKeys`` gives the assignments sorted by the
    keys (the CEO id breaking ties in the last key's direction, nulls greatest). Fails if a
    key is ignored, a direction flipped, or a cursor continues in another order."""
    headers, visible = roles[role]
    expected = sorted_ids(visible, keys, _ORDER_FIELDS, PARSERS)
    rows: list[Row] = []
    after: str | None = None
    while True:  # pages of 5: the cursors carry every key
        query = LIST.replace("first: 100", "first: 5")
        body = await gql(client, query, {"orderKeys": keys, "after": after}, headers)
        assert "errors" not in body, body
        page = body["data"]["editorialAssignments"]
        rows += [_flat(node) for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [row["legacyId"] for row in rows] == expected, keys


async def test_the_old_order_arguments_still_order_alone(
    client: httpx.AsyncClient, roles: dict[str, Any]
):
    """``orderBy``/``direction`` as before: omitted, MODIFIED_AT DESC (as REST); a field's
    nulls last in both directions; and a filter narrows them."""
    headers, visible = roles["editor"]
    query = (
        "query($o: EditorialAssignmentOrderField, $d: EditorialSortDirection,"
        " $f: EditorialAssignmentFilter) {"
        " editorialAssignments(first: 100, orderBy: $o, direction: $d, filter: $f) {"
        " nodes { ceoId publishedAt } } }"
    )
    newest = sorted(visible, key=lambda row: (instant(row["modifiedAt"]), row["legacyId"]))
    default = await gql(client, query, {}, headers)
    assert [int(n["ceoId"]) for n in default["data"]["editorialAssignments"]["nodes"]] == [
        row["legacyId"] for row in reversed(newest)
    ]
    rest = await client.get("/v3/assignment?per_page=100", headers=headers)
    assert [str(item["id"]) for item in rest.json()["items"]] == [
        n["ceoId"] for n in default["data"]["editorialAssignments"]["nodes"]
    ]
    for direction in ("ASC", "DESC"):
        body = await gql(client, query, {"o": "PUBLISHED_AT", "d": direction}, headers)
        published = [n["publishedAt"] for n in body["data"]["editorialAssignments"]["nodes"]]
        dated = [value for value in published if value is not None]
        assert published == dated + [None] * (len(published) - len(dated))
        assert dated
        assert dated == sorted(dated, reverse=direction == "DESC")
    narrowed = await gql(
        client, query, {"o": "ID", "d": "ASC", "f": {"type": {"eq": "MEDIA"}}}, headers
    )
    ids = [int(n["ceoId"]) for n in narrowed["data"]["editorialAssignments"]["nodes"]]
    assert ids == sorted(row["legacyId"] for row in visible if row["type"] == "MEDIA")


async def test_order_keys_with_order_by_or_direction_is_refused(
    client: httpx.AsyncClient, demo, auth: Auth
):
    keys = "[{field: TITLE}, {field: ID, direction: DESC}]"
    message = "orderKeys: not with orderBy or direction (give the order one way)"
    for field in ("editorialAssignments", 'person(id: "editor_001") { editorialAssignments'):
        for other in ("orderBy: MODIFIED_AT", "direction: DESC", "orderBy: ID, direction: ASC"):
            closing = " }" if field.startswith("person") else ""
            query = f"{{ {field}(first: 5, orderKeys: {keys}, {other}) {{ totalCount }}{closing} }}"
            body = await gql(client, query, None, auth.editor)
            [error] = body["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT", body
            assert error["message"] == message, body
    # Null and empty keys leave the other arguments alone; the bounds name orderKeys.
    for given_keys in ("null", "[]"):
        query = f"{{ editorialAssignments(orderKeys: {given_keys}, orderBy: ID) {{ totalCount }} }}"
        body = await gql(client, query, None, auth.editor)
        assert "errors" not in body, body
    cases = {
        "[{field: ID}, {field: ID, direction: DESC}]": "orderKeys: each field at most once",
        "[{field: ID}, {field: SLUG}, {field: TYPE}, {field: TITLE}, {field: DUE_AT}]": (
            "orderKeys: at most 4 keys"
        ),
    }
    for given_keys, wanted in cases.items():
        query = f"{{ editorialAssignments(orderKeys: {given_keys}) {{ totalCount }} }}"
        body = await gql(client, query, None, auth.editor)
        assert body["errors"][0]["message"] == wanted, body
    # A cursor of one order is refused by another.
    first = await gql(client, LIST.replace("first: 100", "first: 2"), {}, auth.editor)
    cursor = first["data"]["editorialAssignments"]["pageInfo"]["endCursor"]
    refused = await gql(
        client, LIST, {"orderKeys": [{"field": "TITLE"}], "after": cursor}, auth.editor
    )
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused
    assert "belongs to another list" in refused["errors"][0]["message"], refused


async def test_a_filter_does_not_open_the_list_to_others(
    client: httpx.AsyncClient, demo, auth: Auth
):
    query = "{ editorialAssignments(filter: {uuid: {isNull: false}}) { totalCount } }"
    body = await gql(client, query, None, auth.coordinator)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    hub = await gql(
        client,
        "{ me { editorialAssignments(filter: {ceoId: {gte: 0}}) { totalCount }"
        " heldLocks(filter: {srn: {isNull: false}}) { totalCount } } }",
        None,
        auth.coordinator,
    )
    assert hub["data"]["me"] == {"editorialAssignments": None, "heldLocks": None}, hub


@_PROPERTY
@given(condition=filters, keys=_keys, person=st.sampled_from(["editor_001", "admin_001"]))
async def test_the_hub_list_is_the_root_list_narrowed_to_the_person(
    client: httpx.AsyncClient,
    roles: dict[str, Any],
    condition: dict[str, Any],
    keys: list[dict[str, str]],
    person: str,
):
    """A person's ``editorialAssignments`` (one statement for a page of people) with a
    filter and ``orderKeys`` answers the root list's items assigned to them, in its order."""
    headers, _ = roles["admin"]  # sees both people
    root, _ = await _all(client, headers, {"filter": condition, "orderKeys": keys})
    query = (
        "query($id: String!, $f: EditorialAssignmentFilter, $k: [EditorialAssignmentOrder!]) {"
        " person(id: $id) { editorialAssignments(first: 100, filter: $f, orderKeys: $k) {"
        " totalCount nodes { uuid } } } }"
    )
    body = await gql(client, query, {"id": person, "f": condition, "k": keys}, headers)
    assert "errors" not in body, body
    hub = body["data"]["person"]["editorialAssignments"]
    expected = [row["uuid"] for row in root if person in row["users"]]
    assert [node["uuid"] for node in hub["nodes"]] == expected, (condition, keys)
    assert hub["totalCount"] == len(expected)


# --- held locks -------------------------------------------------------------------------------

LOCK_FIELDS = "uuid srn createdAt modifiedAt expiresAt holder { legacyId }"
LOCKS = (
    "query($id: String!, $f: EditorialLockFilter, $o: [EditorialLockOrder!], $after: String) {"
    " person(id: $id) { heldLocks(first: 3, after: $after, filter: $f, orderBy: $o) {"
    f" totalCount nodes {{ {LOCK_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }} }}"
)
_LOCK_UUID = "LLLLLLLL-1234-4567-7890-{:012d}"
_SRN = "srn:tsn:ceo-core/assignment:{}"


def _lock_time(hours: float) -> datetime:
    return datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=hours)


@pytest.fixture
async def locks(
    client: httpx.AsyncClient, roles: dict[str, Any], db: Database, auth: Auth
) -> dict[str, tuple[dict[str, str], list[Row]]]:
    """The editor holds seven locks (one of them expired, so not held), the admin three;
    their uuids and times are set to known values, with ties. Each role's headers and the
    editor's held locks as it sees them, oldest first."""
    _, visible = roles["admin"]
    srns = [_SRN.format(row["uuid"]) for row in visible[:10]]
    for n, srn in enumerate(srns):
        await take_lock(client, auth.editor if n < 7 else auth.admin, srn.rsplit(":", 1)[1])
    async with db.write() as session:
        for n, srn in enumerate(srns):
            created = _lock_time(-(n % 4))  # four creation times, ties among them
            await session.execute(
                update(EditorialLock)
                .where(EditorialLock.srn == srn)
                .values(
                    uuid=_LOCK_UUID.format((n * 7) % 10),
                    created_at=created,
                    modified_at=created + timedelta(minutes=n % 3),
                    expires_at=datetime(2020, 1, 1, tzinfo=UTC)
                    if n == 3
                    else _lock_time(24 * (n % 2)),
                )
            )
    found = {}
    for name, headers in {"admin": auth.admin, "editor": auth.editor}.items():
        rows = await _held(client, headers, {})
        assert len(rows) == 6
        found[name] = (headers, rows)
    return found


async def _held(
    client: httpx.AsyncClient, headers: dict[str, str], variables: dict[str, Any]
) -> list[Row]:
    rows: list[Row] = []
    after: str | None = None
    while True:
        body = await gql(client, LOCKS, {"id": "editor_001", **variables, "after": after}, headers)
        assert "errors" not in body, body
        page = body["data"]["person"]["heldLocks"]
        rows += [
            {**node, "legacyId": node["uuid"], "holderId": node["holder"]["legacyId"]}
            for node in page["nodes"]
        ]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(rows)
            return rows
        after = page["pageInfo"]["endCursor"]


LOCK_PARSERS = {"createdAt": instant, "modifiedAt": instant, "expiresAt": instant}
_lock_uuids = st.integers(0, 10).map(_LOCK_UUID.format)
_srns = st.sampled_from(
    [_SRN.format("AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB"), _SRN.format(GONE), "srn"]
)
_holders = st.sampled_from(["editor_001", "admin_001", "nobody"])
_lock_instants = st.datetimes(datetime(2029, 12, 31, 20), datetime(2030, 1, 2, 2)).map(
    lambda moment: moment.isoformat() + "Z"
)
_lock_leaf = st.one_of(
    st.fixed_dictionaries({"uuid": ops(_lock_uuids, ranges=False)}),
    st.fixed_dictionaries({"srn": ops(_srns, ranges=False)}),
    st.fixed_dictionaries({"holderId": ops(_holders, ranges=False)}),
    st.fixed_dictionaries({"createdAt": ops(_lock_instants, ranges=True, lists=False)}),
    st.fixed_dictionaries({"modifiedAt": ops(_lock_instants, ranges=True, lists=False)}),
    st.fixed_dictionaries({"expiresAt": ops(_lock_instants, ranges=True, lists=False)}),
)
_LOCK_ORDER_FIELDS = {
    "SRN": "srn",
    "UUID": "uuid",
    "CREATED_AT": "createdAt",
    "MODIFIED_AT": "modifiedAt",
    "EXPIRES_AT": "expiresAt",
}


@_PROPERTY
@given(
    condition=combined(_lock_leaf),
    keys=st.lists(
        st.fixed_dictionaries(
            {
                "field": st.sampled_from(sorted(_LOCK_ORDER_FIELDS)),
                "direction": st.sampled_from(["ASC", "DESC"]),
            }
        ),
        max_size=3,
        unique_by=lambda key: key["field"],
    ),
    role=st.sampled_from(["admin", "editor"]),
)
@example(  # ties in the first key: the second decides, not the uuid
    condition={},
    keys=[
        {"field": "EXPIRES_AT", "direction": "ASC"},
        {"field": "MODIFIED_AT", "direction": "DESC"},
    ],
    role="editor",
)
async def test_held_locks_take_a_filter_and_an_order(
    client: httpx.AsyncClient,
    locks: dict[str, Any],
    condition: dict[str, Any],
    keys: list[dict[str, str]],
    role: str,
):
    """The locks the editor holds matching a random filter, in a random order (none: oldest
    first, the uuid breaking ties), paged three at a time."""
    headers, visible = locks[role]
    kept = [row for row in visible if matches(condition, row, LOCK_PARSERS)]
    wanted = keys or [{"field": "CREATED_AT"}]
    expected = sorted_ids(kept, wanted, _LOCK_ORDER_FIELDS, LOCK_PARSERS)
    rows = await _held(client, headers, {"f": condition, "o": keys})
    assert [row["uuid"] for row in rows] == expected, (condition, keys)


async def test_held_locks_keep_their_own_order_by_default(
    client: httpx.AsyncClient, locks: dict[str, Any]
):
    _, visible = locks["editor"]
    oldest = sorted(visible, key=lambda row: (instant(row["createdAt"]), row["uuid"]))
    assert [row["uuid"] for row in visible] == [row["uuid"] for row in oldest]
    assert len({row["createdAt"] for row in visible}) < len(visible)  # ties, broken by uuid
