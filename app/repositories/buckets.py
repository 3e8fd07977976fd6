"""Calendar buckets of a date column, as text, the same on SQLite and PostgreSQL: the day
(``2025-06-09``), the ISO week by its Monday (``2025-06-09``), the month (``2025-06``) and
the year (``2025``). Grouped aggregates group by them. A date-time falls in the bucket of
its UTC calendar day (SQLite stores UTC; PostgreSQL converts a ``timestamptz``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

_SQLITE = {
    "day": "strftime('%Y-%m-%d', {0})",
    "week": "date({0}, 'weekday 0', '-6 days')",
    "month": "strftime('%Y-%m', {0})",
    "year": "strftime('%Y', {0})",
}
_POSTGRESQL = {
    "day": "to_char({0}, 'YYYY-MM-DD')",
    "week": "to_char(date_trunc('week', {0}), 'YYYY-MM-DD')",
    "month": "to_char({0}, 'YYYY-MM')",
    "year": "to_char({0}, 'YYYY')",
}


class Bucket(FunctionElement[str]):
    """The bucket of a date, as text; one subclass per kind (the kind is part of the SQL, so
    each has its own statement cache key)."""

    type = String()
    inherit_cache = True
    name = "date_bucket"
    kind = ""


class _Day(Bucket):
    inherit_cache = True
    kind = "day"


class _Week(Bucket):
    inherit_cache = True
    kind = "week"


class _Month(Bucket):
    inherit_cache = True
    kind = "month"


class _Year(Bucket):
    inherit_cache = True
    kind = "year"


_KINDS: dict[str, type[Bucket]] = {kind.kind: kind for kind in (_Day, _Week, _Month, _Year)}


def bucket(kind: str, column: Any) -> Bucket:
    """``bucket("month", Activity.date)``: the column's month, as text."""
    return _KINDS[kind](column)


def _render(
    templates: dict[str, str], element: Bucket, compiler: SQLCompiler, *, utc: str, **kw: Any
) -> str:
    (column,) = list(element.clauses)
    text = compiler.process(column, **kw)
    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, DateTime) and kind.timezone:
        text = utc.format(text)  # the UTC calendar, whatever the session's time zone
    return templates[element.kind].format(text)


@compiles(Bucket)
def _bucket_sqlite(element: Bucket, compiler: SQLCompiler, **kw: Any) -> str:
    return _render(_SQLITE, element, compiler, utc="{0}", **kw)


@compiles(Bucket, "postgresql")
def _bucket_postgresql(element: Bucket, compiler: SQLCompiler, **kw: Any) -> str:
    return _render(_POSTGRESQL, element, compiler, utc="({0} AT TIME ZONE 'UTC')", **kw)
