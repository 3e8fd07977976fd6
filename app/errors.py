"""The one error tree both doors render.

::

    DomainError                  code                    HTTP
    ├── BadRequest               BAD_USER_INPUT          400  malformed JSON / query parameter
    ├── InvalidInput             BAD_USER_INPUT          422  well-formed but invalid (field errors)
    ├── Unauthenticated          UNAUTHENTICATED         401
    ├── Forbidden                FORBIDDEN               403
    ├── NotFound                 NOT_FOUND               404
    ├── MethodNotAllowed         METHOD_NOT_ALLOWED      405
    ├── Conflict                 CONFLICT                409
    ├── PreconditionFailed       PRECONDITION_FAILED     412  stale If-Match / version
    ├── PayloadTooLarge          PAYLOAD_TOO_LARGE       413
    ├── UnsupportedMediaType     UNSUPPORTED_MEDIA_TYPE  415
    ├── Locked                   LOCKED                  423
    ├── RateLimited              RATE_LIMITED            429
    ├── RequestTimeout           TIMEOUT                 503  over the per-request time limit
    └── ServiceUnavailable       SERVICE_UNAVAILABLE     503  the database refuses connections
                                                              or the pool is exhausted (Retry-After)

REST renders them as ``application/problem+json`` (RFC 9457) with ``code`` and, for field
errors, ``errors: [{field, message}]``; GraphQL puts ``code`` (and ``errors``) into
``extensions``. Anything that is not a DomainError is logged and shown as a masked message.

Field names: services name fields as REST does (``duration_minutes``, dotted for nested
fields: ``period.end_date``); REST shows them as they are, and the GraphQL door renames
them to its camelCase arguments (``durationMinutes``, ``period.endDate``) here, in
``graphql_field``, for its messages and ``extensions.errors`` alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}

    def for_graphql(self) -> FieldError:
        return FieldError(graphql_field(self.field), self.message)


def graphql_field(name: str) -> str:
    """A field's name as GraphQL spells it: each dotted part in camelCase
    (``period.end_date`` -> ``period.endDate``); names in camelCase already stay as they are."""

    def one(part: str) -> str:
        head, *rest = part.split("_")
        return head + "".join(word[:1].upper() + word[1:] for word in rest)

    return ".".join(one(part) for part in name.split("."))


def describe(errors: Sequence[FieldError]) -> str:
    """The message of field errors: ``field: message; field: message``."""
    return "; ".join(f"{e.field}: {e.message}" for e in errors)


class DomainError(Exception):
    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    # GraphQL has no HTTP preconditions: where its code differs from REST's, it is set here.
    graphql_code: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.errors = tuple(errors)
        self.headers = headers or {}
        super().__init__(self.detail)

    def graphql_errors(self) -> list[FieldError]:
        """The field errors with GraphQL's field names."""
        return [e.for_graphql() for e in self.errors]

    def graphql_message(self) -> str:
        """The message GraphQL shows: a message made of the field errors names the fields
        as GraphQL does; any other message is shown as it is."""
        if self.errors and self.detail == describe(self.errors):
            return describe(self.graphql_errors())
        return self.detail

    def extensions(self) -> dict[str, Any]:
        """What GraphQL puts in ``extensions``."""
        ext: dict[str, Any] = {"code": self.graphql_code or self.code}
        if self.errors:
            ext["errors"] = [e.as_dict() for e in self.graphql_errors()]
        return ext


class BadRequest(DomainError):
    code = "BAD_USER_INPUT"
    status = 400
    title = "Bad Request"


class OperationNotSupported(DomainError):
    """An operation the transport does not run: a subscription sent as a plain HTTP
    request (it streams: over WebSocket, SSE or multipart), or a query over multipart."""

    code = "OPERATION_NOT_SUPPORTED"
    status = 400
    title = "Operation Not Supported"


class InvalidInput(DomainError):
    code = "BAD_USER_INPUT"
    status = 422
    title = "Unprocessable Content"

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls.of([FieldError(field, message)])

    @classmethod
    def of(cls, errors: Sequence[FieldError]) -> InvalidInput:
        """One error naming every invalid field."""
        return cls(describe(errors), errors=errors)

    @classmethod
    def raise_if_any(cls, errors: Sequence[FieldError]) -> None:
        if errors:
            raise cls.of(errors)


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    status = 401
    title = "Unauthorized"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail or "Authentication required", headers={"WWW-Authenticate": "Bearer"}
        )


class Forbidden(DomainError):
    code = "FORBIDDEN"
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404
    title = "Not Found"


class MethodNotAllowed(DomainError):
    code = "METHOD_NOT_ALLOWED"
    status = 405
    title = "Method Not Allowed"


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409
    title = "Conflict"


class PreconditionFailed(DomainError):
    """A stale ``If-Match`` (REST 412) or expected version (GraphQL ``CONFLICT``)."""

    code = "PRECONDITION_FAILED"
    graphql_code = "CONFLICT"
    status = 412
    title = "Precondition Failed"


class PayloadTooLarge(DomainError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413
    title = "Content Too Large"


class UnsupportedMediaType(DomainError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415
    title = "Unsupported Media Type"


class Locked(DomainError):
    code = "LOCKED"
    status = 423
    title = "Locked"


class RequestTimeout(DomainError):
    code = "TIMEOUT"
    status = 503
    title = "Service Unavailable"


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    status = 429
    title = "Too Many Requests"


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    status = 503
    title = "Service Unavailable"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_seconds)})
