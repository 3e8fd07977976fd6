"""Document validation and variable coercion, with or without name suggestions.

graphql-core suggests names in its errors ("Did you mean 'roles'?", "Did you mean the enum
value 'OPEN'?"): for fields, arguments, types, input-object fields and enum values, in a
document's literals (validation) and in variables (coercion at execution). In production,
where introspection is off, those would map the schema for any caller, so both steps run
with graphql-core's own ``hide_suggestions`` switch, which Strawberry does not pass on:

- ``Validation`` validates (with a bounded LRU cache shared by all requests) with the
  rules Strawberry would use, passing ``hide_suggestions``;
- ``QuietExecutor`` is the executor class (``Schema(execution_context_class=...)``) that
  builds every execution, subscriptions included, with ``hide_suggestions=True``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

# Strawberry's own rules, which it appends to the execution context's (graphql-core's
# specified rules plus those extensions add, e.g. DisableIntrospection's).
_STRAWBERRY_RULES: tuple[type[ASTValidationRule], ...] = (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
)


@lru_cache(maxsize=256)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    return validate(
        schema, document, (*rules, *_STRAWBERRY_RULES), hide_suggestions=hide_suggestions
    )


class Validation(SchemaExtension):
    """Validates the document (in place of Strawberry's validation step and cache)."""

    def __init__(self, *, hide_suggestions: bool) -> None:
        super().__init__()
        self.hide_suggestions = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            context.pre_execution_errors = _validate(
                context.schema._schema,
                context.graphql_document,
                context.validation_rules,
                self.hide_suggestions,
            )
        yield


class QuietExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, built without suggestions in variable coercion errors."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)
