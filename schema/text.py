"""String literals in GraphQL documents may not hold NUL characters or unpaired surrogates
(``"\\u0000"``, ``"\\ud800"``), the same rule as for JSON strings on both doors
(``app.rest.http.UNSAFE_TEXT``; variables arrive as JSON and are checked there). Refused
before execution with ``BAD_USER_INPUT``."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, StringValueNode, Visitor, visit
from graphql.language.visitor import VisitorAction
from strawberry.extensions import SchemaExtension

from app.rest.http import UNSAFE_TEXT, UNSAFE_TEXT_MESSAGE


class _FindUnsafe(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_args: object) -> VisitorAction:
        if UNSAFE_TEXT.search(node.value):
            self.found = node
            return self.BREAK
        return None


class SafeText(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            finder = _FindUnsafe()
            visit(document, finder)
            if finder.found is not None:
                raise GraphQLError(
                    f"String values {UNSAFE_TEXT_MESSAGE}",
                    nodes=[finder.found],
                    extensions={"code": "BAD_USER_INPUT"},
                )
        yield
