"""One code for a wrong input value, wherever the client wrote it.

An input value of the wrong type (``durationMinutes: "long"``), an unknown enum value
(``status: DONE``), an unknown or missing input-object field: sent as a variable, GraphQL
reports it while coercing the variables (``BAD_USER_INPUT``, as every invalid value the
services refuse); written as a literal in the document, graphql-core reports the same
mistake while validating the document. ``InputValueCodes`` swaps in a variant of that
validation rule which tags its errors ``BAD_USER_INPUT`` too, so both spellings answer
the same code. Other validation errors (an unknown field, a missing argument, ...) stay
``GRAPHQL_VALIDATION_FAILED``.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension

CODE = "BAD_USER_INPUT"


class InputValuesRule(ValuesOfCorrectTypeRule):
    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": CODE}
        super().report_error(error)


class InputValueCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = tuple(
            InputValuesRule if rule is ValuesOfCorrectTypeRule else rule
            for rule in context.validation_rules
        )
        yield
