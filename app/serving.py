"""How ``gateway serve`` runs uvicorn: the HTTP protocol, its request-head bounds, logging.

Request heads are bounded before the app sees them: at most ``MAX_HEADERS`` header fields
and ``MAX_HEAD_BYTES`` bytes for the request line and headers together; a larger head is
answered ``431 Request Header Fields Too Large`` and the connection is closed.

uvicorn's httptools parser has no such bound (it reads any header in full), and its h11
protocol answers 400 where h11 itself says 431 (``error_status_hint``) and bounds only a
head still incomplete after a read, so a complete head of up to one socket read (256 KiB)
passes. ``BoundedH11Protocol`` is uvicorn's h11 protocol with both bounds and the 431.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

MAX_HEAD_BYTES = 32 * 1024
MAX_HEADERS = 100
# After a 431 the rest of the head is read and dropped for up to this long before the
# connection closes: closing with unread data would reset it and lose the answer.
LINGER_SECONDS = 5.0


class _BoundedConnection(h11.Connection):
    """An h11 server connection that also refuses complete heads over the bounds."""

    def __init__(self) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.refused_status: int | None = None

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as error:
            self.refused_status = error.error_status_hint
            raise
        if isinstance(event, h11.Request):
            size = len(event.method) + len(event.target) + 12
            size += sum(len(name) + len(value) + 4 for name, value in event.headers)
            if len(event.headers) > MAX_HEADERS or size > MAX_HEAD_BYTES:
                self.refused_status = 431
                raise h11.RemoteProtocolError("Request header fields too large", 431)
        return event


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with bounded request heads, answered 431 past the bounds."""

    conn: _BoundedConnection

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.conn = _BoundedConnection()
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused head: dropped
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        if self.conn.refused_status != 431:
            super().send_400_response(msg)
            return
        body = b"Request header fields too large"
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        response = h11.Response(
            status_code=431, headers=headers, reason=b"Request Header Fields Too Large"
        )
        self.transport.write(self.conn.send(response))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self._refused = True
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
