"""The id of the request being served, for logs and error bodies."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")


def current_request_id() -> str | None:
    return _request_id.get()


def start_request(incoming: str | None) -> str:
    """Use the caller's ``X-Request-ID`` when it is a safe token, else a new one."""
    request_id = incoming if incoming and _SAFE.match(incoming) else uuid.uuid4().hex
    _request_id.set(request_id)
    return request_id
