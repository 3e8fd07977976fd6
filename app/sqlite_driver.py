"""SQLAlchemy's aiosqlite dialect, with one trip to the connection's thread per statement.

aiosqlite runs every call on a thread of its own per connection; SQLAlchemy's adapter makes
four calls per statement (open a cursor, execute, fetch, close), each a hand-over between
the event loop and that thread. This dialect does all four in one call, which is how the
benchmark's baseline uses aiosqlite (docs/performance.md). Everything else (pooling,
pragmas, ``BEGIN IMMEDIATE``, errors) is the stock dialect's.

``app.db.create_engine`` selects it for ``sqlite+aiosqlite://`` URLs.
"""

from __future__ import annotations

import collections
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_

DRIVER = "aiosqlite_onehop"


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_meta",)
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # no aiosqlite cursor is kept
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._meta: tuple[Any, int, int | None] = (None, -1, None)

    @property
    def description(self) -> Any:
        return self._meta[0]

    @property
    def rowcount(self) -> int:
        return self._meta[1]

    @property
    def lastrowid(self) -> int:
        return self._meta[2]  # type: ignore[return-value]

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._run(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._run(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection = self._connection

        def on_thread() -> tuple[Any, int, int | None, list[Any]]:
            cursor = connection._conn.cursor()
            try:
                if many:
                    cursor.executemany(operation, parameters)
                else:
                    cursor.execute(operation, () if parameters is None else parameters)
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            description, rowcount, lastrowid, rows = await connection._execute(on_thread)
        self._meta = (description, rowcount, lastrowid)
        self._rows = collections.deque(rows)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor

    # No trip to the thread to end a transaction that was never begun (a read session's
    # statements run on their own; the pool's reset of a returned connection).
    def rollback(self) -> None:
        if self._connection.in_transaction:
            super().rollback()

    def commit(self) -> None:
        if self._connection.in_transaction:
            super().commit()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        connection = super().connect(*arg, **kw)
        connection.__class__ = OneHopConnection  # same slots; only the cursor class differs
        return connection  # type: ignore[return-value]


class OneHopDialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True  # compiles as the stock dialect does

    @classmethod
    def import_dbapi(cls) -> Any:
        import sqlite3

        import aiosqlite

        return OneHopDBAPI(aiosqlite, sqlite3)


registry.register(f"sqlite.{DRIVER}", __name__, "OneHopDialect")
