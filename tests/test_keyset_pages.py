"""Keyset cursors through the real app, on both databases: paging forward (``first``/
``after``) and backward (``last``/``before``) through lists that change between pages
neither repeats nor skips an item, ``pageInfo`` is exact at both ends and in the middle,
hub lists (one statement for many owners) page the same way, and a cursor is refused by
another list, filter or order."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest

from tests.helpers import Auth, gql

ACTIVITIES = """query($first: Int, $after: String, $last: Int, $before: String) {
  activities(first: $first, after: $after, last: $last, before: $before) {
    totalCount nodes { legacyId }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

ORG_ASSIGNMENTS = """query($first: Int, $after: String, $last: Int, $before: String) {
  organisations(first: 10) { nodes { legacyId
    assignments(status: ALL, first: $first, after: $after, last: $last, before: $before) {
      totalCount nodes { legacyId }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""

MENTOR = "mentor_4b8c21"
_serial = itertools.count(1)


async def _rest_ids(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    """The whole activities list as REST pages it (the order GraphQL shares)."""
    ids: list[str] = []
    for page in itertools.count(1):
        answer = await client.get(f"/api/v1/activities?limit=100&page={page}", headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        ids += [row["id"] for row in body["data"]]
        if len(ids) >= body["pagination"]["total"]:
            break
    return ids


async def _log(client: httpx.AsyncClient, auth: Auth, day: str) -> str:
    body = {
        "local_id": f"keyset_{next(_serial)}",
        "activity_type_id": "type_running",
        "date": day,
        "duration_minutes": 30,
    }
    answer = await client.post("/api/v1/activities", json=body, headers=auth.mentor(MENTOR))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _delete(client: httpx.AsyncClient, auth: Auth, activity_id: str) -> None:
    answer = await client.delete(f"/api/v1/activities/{activity_id}", headers=auth.admin)
    assert answer.status_code == 200, answer.text


def _page(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["activities"]
    return page


def _is_subsequence(seen: list[str], whole: list[str]) -> bool:
    rest = iter(whole)
    return all(item in rest for item in seen)


Change = Callable[[int], Awaitable[None]]


async def _walk(
    client: httpx.AsyncClient, headers: dict[str, str], size: int, *, backward: bool, change: Change
) -> list[str]:
    """Every item paging through the list one way, calling ``change`` between pages;
    the items in list order."""
    seen: list[str] = []
    cursor: str | None = None
    for step in itertools.count():
        variables: dict[str, Any] = (
            {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        )
        page = _page(await gql(client, ACTIVITIES, variables, headers))
        ids = [node["legacyId"] for node in page["nodes"]]
        seen = ids + seen if backward else seen + ids
        info = page["pageInfo"]
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if not more:
            return seen
        cursor = info["startCursor"] if backward else info["endCursor"]
        await change(step)
    raise AssertionError("unreachable")


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
async def test_paging_through_a_changing_list_repeats_and_skips_nothing(
    client: httpx.AsyncClient, demo, auth: Auth, backward: bool
):
    """Between pages, activities are logged (dated today, long ago and among the
    items) and items not yet reached are deleted. Every item that was there all along
    is seen exactly once, no deleted item after its deletion, and the items seen keep
    the list's order. Fails with offset cursors (an insert before the cursor repeats an
    item, a delete skips one) or a cursor read off by one."""
    headers = auth.admin
    before = await _rest_ids(client, headers)
    assert len(before) > 60
    deleted: list[str] = []
    added: list[str] = []
    days = [date.today().isoformat(), "2019-01-01", "2026-03-25", "2025-06-15", "2024-11-30"]
    pending = list(reversed(before)) if not backward else list(before)

    async def change(step: int) -> None:
        added.append(await _log(client, auth, days[step % len(days)]))
        if step % 2 == 0 and step < 20:
            victim = pending.pop(0)  # the far end: not reached for many pages yet
            await _delete(client, auth, victim)
            deleted.append(victim)

    seen = await _walk(client, headers, 7, backward=backward, change=change)
    assert len(seen) == len(set(seen)), "an item was repeated"
    stayed = [item for item in before if item not in deleted]
    assert not set(stayed) - set(seen), "an item that was there all along was skipped"
    assert not set(deleted) & set(seen), "a deleted item was shown after its deletion"
    after = await _rest_ids(client, headers)
    assert _is_subsequence(seen, after), "the items seen are out of the list's order"
    assert set(seen) <= set(stayed) | set(added)


async def test_backward_pages_are_the_forward_pages_in_reverse(
    client: httpx.AsyncClient, demo, auth: Auth
):
    async def nothing(step: int) -> None:
        return None

    forward = await _walk(client, auth.admin, 9, backward=False, change=nothing)
    backward = await _walk(client, auth.admin, 9, backward=True, change=nothing)
    assert forward == backward == await _rest_ids(client, auth.admin)


async def test_page_info_is_exact_at_both_ends_and_between(
    client: httpx.AsyncClient, demo, auth: Auth
):
    """``hasPreviousPage``/``hasNextPage`` for first pages, last pages, pages between two
    cursors and empty pages. Fails if either is guessed (e.g. always false backward)."""
    headers = auth.admin
    whole = await _rest_ids(client, headers)
    n = len(whole)
    first = _page(await gql(client, ACTIVITIES, {"first": 5}, headers))
    assert [x["legacyId"] for x in first["nodes"]] == whole[:5]
    assert (first["pageInfo"]["hasPreviousPage"], first["pageInfo"]["hasNextPage"]) == (
        False,
        True,
    )
    last = _page(await gql(client, ACTIVITIES, {"last": 5}, headers))
    assert [x["legacyId"] for x in last["nodes"]] == whole[-5:]
    assert (last["pageInfo"]["hasPreviousPage"], last["pageInfo"]["hasNextPage"]) == (True, False)
    # Forward from the first page's end: items 5..9, with items before and after.
    middle = _page(
        await gql(
            client, ACTIVITIES, {"first": 5, "after": first["pageInfo"]["endCursor"]}, headers
        )
    )
    assert [x["legacyId"] for x in middle["nodes"]] == whole[5:10]
    assert (middle["pageInfo"]["hasPreviousPage"], middle["pageInfo"]["hasNextPage"]) == (
        True,
        True,
    )
    # Backward from the middle page's start: the first page again, nothing before it.
    again = _page(
        await gql(
            client, ACTIVITIES, {"last": 5, "before": middle["pageInfo"]["startCursor"]}, headers
        )
    )
    assert [x["legacyId"] for x in again["nodes"]] == whole[:5]
    assert (again["pageInfo"]["hasPreviousPage"], again["pageInfo"]["hasNextPage"]) == (
        False,
        True,
    )
    # Backward asking for more than there is before the cursor: what there is.
    short = _page(
        await gql(
            client, ACTIVITIES, {"last": 50, "before": middle["pageInfo"]["startCursor"]}, headers
        )
    )
    assert [x["legacyId"] for x in short["nodes"]] == whole[:5]
    assert short["pageInfo"]["hasPreviousPage"] is False
    # Past the end: an empty page that has items before it.
    end = _page(
        await gql(client, ACTIVITIES, {"first": 5, "after": last["pageInfo"]["endCursor"]}, headers)
    )
    assert end["nodes"] == []
    assert (end["pageInfo"]["hasPreviousPage"], end["pageInfo"]["hasNextPage"]) == (True, False)
    assert end["pageInfo"]["startCursor"] is None
    assert end["totalCount"] == n
    # first: 0 is an empty page that knows what follows.
    none = _page(await gql(client, ACTIVITIES, {"first": 0}, headers))
    assert none["nodes"] == []
    assert none["pageInfo"]["hasNextPage"] is True


async def test_a_deleted_items_cursor_still_continues_right_after_it(
    client: httpx.AsyncClient, demo, auth: Auth
):
    headers = auth.admin
    whole = await _rest_ids(client, headers)
    first = _page(await gql(client, ACTIVITIES, {"first": 4}, headers))
    await _delete(client, auth, whole[3])
    forward = _page(
        await gql(
            client, ACTIVITIES, {"first": 3, "after": first["pageInfo"]["endCursor"]}, headers
        )
    )
    assert [x["legacyId"] for x in forward["nodes"]] == whole[4:7]
    assert forward["pageInfo"]["hasPreviousPage"] is True
    backward = _page(
        await gql(
            client, ACTIVITIES, {"last": 3, "before": first["pageInfo"]["endCursor"]}, headers
        )
    )
    assert [x["legacyId"] for x in backward["nodes"]] == whole[:3]
    assert backward["pageInfo"]["hasNextPage"] is True


async def test_hub_lists_page_both_ways_for_every_owner(
    client: httpx.AsyncClient, demo, auth: Auth
):
    """Each organisation's assignments (one statement for all organisations) paged
    forward and backward in pages of 9 give that organisation's whole list as the root
    ``assignments(orgId:)`` lists it (another path: one list, not per-owner windows), in
    order, once."""
    headers = auth.admin
    orgs = await gql(client, "{ organisations(first: 10) { nodes { legacyId } } }", None, headers)
    lists: dict[str, list[str]] = {}
    for org in orgs["data"]["organisations"]["nodes"]:
        root = await gql(
            client,
            "query($org: String) { assignments(orgId: $org, status: ALL, first: 100) {"
            " nodes { legacyId } pageInfo { hasNextPage } } }",
            {"org": org["legacyId"]},
            headers,
        )
        assert root["data"]["assignments"]["pageInfo"]["hasNextPage"] is False, root
        lists[org["legacyId"]] = [a["legacyId"] for a in root["data"]["assignments"]["nodes"]]
    assert sum(len(ids) >= 3 for ids in lists.values()) >= 1, lists
    for backward in (False, True):
        seen: dict[str, list[str]] = {org: [] for org in lists}
        for org, ids in lists.items():
            cursor: str | None = None
            while True:
                variables: dict[str, Any] = (
                    {"last": 9, "before": cursor} if backward else {"first": 9, "after": cursor}
                )
                body = await gql(client, ORG_ASSIGNMENTS, variables, headers)
                assert "errors" not in body, body
                [mine] = [o for o in body["data"]["organisations"]["nodes"] if o["legacyId"] == org]
                page = mine["assignments"]
                got = [a["legacyId"] for a in page["nodes"]]
                seen[org] = got + seen[org] if backward else seen[org] + got
                assert page["totalCount"] == len(ids)
                info = page["pageInfo"]
                if not (info["hasPreviousPage"] if backward else info["hasNextPage"]):
                    break
                cursor = info["startCursor"] if backward else info["endCursor"]
        assert seen == lists, backward


async def test_cursors_are_refused_by_another_list_filter_or_order(
    client: httpx.AsyncClient, demo, auth: Auth
):
    headers = auth.admin
    page = _page(await gql(client, ACTIVITIES, {"first": 2}, headers))
    cursor = page["pageInfo"]["endCursor"]
    cases = [
        '{ assignments(first: 2, after: "%s") { totalCount } }',
        '{ activities(first: 2, status: CONFIRMED, after: "%s") { totalCount } }',
        '{ activities(last: 2, before: "%s", status: CONFIRMED) { totalCount } }',
        '{ editorialAssignments(first: 2, orderBy: CREATED_AT, after: "%s") { totalCount } }',
    ]
    for query in cases:
        body = await gql(client, query.replace("%s", cursor), headers=headers)
        assert body["data"] is None, (query, body)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert "belongs to another list" in error["message"], body
    both = await gql(client, "{ activities(first: 1, last: 1) { totalCount } }", headers=headers)
    assert both["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert both["errors"][0]["message"] == "Pass 'first' or 'last', not both"
    # The same list under another alias, with the same arguments, takes it.
    same = await gql(
        client,
        f'{{ again: activities(first: 2, after: "{cursor}") {{ totalCount }} }}',
        None,
        headers,
    )
    assert "errors" not in same, same
