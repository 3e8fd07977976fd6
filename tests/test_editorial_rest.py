"""Contract 004 over REST (/v3): the CEO shapes, the example requests verbatim, the list
envelope and its arguments, bad input, ACL actions."""

from __future__ import annotations

import re

import pytest

from app.db import Database
from app.seed.editorial import add_scaled_assignments
from tests.editorial_support import (
    ENVELOPE_KEYS,
    EXAMPLE,
    EXAMPLE_BODY,
    EXAMPLE_SRN,
    ITEM_KEYS,
    UNKNOWN,
    take_lock,
)
from tests.helpers import Auth, count_statements

CEO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
UPPER_UUID = re.compile(r"^[A-Z0-9]{8}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{12}$")


async def test_get_example_assignment_has_the_contract_fields(client, demo, auth: Auth):
    response = await client.get(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ITEM_KEYS
    assert {k: body[k] for k in ITEM_KEYS[:15]} == {
        "id": "5",
        "uuid": EXAMPLE,
        "slug": "some-slug",
        "type": "article",
        "title": "A title",
        "abstract": "",
        "content": "<p>something</p>",
        "notes": "",
        "created_at": "2016-12-15 21:12:28",
        "modified_at": "2017-02-16 22:01:21",
        "published_at": None,
        "due_at": "2016-12-30 05:00:00",
        "creator_id": "1",
        "issue_id": "2",
        "srn": "srn:tsn:ceo-core/assignment:AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB",
    }
    assert body["issue"]["id"] == "2"
    assert body["issue"]["srn"].startswith("srn:tsn:ceo-core/issue:")
    assert [c["uuid"] for c in body["children"]] == [
        "UUUUUUUU-1234-4567-7890-BBBBBBBBBBBB",
        "OOOOOOOO-1234-4567-7890-BBBBBBBBBBBB",
    ]
    assert body["users"] == [
        {
            "id": "1",
            "uuid": "PPPPPPPP-1234-4567-7890-BBBBBBBBBBBB",
            "name": "Erik Redaktør",
            "person_id": "editor_001",
            "srn": "srn:tsn:ceo-core/user:PPPPPPPP-1234-4567-7890-BBBBBBBBBBBB",
        }
    ]
    assert body["lock"] is False


async def test_lowercase_uuid_in_path_finds_the_assignment(client, demo, auth: Auth):
    response = await client.get(f"/v3/assignment/{EXAMPLE.lower()}", headers=auth.editor)
    assert response.status_code == 200
    assert response.json()["uuid"] == EXAMPLE


async def test_list_has_the_ceo_envelope(client, demo, auth: Auth):
    response = await client.get("/v3/assignment", headers=auth.editor)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ENVELOPE_KEYS
    assert {k: body[k] for k in ENVELOPE_KEYS[1:]} == {
        "first": 1,
        "before": 1,
        "current": 1,
        "last": 1,
        "next": 1,
        "total_pages": 1,
        "total_items": 5,
        "limit": 50,
    }
    assert body["items"][0]["uuid"] == EXAMPLE  # newest modified_at first
    modified = [item["modified_at"] for item in body["items"]]
    assert modified == sorted(modified, reverse=True)
    for item in body["items"]:
        assert list(item) == ITEM_KEYS
        assert CEO_TIME.match(item["created_at"])
        assert CEO_TIME.match(item["modified_at"])
        assert UPPER_UUID.match(item["uuid"])


async def test_list_pages_keep_before_and_next_in_range(client, demo, auth: Auth):
    pages = []
    for page in (1, 2, 3):
        response = await client.get(f"/v3/assignment?per_page=2&page={page}", headers=auth.editor)
        assert response.status_code == 200
        pages.append(response.json())
    envelope = [(p["before"], p["current"], p["next"], p["last"], len(p["items"])) for p in pages]
    assert envelope == [(1, 1, 2, 3, 2), (1, 2, 3, 3, 2), (2, 3, 3, 3, 1)]
    assert all(p["total_pages"] == 3 and p["limit"] == 2 for p in pages)
    uuids = [item["uuid"] for p in pages for item in p["items"]]
    assert len(set(uuids)) == 5
    beyond = (await client.get("/v3/assignment?per_page=2&page=9", headers=auth.editor)).json()
    assert (beyond["items"], beyond["current"], beyond["next"], beyond["last"]) == ([], 9, 3, 3)


async def test_list_orders_by_allowed_columns(client, demo, auth: Auth):
    response = await client.get("/v3/assignment?order=title&dir=asc", headers=auth.editor)
    titles = [item["title"] for item in response.json()["items"]]
    assert titles == sorted(titles)
    response = await client.get("/v3/assignment?order=due_at&dir=DESC", headers=auth.editor)
    due = [item["due_at"] for item in response.json()["items"]]
    assert due[-1] is None  # no due date sorts last either way
    assert due[:-1] == sorted(due[:-1], reverse=True)
    ids = await client.get("/v3/assignment?order=id&dir=asc", headers=auth.editor)
    assert [item["id"] for item in ids.json()["items"]] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    "query",
    [
        "per_page=0",
        "per_page=10000",
        "per_page=101",
        "per_page=ten",
        "per_page=-1",
        "per_page=%C2%B9",  # a superscript one: a digit to str.isdigit, not to int()
        "page=%D9%A3",  # an Arabic-Indic three
        "page=0",
        "page=abc",
        "order=content",
        "order=title;DROP TABLE editorial_assignments",
        "order=modified_at%20desc",
        "order=",
        "dir=up",
        "dir=asc;",
        "dir=",
        "page=1&page=2",
    ],
)
async def test_bad_list_arguments_are_400(client, demo, auth: Auth, query):
    response = await client.get(f"/v3/assignment?{query}", headers=auth.editor)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "BAD_USER_INPUT"
    assert body["message"] == body["detail"]


async def test_list_statements_do_not_grow_with_page_size(client, demo, auth: Auth, db: Database):
    async with db.write() as session:
        await add_scaled_assignments(session, 60, first_id=6)
    newest = (await client.get("/v3/assignment?per_page=1", headers=auth.editor)).json()
    await take_lock(client, auth.editor, newest["items"][0]["uuid"])  # locks load too
    counts = []
    for size in (1, 10, 50):
        with count_statements() as counter:
            response = await client.get(f"/v3/assignment?per_page={size}", headers=auth.editor)
        assert len(response.json()["items"]) == size
        counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2], counts


async def test_post_example_request_verbatim(client, demo, auth: Auth):
    response = await client.post("/v3/assignment", json=EXAMPLE_BODY, headers=auth.editor)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ITEM_KEYS
    assert UPPER_UUID.match(body["uuid"])
    assert body["uuid"] != EXAMPLE
    assert body["id"].isdigit()
    assert int(body["id"]) > 5
    assert body["srn"] == f"srn:tsn:ceo-core/assignment:{body['uuid']}"
    for key in ("slug", "type", "title", "content", "published_at", "due_at", "issue_id"):
        assert body[key] == EXAMPLE_BODY[key], key
    assert body["creator_id"] == "1"  # editor_001's CEO user
    assert [c["uuid"] for c in body["children"]] == EXAMPLE_BODY["children"]
    assert [u["uuid"] for u in body["users"]] == EXAMPLE_BODY["users"]
    assert body["issue"]["id"] == "2"
    assert body["lock"] is False
    assert (body["abstract"], body["notes"]) == ("", "")
    again = await client.get(f"/v3/assignment/{body['uuid']}", headers=auth.editor)
    assert again.json() == body
    listing = (await client.get("/v3/assignment", headers=auth.editor)).json()
    assert listing["total_items"] == 6


async def test_put_example_request_verbatim_with_the_lock(client, demo, auth: Auth):
    lock = await take_lock(client, auth.editor)
    body = {**EXAMPLE_BODY, "title": "A new title", "children": [EXAMPLE_BODY["children"][1]]}
    response = await client.put(f"/v3/assignment/{EXAMPLE}", json=body, headers=auth.editor)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["title"] == "A new title"
    assert [c["uuid"] for c in updated["children"]] == [EXAMPLE_BODY["children"][1]]
    assert updated["modified_at"] > "2017-02-16 22:01:21"
    assert updated["created_at"] == "2016-12-15 21:12:28"
    assert updated["lock"]["uuid"] == lock["uuid"]
    verbatim = await client.put(f"/v3/assignment/{EXAMPLE}", json=EXAMPLE_BODY, headers=auth.editor)
    assert verbatim.status_code == 200
    assert verbatim.json()["title"] == "A title"


async def test_put_is_partial_and_accepts_a_get_body_back(client, demo, auth: Auth):
    await take_lock(client, auth.editor)
    fetched = (await client.get(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)).json()
    partial = await client.put(
        f"/v3/assignment/{EXAMPLE}", json={"notes": "<p>call back</p>"}, headers=auth.editor
    )
    assert partial.status_code == 200
    assert partial.json()["notes"] == "<p>call back</p>"
    assert partial.json()["title"] == "A title"
    fetched["title"] = "Echoed back"  # a client sends the whole GET body back
    echoed = await client.put(f"/v3/assignment/{EXAMPLE}", json=fetched, headers=auth.editor)
    assert echoed.status_code == 200, echoed.text
    assert echoed.json()["title"] == "Echoed back"
    assert [u["uuid"] for u in echoed.json()["users"]] == [u["uuid"] for u in fetched["users"]]


async def test_put_can_clear_due_date_and_issue(client, demo, auth: Auth):
    await take_lock(client, auth.editor)
    response = await client.put(
        f"/v3/assignment/{EXAMPLE}",
        json={"due_at": None, "issue_id": None, "users": [], "abstract": None},
        headers=auth.editor,
    )
    body = response.json()
    assert (body["due_at"], body["issue_id"], body["issue"], body["users"]) == (
        None,
        None,
        None,
        [],
    )
    assert body["abstract"] == ""


async def test_delete_with_the_lock_answers_ok(client, demo, auth: Auth):
    lock = await take_lock(client, auth.editor)
    response = await client.delete(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)
    assert response.status_code == 200
    assert response.json() == {"message": "ok"}
    gone = await client.get(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)
    assert gone.status_code == 404
    assert gone.json()["message"] == f"Assignment '{EXAMPLE}' not found"
    listing = (await client.get("/v3/assignment", headers=auth.editor)).json()
    assert EXAMPLE not in [item["uuid"] for item in listing["items"]]
    assert listing["total_items"] == 4
    released = await client.get(f"/v3/lock-request/{lock['uuid']}", headers=auth.editor)
    assert released.status_code == 404  # the lock went with the assignment


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v3/assignment/{uuid}"),
        ("PUT", "/v3/assignment/{uuid}"),
        ("DELETE", "/v3/assignment/{uuid}"),
        ("GET", "/v3/lock-request/{uuid}"),
        ("DELETE", "/v3/lock-request/{uuid}"),
    ],
)
async def test_unknown_uuid_is_404_and_malformed_is_400(client, demo, auth: Auth, method, path):
    unknown = await client.request(
        method, path.format(uuid=UNKNOWN), json={"title": "x"}, headers=auth.editor
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NOT_FOUND"
    for bad in ("5", "not-a-uuid", "AAAAAAAA-1234-4567-7890-BBBBBBBBBBB", "AAAAAAAA_1234_4567"):
        malformed = await client.request(
            method, path.format(uuid=bad), json={"title": "x"}, headers=auth.editor
        )
        assert malformed.status_code == 400, (bad, malformed.text)
        assert "uuid" in malformed.json()["message"]


async def test_unknown_children_and_users_are_422(client, demo, auth: Auth):
    body = {
        **EXAMPLE_BODY,
        "children": ["UUUUUUUU-1234-4567-7890-BBBBBBBBBBBB", UNKNOWN],
        "users": ["XXXXXXXX-1234-4567-7890-BBBBBBBBBBBB", "nobody_here"],
        "issue_id": "99",
    }
    response = await client.post("/v3/assignment", json=body, headers=auth.editor)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {"children", "users", "issue_id"}
    assert UNKNOWN in errors["children"]
    assert "nobody_here" in errors["users"]
    assert "XXXXXXXX" in errors["users"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("children", ["not-a-uuid"]),
        ("children", [EXAMPLE_BODY["children"][0], EXAMPLE_BODY["children"][0]]),
        ("children", [42]),
        ("users", [{"id": "1"}]),
        ("users", ["contact_xyz123"]),  # a directory person, but not an editor
        ("issue_id", "two"),
        ("issue_id", True),
        ("issue_id", "99999999999999"),
        ("issue_id", 2**40),
        ("issue_id", "-2"),
        ("type", "novel"),
        ("slug", "has spaces"),
        ("title", ""),
        ("title", None),
    ],
)
async def test_invalid_fields_are_422_naming_the_field(client, demo, auth: Auth, field, value):
    response = await client.post(
        "/v3/assignment", json={**EXAMPLE_BODY, field: value}, headers=auth.editor
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_users_may_name_directory_editors_by_person_id(client, demo, auth: Auth):
    body = {**EXAMPLE_BODY, "users": ["editor_001", "admin_001"]}
    response = await client.post("/v3/assignment", json=body, headers=auth.editor)
    assert response.status_code == 200, response.text
    users = response.json()["users"]
    assert [u["person_id"] for u in users] == ["editor_001", "admin_001"]
    assert users[0]["uuid"] == "PPPPPPPP-1234-4567-7890-BBBBBBBBBBBB"


@pytest.mark.parametrize(
    "due_at",
    ["2016-12-30T05:00:00Z", "2016-12-30", "2016-12-30 05:00", "2016-13-40 05:00:00", "soon", 5],
)
async def test_due_at_must_be_in_the_ceo_format(client, demo, auth: Auth, due_at):
    response = await client.post(
        "/v3/assignment", json={**EXAMPLE_BODY, "due_at": due_at}, headers=auth.editor
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["due_at"]


async def test_unknown_body_fields_are_named(client, demo, auth: Auth):
    response = await client.post(
        "/v3/assignment", json={**EXAMPLE_BODY, "priority": "high"}, headers=auth.editor
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "priority", "message": "unknown field"}]


async def test_html_is_stored_exactly_as_given(client, demo, auth: Auth):
    html = '<p onclick="alert(1)">Hi<script>alert("x")</script></p><img src=x onerror=y>'
    body = {**EXAMPLE_BODY, "content": html, "abstract": "<b>bold & </b>", "notes": "<i>x"}
    created = (await client.post("/v3/assignment", json=body, headers=auth.editor)).json()
    fetched = (await client.get(f"/v3/assignment/{created['uuid']}", headers=auth.editor)).json()
    assert (fetched["content"], fetched["abstract"], fetched["notes"]) == (
        html,
        "<b>bold & </b>",
        "<i>x",
    )


ROUTES = [
    ("GET", "/v3/assignment", None),
    ("POST", "/v3/assignment", EXAMPLE_BODY),
    ("GET", f"/v3/assignment/{EXAMPLE}", None),
    ("PUT", f"/v3/assignment/{EXAMPLE}", {"title": "x"}),
    ("DELETE", f"/v3/assignment/{EXAMPLE}", None),
    ("POST", "/v3/lock-request", {"srn": EXAMPLE_SRN}),
    ("GET", f"/v3/lock-request/{UNKNOWN}", None),
    ("DELETE", f"/v3/lock-request/{UNKNOWN}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_roles_without_the_acl_action_get_403(client, demo, auth: Auth, method, path, body):
    for headers in (auth.coordinator, auth.mentor()):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, response.text
        assert "ACL action" in response.json()["message"]
    anonymous = await client.request(method, path, json=body)
    assert anonymous.status_code == 401


async def test_admin_holds_every_action(client, demo, auth: Auth):
    assert (await client.get("/v3/assignment", headers=auth.admin)).status_code == 200
    created = await client.post("/v3/assignment", json=EXAMPLE_BODY, headers=auth.admin)
    assert created.status_code == 200
    assert created.json()["creator_id"] == "2"  # admin_001's CEO user


async def test_openapi_documents_the_v3_routes(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths["/v3/assignment"]) == {"get", "post"}
    assert set(paths["/v3/assignment/{uuid}"]) == {"get", "put", "delete"}
    assert set(paths["/v3/lock-request"]) == {"post"}
    assert set(paths["/v3/lock-request/{uuid}"]) == {"get", "delete"}
    assert "423" in paths["/v3/assignment/{uuid}"]["put"]["responses"]
