"""GraphQL error rendering: DomainErrors keep their message and get ``extensions.code``;
anything unexpected is logged with the request id and shown as a masked message."""

from __future__ import annotations

import logging
import re

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from app.errors import DomainError
from app.requestid import current_request_id

log = logging.getLogger("gateway.graphql")


def _is_domain(error: GraphQLError) -> bool:
    return isinstance(error.original_error, DomainError)


def _is_client_error(error: GraphQLError) -> bool:
    # DomainErrors, and GraphQL's own input coercion errors (a variable of the wrong type,
    # e.g. 45.5 for an Int), which graphql-core raises wrapped in another GraphQLError.
    return _is_domain(error) or isinstance(error.original_error, GraphQLError)


def _should_mask(error: GraphQLError) -> bool:
    # Parse/validation errors have no original error: they are the client's and safe to show.
    return error.original_error is not None and not _is_client_error(error)


_SUGGESTION = re.compile(r" Did you mean .*\?$")


class GatewayErrors(MaskErrors):
    def __init__(self, *, hide_suggestions: bool = False) -> None:
        super().__init__(should_mask_error=_should_mask, error_message="Internal server error")
        self.hide_suggestions = hide_suggestions

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

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            original = error.original_error
            if isinstance(original, DomainError):
                error.extensions = {**(error.extensions or {}), **original.extensions()}
            elif isinstance(original, GraphQLError):
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
            elif not error.extensions or "code" not in error.extensions:
                error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"}
            if self.hide_suggestions and original is None:
                # Field suggestions would map the schema for a caller with introspection off.
                error.message = _SUGGESTION.sub("", error.message)
        return processed


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
