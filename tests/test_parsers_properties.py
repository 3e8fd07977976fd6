"""Property tests for the parsers every door relies on: dates, date-times, cursors, pages,
ids, ETags and strict JSON. Whatever the input, they answer a value or a clear client
error (ValueError / BadRequest), never anything else."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import BadRequest
from app.ids import is_valid_external_id, new_id
from app.pagination import decode_cursor, encode_cursor, graphql_page, rest_page
from app.rest.http import parse_json
from app.timeutil import format_datetime, parse_date, parse_date_or_datetime, parse_datetime
from app.versioning import etag, parse_if_match

aware = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m))


@given(aware)
def test_formatted_datetimes_parse_back_to_the_same_second(moment: datetime):
    text = format_datetime(moment)
    assert text is not None
    assert text.endswith("Z")
    assert parse_datetime(text) == moment.replace(microsecond=0)


@given(aware, offsets)
def test_any_offset_is_stored_as_the_same_instant(moment: datetime, offset: timedelta):
    local = moment.astimezone(timezone(offset)).replace(microsecond=0)
    parsed = parse_datetime(local.isoformat())
    assert parsed == local
    assert parsed.utcoffset() == timedelta(0)


@given(st.text(max_size=40))
def test_date_and_datetime_parsers_fail_only_with_value_error(text: str):
    for parser in (parse_date, parse_datetime, parse_date_or_datetime):
        with contextlib.suppress(ValueError):
            parser(text)


@given(st.dates())
def test_dates_round_trip(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date_or_datetime(day.isoformat()).date() == day


@given(st.integers(min_value=0, max_value=10**9))
def test_cursors_round_trip(offset: int):
    assert decode_cursor(encode_cursor(offset)) == offset


@given(st.text(max_size=60))
def test_bad_cursors_are_bad_requests(text: str):
    with contextlib.suppress(BadRequest):
        decode_cursor(text)


@given(st.one_of(st.none(), st.text(max_size=12)), st.one_of(st.none(), st.text(max_size=12)))
def test_rest_pages_are_in_range_or_refused(page: str | None, limit: str | None):
    try:
        request = rest_page(page, limit, max_limit=100)
    except BadRequest:
        return
    assert 1 <= request.limit <= 100
    assert request.offset >= 0
    assert request.page >= 1


@given(st.integers(min_value=-1000, max_value=1000))
def test_graphql_page_sizes_outside_0_to_100_are_refused(first: int):
    try:
        request = graphql_page(first, None, max_limit=100)
    except BadRequest:
        assert not 0 <= first <= 100
        return
    assert request.limit == first


@given(st.text(max_size=80))
def test_external_ids_are_printable_keys(text: str):
    if is_valid_external_id(text):
        assert 1 <= len(text) <= 64
        assert text.isascii()
        assert not any(c.isspace() for c in text)


@given(st.sampled_from(["asgn", "act", "ms", "key"]))
def test_new_ids_carry_their_prefix_and_are_valid(prefix: str):
    value = new_id(prefix)
    assert value.startswith(prefix + "_")
    assert is_valid_external_id(value)


@given(st.integers(min_value=1, max_value=10**12))
def test_etags_round_trip(version: int):
    assert parse_if_match(etag(version)) == version
    assert parse_if_match("W/" + etag(version)) == version


@given(st.text(max_size=30))
def test_if_match_is_a_version_none_or_bad_request(text: str):
    try:
        result = parse_if_match(text)
    except BadRequest:
        return
    assert result is None or result >= 0


# JSON text the gateway accepts: no NUL characters, no unpaired surrogates (both refused).
safe_text = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | safe_text,
    lambda children: st.lists(children) | st.dictionaries(safe_text, children),
    max_leaves=20,
)


@given(json_values)
def test_strict_json_reads_what_json_writes(value):
    assert parse_json(json.dumps(value)) == value


@given(st.binary(max_size=200))
def test_strict_json_refuses_garbage_with_bad_request(raw: bytes):
    with contextlib.suppress(BadRequest):
        parse_json(raw)


@given(safe_text, safe_text)
def test_strict_json_refuses_nul_characters(before: str, after: str):
    with pytest.raises(BadRequest):
        parse_json(json.dumps({"value": before + "\x00" + after}))
