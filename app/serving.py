"""How ``gateway serve`` runs uvicorn: the HTTP protocol and its request-head bounds.

Request heads are bounded before the app sees them: at most ``MAX_HEADERS`` header fields
and ``MAX_HEAD_BYTES`` bytes for the request line and headers together; a larger head is
answered ``431 Request Header Fields Too Large`` and the connection is closed.

uvicorn's httptools protocol (the fast C parser, uvicorn's default where installed) has no
such bound: httptools gathers a header in memory until it ends, however long. Its h11
protocol bounds only a head still incomplete after a read (a complete head of one socket
read, 256 KiB, passes) and answers 400. ``BoundedHttpToolsProtocol`` keeps httptools and
adds both bounds: bytes are counted as they arrive while a head is incomplete (so an 8 MB
header is refused after its first 32 KiB, not read in full), fields as they are parsed,
and a complete head's exact size is checked before the request starts.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

MAX_HEAD_BYTES = 32 * 1024
MAX_HEADERS = 100
# After a 431 the rest of the head is read and dropped for up to this long before the
# connection closes: closing with unread data would reset it and lose the answer.
LINGER_SECONDS = 5.0
_REFUSAL = b"Request header fields too large"


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with bounded request heads, answered 431 past them."""

    _in_head = False  # between the first byte of a request and the end of its head
    _head_bytes = 0  # bytes fed while the current head was still incomplete
    _over_bounds = False  # a parser callback found the head past a bound
    _refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused head: dropped
        try:
            super().data_received(data)
        finally:
            if self._in_head and not self._refused:
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEAD_BYTES:
                    self._refuse()

    def send_400_response(self, msg: str) -> None:
        # Reached from uvicorn's data_received on a parser error, which is also how a
        # callback's refusal arrives (httptools turns its exception into one).
        if self._over_bounds:
            self._refuse()
        else:
            super().send_400_response(msg)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.headers) >= MAX_HEADERS:
            self._over_bounds = True
            raise ValueError("too many header fields")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        size = len(self.url) + 12 + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if size > MAX_HEAD_BYTES:
            self._over_bounds = True
            raise ValueError("request head too large")
        super().on_headers_complete()

    def _refuse(self) -> None:
        if self._refused:
            return
        self._refused = True
        self._in_head = False
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[431],
                    b"content-type: text/plain; charset=utf-8\r\n",
                    b"content-length: " + str(len(_REFUSAL)).encode() + b"\r\n",
                    b"connection: close\r\n\r\n",
                    _REFUSAL,
                ]
            )
        )
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
