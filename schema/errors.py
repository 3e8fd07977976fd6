"""GraphQL error rendering: DomainErrors keep their message and get ``extensions.code``;
anything unexpected is logged with the request id and shown as a masked message."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql.error import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import MaskErrors
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import StreamExecutionResult

from app.errors import DomainError
from app.requestid import current_request_id

log = logging.getLogger("gateway.graphql")


def _is_domain(error: GraphQLError) -> bool:
    return isinstance(error.original_error, DomainError)


# What a stream (WebSocket, SSE, multipart) answers, as a GraphQL error, for a request it
# cannot run: an operation type the transport does not run (e.g. a query over multipart,
# a mutation over GET), an unknown ``operationName``, no query.
_REQUEST_CODES: dict[type[Exception], str] = {
    InvalidOperationTypeError: "OPERATION_NOT_SUPPORTED",
    CannotGetOperationTypeError: "GRAPHQL_VALIDATION_FAILED",
    MissingQueryError: "BAD_USER_INPUT",
}


def _request_code(error: GraphQLError) -> str | None:
    return _REQUEST_CODES.get(type(error.original_error))  # type: ignore[arg-type]


def _is_client_error(error: GraphQLError) -> bool:
    # DomainErrors, and GraphQL's own input coercion errors (a variable of the wrong type,
    # e.g. 45.5 for an Int), which graphql-core raises wrapped in another GraphQLError.
    return (
        _is_domain(error)
        or isinstance(error.original_error, GraphQLError)
        or _request_code(error) is not None
    )


def _should_mask(error: GraphQLError) -> bool:
    # Parse/validation errors have no original error: they are the client's and safe to show.
    return error.original_error is not None and not _is_client_error(error)


def _add_codes(result: object) -> None:
    """Every error carries ``extensions.code``: a DomainError's own, ``BAD_USER_INPUT`` for
    GraphQL's input coercion errors, ``GRAPHQL_VALIDATION_FAILED`` for the document's."""
    for error in getattr(result, "errors", None) or ():
        original = error.original_error
        if isinstance(original, DomainError):
            error.message = original.graphql_message()
            error.extensions = {**(error.extensions or {}), **original.extensions()}
        elif isinstance(original, GraphQLError):
            error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        elif (code := _request_code(error)) is not None:
            error.extensions = {**(error.extensions or {}), "code": code}
        elif not error.extensions or "code" not in error.extensions:
            error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"}


class GatewayErrors(MaskErrors):
    """Strawberry's MaskErrors, configured through its public constructor (which errors to
    mask, with what message) and ``anonymise_error``; the codes are added after masking, in
    the same public hooks that mask (the operation's result, each streamed result)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_should_mask, error_message="Internal server error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = current_request_id()
        log.error(
            "unexpected error in GraphQL field %s (request %s)",
            ".".join(str(p) for p in error.path or ()),
            request_id,
            exc_info=error.original_error,
        )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "request_id": request_id}
        return masked

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        result = self.execution_context.result
        _add_codes(getattr(result, "initial_result", result))

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        for _ in super().on_stream_result(result):
            _add_codes(result)
            yield


def log_errors(errors: list[GraphQLError]) -> None:
    """Every rejected GraphQL request is logged with the request id; client errors at INFO
    (they are expected), unexpected ones are logged with their traceback when masked."""
    request_id = current_request_id()
    for error in errors:
        if error.original_error is not None and not _is_client_error(error):
            continue
        code = (error.extensions or {}).get("code") or (
            error.original_error.code if isinstance(error.original_error, DomainError) else None
        )
        log.info("graphql error code=%s message=%r request_id=%s", code, error.message, request_id)
