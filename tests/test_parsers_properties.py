"""Property tests for the parsers every door relies on: dates, date-times, cursors, pages,
ids, ETags and strict JSON. Whatever the input, they answer a value or a clear client
error (ValueError / BadRequest), never anything else; valid and boundary inputs (leap
days, every accepted date-time form, page sizes around the configured maximum, real and
tampered cursors) get exactly the right value or the exact refusal. The doors' side of
the same inputs: tests/test_door_properties.py."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.errors import BadRequest
from app.ids import is_valid_external_id, new_id
from app.pagination import decode_cursor, encode_cursor, graphql_page, rest_page
from app.rest.http import parse_json
from app.settings import Settings
from app.timeutil import format_datetime, parse_date, parse_date_or_datetime, parse_datetime
from app.versioning import etag, parse_if_match
from tests.property_support import (
    Tamper,
    around,
    impossible_dates,
    json_values,
    leap_days,
    moments,
    safe_text,
    separators,
    tamper,
    tampers,
    written,
    zero_fractions,
    zones,
    zulus,
)

MAX = Settings(_env_file=None).max_page_size  # the configured bound of both doors

aware = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m))


@settings(deadline=None)
@given(aware)
def test_formatted_datetimes_parse_back_to_the_same_second(moment: datetime):
    text = format_datetime(moment)
    assert text is not None
    assert text.endswith("Z")
    assert parse_datetime(text) == moment.replace(microsecond=0)


@settings(deadline=None)
@given(aware, offsets)
def test_any_offset_is_stored_as_the_same_instant(moment: datetime, offset: timedelta):
    local = moment.astimezone(timezone(offset)).replace(microsecond=0)
    parsed = parse_datetime(local.isoformat())
    assert parsed == local
    assert parsed.utcoffset() == timedelta(0)


@settings(deadline=None)
@given(st.text(max_size=40))
def test_date_and_datetime_parsers_fail_only_with_value_error(text: str):
    for parser in (parse_date, parse_datetime, parse_date_or_datetime):
        with contextlib.suppress(ValueError):
            parser(text)


@settings(deadline=None)
@given(st.dates())
def test_dates_round_trip(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date_or_datetime(day.isoformat()).date() == day


key_values = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.integers(-(10**12), 10**12),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(),
)
list_ids = st.text(alphabet="0123456789abcdef", min_size=1, max_size=12)


@settings(deadline=None)
@given(list_ids, st.lists(key_values, min_size=1, max_size=5).map(tuple))
def test_cursors_round_trip(list_id: str, key: tuple[object, ...]):
    """A cursor gives back the exact sort key it was made of (types too: a date stays a
    date, a naive date-time naive); another list's identity refuses it."""
    cursor = encode_cursor(list_id, key)
    decoded = decode_cursor(cursor, list_id)
    assert decoded == key
    assert [type(value) for value in decoded] == [type(value) for value in key]
    with pytest.raises(BadRequest) as refused:
        decode_cursor(cursor, list_id + "0")
    assert refused.value.detail == (
        f"The cursor {cursor!r} belongs to another list (another field, filter or order)"
    )


@settings(deadline=None)
@given(st.text(max_size=60))
def test_bad_cursors_are_bad_requests(text: str):
    with contextlib.suppress(BadRequest):
        decode_cursor(text, "")


@settings(deadline=None)
@given(st.one_of(st.none(), st.text(max_size=12)), st.one_of(st.none(), st.text(max_size=12)))
def test_rest_pages_are_in_range_or_refused(page: str | None, limit: str | None):
    try:
        request = rest_page(page, limit, max_limit=100)
    except BadRequest:
        return
    assert 1 <= request.limit <= 100
    assert request.offset >= 0
    assert request.page >= 1


@settings(deadline=None)
@given(st.integers(min_value=-1000, max_value=1000))
def test_graphql_page_sizes_outside_0_to_100_are_refused(first: int):
    try:
        request = graphql_page(first, None, max_limit=100)
    except BadRequest:
        assert not 0 <= first <= 100
        return
    assert request.limit == first


@settings(deadline=None)
@given(st.text(max_size=80))
def test_external_ids_are_printable_keys(text: str):
    if is_valid_external_id(text):
        assert 1 <= len(text) <= 64
        assert text.isascii()
        assert not any(c.isspace() for c in text)


@settings(deadline=None)
@given(st.sampled_from(["asgn", "act", "ms", "key"]))
def test_new_ids_carry_their_prefix_and_are_valid(prefix: str):
    value = new_id(prefix)
    assert value.startswith(prefix + "_")
    assert is_valid_external_id(value)


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=10**12))
def test_etags_round_trip(version: int):
    assert parse_if_match(etag(version)) == version
    assert parse_if_match("W/" + etag(version)) == version


@settings(deadline=None)
@given(st.text(max_size=30))
def test_if_match_is_a_version_none_or_bad_request(text: str):
    try:
        result = parse_if_match(text)
    except BadRequest:
        return
    assert result is None or result >= 0


@settings(deadline=None)
@given(json_values)
def test_strict_json_reads_what_json_writes(value):
    assert parse_json(json.dumps(value)) == value


@settings(deadline=None)
@given(st.binary(max_size=200))
def test_strict_json_refuses_garbage_with_bad_request(raw: bytes):
    with contextlib.suppress(BadRequest):
        parse_json(raw)


@settings(deadline=None)
@given(safe_text, safe_text)
def test_strict_json_refuses_nul_characters(before: str, after: str):
    with pytest.raises(BadRequest):
        parse_json(json.dumps({"value": before + "\x00" + after}))


# --- valid and boundary inputs ---------------------------------------------------------------


@settings(deadline=None)
@given(leap_days)
@example(date(2000, 2, 29))  # divisible by 400: a leap year
def test_leap_days_are_dates(day: date):
    """Fails if February 29 is refused in a leap year."""
    assert parse_date(day.isoformat()) == day
    assert parse_date_or_datetime(day.isoformat()) == datetime(day.year, 2, 29, tzinfo=UTC)


@settings(deadline=None)
@given(impossible_dates)
@example("1900-02-29")  # divisible by 100, not by 400: a common year
@example("2100-02-29")
def test_impossible_dates_are_refused_exactly(text: str):
    """February 29 of a common year, April 31, day 0 ...: refused, as dates and as the
    midnight of that day. Fails if a parser rolls over or clamps to a real day."""
    for parser in (parse_date, parse_date_or_datetime):
        with pytest.raises(ValueError, match=r"^is not a valid calendar date$"):
            parser(text)
    with pytest.raises(ValueError, match=r"^is not a valid date-time$"):
        parse_datetime(f"{text}T00:00:00Z")


@settings(deadline=None)
@given(moments, zones, separators, zero_fractions, zulus)
def test_every_accepted_form_is_the_same_instant(
    moment: datetime, zone: timezone, separator: str, fraction: str, zulu: str
):
    """Any offset, ``T``/``t``/space, ``Z``/``z``/``+00:00`` and a zero fraction of up to
    nine digits: the same instant. Fails if the offset is ignored or a form refused."""
    assert parse_datetime(written(moment, zone, separator, fraction, zulu)) == moment
    assert parse_date_or_datetime(written(moment, zone, separator, fraction, zulu)) == moment


@settings(deadline=None)
@given(around(MAX), st.one_of(st.sampled_from([0, 1, 2, 10**6, 10**6 + 1]), st.integers(0, 10**7)))
def test_rest_page_bounds_are_exact(limit: int, page: int):
    """``limit`` 1..max and ``page`` 1..10**6 give that exact window; anything else is the
    exact refusal naming the parameter. Fails if a bound is off by one or clamped."""
    raw_limit, raw_page = str(limit), str(page)
    if limit < 0:
        refusal = "Query parameter 'limit' must be a positive whole number"
    elif not 1 <= page <= 10**6:
        refusal = "Query parameter 'page' must be between 1 and 1000000"
    elif not 1 <= limit <= MAX:
        refusal = f"Query parameter 'limit' must be between 1 and {MAX}"
    else:
        request = rest_page(raw_page, raw_limit, max_limit=MAX)
        assert (request.offset, request.limit, request.page) == ((page - 1) * limit, limit, page)
        return
    with pytest.raises(BadRequest) as refused:
        rest_page(raw_page, raw_limit, max_limit=MAX)
    assert refused.value.detail == refusal


@settings(deadline=None)
@given(
    around(MAX),
    st.one_of(st.none(), st.integers(0, 10**6)),
    st.booleans(),
)
def test_graphql_page_bounds_are_exact(size: int, after: int | None, backward: bool):
    """``first`` (or ``last``) 0..max asks for that many items after (or before) the
    cursor's key; anything else is the exact refusal naming the argument. Fails if a bound
    is off by one or clamped, or the cursor's key is not the one it was made of."""
    cursor = None if after is None else encode_cursor("list", (after,))
    name = "last" if backward else "first"
    first, last = (None, size) if backward else (size, None)
    before_cursor, after_cursor = (cursor, None) if backward else (None, cursor)
    if not 0 <= size <= MAX:
        with pytest.raises(BadRequest) as refused:
            graphql_page(first, after_cursor, last, before_cursor, max_limit=MAX, list_id="list")
        assert refused.value.detail == f"'{name}' must be between 0 and {MAX}"
        return
    request = graphql_page(first, after_cursor, last, before_cursor, max_limit=MAX, list_id="list")
    key = None if after is None else (after,)
    assert (request.limit, request.backward, request.offset) == (size, backward, 0)
    assert (request.before, request.after) == ((key, None) if backward else (None, key))


def test_first_and_last_together_are_refused():
    with pytest.raises(BadRequest) as refused:
        graphql_page(1, None, 1, None, max_limit=MAX)
    assert refused.value.detail == "Pass 'first' or 'last', not both"


@settings(deadline=None)
@given(
    list_ids,
    st.lists(key_values, min_size=1, max_size=3).map(tuple),
    st.lists(tampers, min_size=1, max_size=3),
)
def test_tampered_cursors_decode_to_a_key_or_are_refused(
    list_id: str, key: tuple[object, ...], changes: list[Tamper]
):
    """A real cursor with characters replaced, cut or appended: either it is refused naming
    the cursor, or it decodes to a sort key (which a cursor made of it gives back). Fails
    if a malformed cursor raises anything but a refusal."""
    cursor = encode_cursor(list_id, key)
    for how in changes:
        cursor = tamper(cursor, how) or cursor
    refusal: str | None = None
    try:
        decoded = decode_cursor(cursor, list_id)
    except BadRequest as refused:
        refusal = refused.detail
    if refusal is not None:
        assert refusal in (
            f"Invalid cursor {cursor!r}",
            f"The cursor {cursor!r} belongs to another list (another field, filter or order)",
        )
        return
    assert decode_cursor(encode_cursor(list_id, decoded), list_id) == decoded
