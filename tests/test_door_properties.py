"""Property tests at the doors, fed with valid and boundary inputs besides noise: calendar
dates (leap days; February 29 of common years), date-times in every accepted form, page
sizes around the configured maximum, cursors taken from real pages (and tampered ones) and
request bodies that are valid JSON. Every answer is checked exactly: the right count or
page of the demo data set, or the exact refusal naming the parameter or field.

The demo data is read only (one seeding per test), so examples cannot disturb each other.
Hypothesis reports the seed of a failing run; ``deadline=None`` because each example is a
request or a few.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from app.settings import Settings
from tests.helpers import Auth, gql
from tests.property_support import (
    Tamper,
    around,
    common_years,
    impossible_dates,
    json_values,
    leap_days,
    moments,
    separators,
    tamper,
    tampers,
    written,
    zero_fractions,
    zones,
    zulus,
)

# The demo data is seeded once per test, not per example: the fixtures are read only.
examples = hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

ACTIVITIES = """query($first: Int, $after: String, $from: Date, $to: Date) {
  activities(first: $first, after: $after, from: $from, to: $to) {
    totalCount nodes { legacyId } pageInfo { endCursor hasNextPage } } }"""


@dataclass(frozen=True)
class Demo:
    """Every demo activity as an admin lists them (REST order, which GraphQL shares)."""

    ids: list[str]
    dates: list[date]
    headers: dict[str, str]

    def between(self, start: date | None, end: date | None) -> int:
        return sum(
            1 for d in self.dates if (start is None or start <= d) and (end is None or d <= end)
        )


@pytest.fixture
async def demo_activities(client: httpx.AsyncClient, demo, auth: Auth) -> Demo:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = await client.get(f"/api/v1/activities?limit=100&page={page}", headers=auth.admin)
        assert answer.status_code == 200, answer.text
        rows += answer.json()["data"]
        if len(rows) >= answer.json()["pagination"]["total"]:
            break
        page += 1
    assert len({row["id"] for row in rows}) == len(rows) > 300  # several pages of 100
    return Demo(
        [row["id"] for row in rows], [date.fromisoformat(row["date"]) for row in rows], auth.admin
    )


def _problem(answer: httpx.Response, status: int, detail: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert (body["code"], body["detail"]) == ("BAD_USER_INPUT", detail), body


def _refused(body: dict[str, Any], message: str) -> None:
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert error["message"].startswith(message), body


# --- calendar dates --------------------------------------------------------------------------


@examples
@given(data=st.data(), span=st.integers(0, 45))
@example(data=None, span=0)  # 2028-02-29: a leap day is a day (no demo activity then)
async def test_date_filters_count_exactly_what_lies_between(
    client: httpx.AsyncClient, demo_activities: Demo, data: st.DataObject | None, span: int
):
    """``from``/``to`` (inclusive) on both doors answer exactly the demo activities dated
    between them: days drawn from the demo's own dates sit on the bounds, leap days and
    arbitrary days around them too. Fails if a bound is made exclusive or dropped, or a
    leap day is refused."""
    demo = demo_activities
    if data is None:
        start = date(2028, 2, 29)
    else:
        start = data.draw(
            st.one_of(
                st.sampled_from(sorted(set(demo.dates))),
                st.dates(
                    min(demo.dates) - timedelta(days=30), max(demo.dates) + timedelta(days=30)
                ),
                leap_days,
            ),
            label="from",
        )
    end = start + timedelta(days=span)
    expected = demo.between(start, end)
    query = {"from": start.isoformat(), "to": end.isoformat(), "limit": "1"}
    answer = await client.get("/api/v1/activities", params=query, headers=demo.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["pagination"]["total"] == expected
    variables = {"from": start.isoformat(), "to": end.isoformat(), "first": 0}
    body = await gql(client, ACTIVITIES, variables, demo.headers)
    assert body["data"]["activities"]["totalCount"] == expected, body


@examples
@given(text=impossible_dates)
@example(text="1900-02-29")  # divisible by 100, not by 400: a common year
@example(text="2100-02-29")
async def test_impossible_dates_are_refused_naming_the_parameter(
    client: httpx.AsyncClient, demo_activities: Demo, text: str
):
    """A day no calendar has (February 29 of a common year, April 31, day 0) is refused by
    both doors, naming ``from``. Fails if the parser rolls over or clamps (``2026-02-29``
    read as March 1 or February 28) instead of refusing."""
    answer = await client.get(
        "/api/v1/activities", params={"from": text}, headers=demo_activities.headers
    )
    _problem(answer, 400, "Query parameter 'from' is not a valid calendar date")
    body = await gql(client, ACTIVITIES, {"from": text}, demo_activities.headers)
    _refused(body, "Variable '$from' has invalid value")


# --- date-times in every accepted form -------------------------------------------------------


@examples
@given(
    moment=moments,
    zone=zones,
    separator=separators,
    fraction=zero_fractions,
    zulu=zulus,
)
async def test_a_cutoff_means_the_same_instant_in_every_accepted_form(
    client: httpx.AsyncClient,
    demo_activities: Demo,
    moment: datetime,
    zone: timezone,
    separator: str,
    fraction: str,
    zulu: str,
):
    """``overdue?cutoff=`` written in any offset, separator or zero fraction answers
    exactly what its UTC form answers; a date alone means 00:00:00Z of that day. Fails if
    the offset is ignored (local time read as UTC) or a form is refused."""
    headers = demo_activities.headers

    async def total(cutoff: str) -> int:
        answer = await client.get(
            "/api/v1/assignments/overdue", params={"cutoff": cutoff, "limit": "1"}, headers=headers
        )
        assert answer.status_code == 200, (cutoff, answer.text)
        count: int = answer.json()["pagination"]["total"]
        return count

    canonical = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await total(written(moment, zone, separator, fraction, zulu)) == await total(canonical)
    day = moment.date()
    assert await total(day.isoformat()) == await total(f"{day.isoformat()}T00:00:00Z")


@examples
@given(year=common_years, hour=st.integers(0, 23), leap=leap_days)
@example(year=2100, hour=0, leap=date(2000, 2, 29))
async def test_a_cutoff_on_an_impossible_day_is_refused(
    client: httpx.AsyncClient, demo_activities: Demo, year: int, hour: int, leap: date
):
    """February 29 of a common year is refused as a date-time and as a date, naming
    ``cutoff``; the same instant of a leap year is taken. Fails if it rolls over."""
    headers = demo_activities.headers
    for text, detail in (
        (f"{year:04d}-02-29T{hour:02d}:00:00Z", "is not a valid date-time"),
        (f"{year:04d}-02-29", "is not a valid calendar date"),
    ):
        answer = await client.get(
            "/api/v1/assignments/overdue", params={"cutoff": text}, headers=headers
        )
        _problem(answer, 400, f"Query parameter 'cutoff' {detail}")
    taken = f"{leap.isoformat()}T{hour:02d}:00:00Z"
    answer = await client.get(
        "/api/v1/assignments/overdue", params={"cutoff": taken}, headers=headers
    )
    assert answer.status_code == 200, answer.text


# --- page sizes around the limits ------------------------------------------------------------


@examples
@given(data=st.data())
async def test_rest_pages_are_exact_slices_or_refused(
    client: httpx.AsyncClient, demo_activities: Demo, settings: Settings, data: st.DataObject
):
    """``?limit=`` from 1 to the configured maximum (``max_page_size``) and any page
    answer exactly that slice of the list with its envelope; 0, the maximum + 1 and page
    0 are refused naming the parameter (a negative size is not a whole number). Fails if a bound is off by one, or clamped
    instead of refused, or a page is shifted."""
    demo, top = demo_activities, settings.max_page_size
    limit = data.draw(around(top), label="limit")
    pages = max(1, -(-len(demo.ids) // max(limit, 1)))
    page = data.draw(
        st.one_of(st.sampled_from([0, 1, pages, pages + 1]), st.integers(1, pages)), label="page"
    )
    answer = await client.get(
        "/api/v1/activities", params={"limit": str(limit), "page": str(page)}, headers=demo.headers
    )
    # Both are read as whole numbers first, then the page's range is checked, then the size's.
    if limit < 0:
        _problem(answer, 400, "Query parameter 'limit' must be a positive whole number")
        return
    if page < 1:
        _problem(answer, 400, "Query parameter 'page' must be between 1 and 1000000")
        return
    if not 1 <= limit <= top:
        _problem(answer, 400, f"Query parameter 'limit' must be between 1 and {top}")
        return
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["pagination"] == {"page": page, "limit": limit, "total": len(demo.ids)}
    start = (page - 1) * limit
    assert [row["id"] for row in body["data"]] == demo.ids[start : start + limit]


@examples
@given(data=st.data())
async def test_graphql_page_sizes_are_exact_or_refused(
    client: httpx.AsyncClient, demo_activities: Demo, settings: Settings, data: st.DataObject
):
    """``first`` from 0 to the configured maximum answers that many nodes (the first ones)
    and says whether more follow; -1 and the maximum + 1 are BAD_USER_INPUT naming
    ``first``. Fails if a bound is off by one or clamped instead of refused."""
    demo, top = demo_activities, settings.max_page_size
    first = data.draw(around(top), label="first")
    body = await gql(client, ACTIVITIES, {"first": first}, demo.headers)
    if not 0 <= first <= top:
        _refused(body, f"'first' must be between 0 and {top}")
        return
    page = body["data"]["activities"]
    assert [node["legacyId"] for node in page["nodes"]] == demo.ids[:first]
    assert page["totalCount"] == len(demo.ids)
    assert page["pageInfo"]["hasNextPage"] == (first < len(demo.ids))


# --- cursors from real pages, and tampered ones ----------------------------------------------


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.one_of(st.sampled_from([1, 2, 99, 100]), st.integers(1, 100)),
    changes=st.lists(tampers, min_size=1, max_size=3),
)
async def test_cursors_of_real_pages_continue_exactly_and_tampered_ones_are_refused(
    client: httpx.AsyncClient, demo_activities: Demo, size: int, changes: list[Tamper]
):
    """Paging with ``first``/``after`` through the first pages: each page is the next
    slice of the list, its ``endCursor`` continues right after it. A tampered cursor is
    either BAD_USER_INPUT or, when it still decodes to a sort key of this list, a page of
    the list: a run of consecutive items, as many as asked (or up to the end). Fails if
    ``after`` is read off by one (a row repeated or skipped), or a malformed cursor
    answers anything else (an error other than a refusal, items out of order)."""
    demo = demo_activities
    after: str | None = None
    cursors: list[str] = []
    for start in range(0, min(4 * size, len(demo.ids)), size):
        body = await gql(client, ACTIVITIES, {"first": size, "after": after}, demo.headers)
        page = body["data"]["activities"]
        assert [node["legacyId"] for node in page["nodes"]] == demo.ids[start : start + size]
        assert page["pageInfo"]["hasNextPage"] == (start + size < len(demo.ids))
        after = page["pageInfo"]["endCursor"]
        assert after is not None
        cursors.append(after)
    for cursor, how in zip(cursors, changes * len(cursors), strict=False):
        bad = tamper(cursor, how)
        body = await gql(client, ACTIVITIES, {"first": size, "after": bad}, demo.headers)
        if body.get("errors"):
            assert [error["extensions"]["code"] for error in body["errors"]] == [
                "BAD_USER_INPUT"
            ], body
            assert "cursor" in body["errors"][0]["message"], body
            continue
        nodes = [node["legacyId"] for node in body["data"]["activities"]["nodes"]]
        if not nodes:
            continue
        start = demo.ids.index(nodes[0])
        assert nodes == demo.ids[start : start + size], (bad, nodes)


# --- request bodies that are valid JSON ------------------------------------------------------

REQUIRED = ("local_id", "activity_type_id", "date", "duration_minutes")


@examples
@given(
    value=st.one_of(
        json_values.filter(lambda v: not isinstance(v, dict)),
        st.dictionaries(st.from_regex(r"\Ax_[a-z]{1,10}\Z"), json_values, max_size=4),
    )
)
@example(value=[])
@example(value=None)
@example(value={})
async def test_json_bodies_are_refused_exactly(
    client: httpx.AsyncClient, demo_activities: Demo, value: Any
):
    """Any valid JSON that is not an object is refused as such (400); an object with only
    unknown members is refused naming each missing required field and each unknown one,
    in order (422). Fails if unknown members are ignored, or a
    required field is no longer named."""
    raw = json.dumps(value, ensure_ascii=False).encode()
    headers = {**demo_activities.headers, "Content-Type": "application/json"}
    answer = await client.post("/api/v1/activities", content=raw, headers=headers)
    if not isinstance(value, dict):
        _problem(answer, 400, "The body must be a JSON object")
        return
    assert answer.status_code == 422, answer.text
    expected = [{"field": name, "message": "Field required"} for name in REQUIRED]
    expected += [{"field": name, "message": "unknown field"} for name in value]
    assert answer.json()["errors"] == expected
