"""Hypothesis strategies the property tests share: valid and boundary inputs besides noise
(calendar dates with leap days, date-times in every accepted form, cursors and their
tampered forms, JSON values)."""

from __future__ import annotations

import calendar
import string
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import strategies as st

# --- calendar dates --------------------------------------------------------------------------

leap_days = st.integers(1904, 2096).filter(calendar.isleap).map(lambda y: date(y, 2, 29))
common_years = st.integers(1900, 2200).filter(lambda y: not calendar.isleap(y))
# Month-days that no year has (and February 29 of a common year).
_never = st.sampled_from(["02-30", "02-31", "04-31", "06-31", "09-31", "11-31", "01-32", "13-01"])
impossible_dates = st.one_of(
    common_years.map(lambda y: f"{y:04d}-02-29"),
    st.tuples(st.integers(1900, 2200), _never).map(lambda t: f"{t[0]:04d}-{t[1]}"),
    st.tuples(st.integers(1900, 2200), st.integers(1, 12)).map(
        lambda t: f"{t[0]:04d}-{t[1]:02d}-00"
    ),
)

# --- date-times in every accepted RFC 3339 form ----------------------------------------------

moments = st.datetimes(
    min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC)
).map(lambda m: m.replace(microsecond=0))
zones = st.one_of(
    st.just(UTC), st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
)
separators = st.sampled_from(["T", "t", " "])
zero_fractions = st.sampled_from(["", ".0", ".000", ".000000", ".000000000"])
zulus = st.sampled_from(["Z", "z", "+00:00"])


def written(moment: datetime, zone: timezone, separator: str, fraction: str, zulu: str) -> str:
    """``moment`` as RFC 3339 in ``zone`` (UTC written as ``zulu``: Z, z or +00:00)."""
    local = moment.astimezone(zone)
    text = local.strftime(f"%Y-%m-%d{separator}%H:%M:%S") + fraction
    offset = local.strftime("%z")
    if offset == "+0000":
        return text + zulu
    return f"{text}{offset[:3]}:{offset[3:]}"


# --- cursors ---------------------------------------------------------------------------------


_B64 = string.ascii_letters + string.digits + "-_="
Tamper = tuple[str, int, str]
tampers = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 40), st.sampled_from(_B64)),
    st.tuples(st.just("cut"), st.integers(1, 8), st.just("")),
    st.tuples(st.just("append"), st.integers(1, 4), st.sampled_from(_B64)),
)


def tamper(cursor: str, how: Tamper) -> str:
    """``cursor`` with one character replaced, its end cut off, or characters appended."""
    kind, n, char = how
    if kind == "replace":
        i = n % len(cursor)
        return cursor[:i] + char + cursor[i + 1 :]
    if kind == "cut":
        return cursor[:-n]
    return cursor + char * n


def around(limit: int) -> st.SearchStrategy[int]:
    """Sizes around ``limit`` and the lower bound (-1, 0, 1, max-1, max, max+1 ...)."""
    return st.one_of(
        st.sampled_from([-1, 0, 1, 2, limit - 1, limit, limit + 1, limit + 2]),
        st.integers(-5, 3 * limit),
    )


# --- JSON ------------------------------------------------------------------------------------

# JSON text the gateway accepts: no NUL characters, no unpaired surrogates (both refused).
safe_text = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | safe_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(safe_text, children, max_size=4)
    ),
    max_leaves=12,
)
