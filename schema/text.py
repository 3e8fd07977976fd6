"""Text at the GraphQL edge, the same rules as on REST (``app.rest.http``):

- string literals in documents may not hold NUL characters or unpaired surrogates
  (``"\\u0000"``, ``"\\ud800"``); variables arrive as JSON and are checked there;
- every ``String``/``ID`` argument and input field has a length bound: the one it declares
  (``metadata=bounded(4000)`` on ``strawberry.argument``/``strawberry.field``) or
  ``MAX_TEXT_LENGTH``. Literals, variables and variable defaults are measured before
  execution, and the schema's descriptions state each bound (``state_bounds``).

Both are refused before execution with ``BAD_USER_INPUT`` naming the field, never cut short.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.language.visitor import VisitorAction
from strawberry.extensions import SchemaExtension

from app.errors import FieldError, InvalidInput
from app.rest.http import MAX_TEXT_LENGTH, UNSAFE_TEXT, UNSAFE_TEXT_MESSAGE, length_error
from schema.per_document import PerDocument

MAX_LENGTH = "max_length"
# The metadata of an argument whose items the service checks one by one, answering per item
# (a sync batch): an item's text over its bound rejects that item, not the whole batch.
CHECKED_PER_ITEM = {"text_checked_per_item": True}
_TEXT_SCALARS = frozenset({"String", "ID"})
_BACKREF = "strawberry-definition"  # where Strawberry links a GraphQL definition to its own

Bounded = GraphQLArgument | GraphQLInputField


def bounded(max_length: int) -> dict[str, int]:
    """The ``metadata`` of a text argument or input field whose bound is not the default."""
    return {MAX_LENGTH: max_length}


def _metadata(definition: Bounded) -> Mapping[str, Any]:
    found = getattr((definition.extensions or {}).get(_BACKREF), "metadata", None)
    return found or {}


def bound_of(definition: Bounded) -> int:
    return int(_metadata(definition).get(MAX_LENGTH, MAX_TEXT_LENGTH))


def _is_text(type_: GraphQLInputType) -> bool:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return isinstance(type_, GraphQLScalarType) and type_.name in _TEXT_SCALARS


def _is_list(type_: GraphQLInputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def bound_sentence(definition: Bounded) -> str:
    each = "Each at most" if _is_list(definition.type) else "At most"
    return f"{each} {bound_of(definition)} characters."


def _text_inputs(schema: GraphQLSchema) -> Iterator[Bounded]:
    for type_ in schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType):
            for field in type_.fields.values():
                yield from (arg for arg in field.args.values() if _is_text(arg.type))
        elif isinstance(type_, GraphQLInputObjectType):
            yield from (f for f in type_.fields.values() if _is_text(f.type))


def state_bounds(schema: GraphQLSchema) -> None:
    """Append each text input's bound to its description, so the SDL states it."""
    for definition in _text_inputs(schema):
        sentence = bound_sentence(definition)
        description = (definition.description or "").strip()
        if not description.endswith(sentence):
            definition.description = f"{description} {sentence}".strip()


class _FindUnsafe(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_args: object) -> VisitorAction:
        if UNSAFE_TEXT.search(node.value):
            self.found = node
            return self.BREAK
        return None


class _TooLong(Exception):
    def __init__(self, error: FieldError, node: ValueNode) -> None:
        self.error, self.node = error, node


class _TextSites(Visitor):
    """Where a document's arguments receive text, down through input objects and lists:
    each literal string, and each variable (with its default) a text value can arrive in.
    Collected once per document; each request measures them against its variables."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.defaults: dict[str, ValueNode] = {}
        self.sites: list[_Site] = []

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
        self.defaults = {
            d.variable.name.value: d.default_value
            for d in node.variable_definitions or ()
            if d.default_value is not None
        }

    def enter_argument(self, node: ArgumentNode, *_: object) -> VisitorAction:
        argument = self.type_info.get_argument()
        if argument is not None and not _metadata(argument).keys() & CHECKED_PER_ITEM.keys():
            self._literal(node.value, argument.type, argument, node.name.value, node.value)
        return self.SKIP

    def _literal(
        self,
        value: ValueNode,
        type_: Any,
        holder: Bounded,
        name: str,
        at: ValueNode,
        unless: str | None = None,
    ) -> None:
        """The sites of ``value``; ``unless``: those of a variable's default, measured
        only when the request does not give that variable."""
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(value, VariableNode):
            key = value.name.value
            self.sites.append(_Site(key, None, type_, holder, name, value, None))
            if key in self.defaults:
                self._literal(self.defaults[key], type_, holder, name, value, unless=key)
        elif isinstance(value, ListValueNode):
            item = type_.of_type if isinstance(type_, GraphQLList) else type_
            for node in value.values:
                self._literal(node, item, holder, name, node, unless)
        elif isinstance(value, ObjectValueNode) and isinstance(type_, GraphQLInputObjectType):
            for field in value.fields:
                definition = type_.fields.get(field.name.value)
                if definition is not None:
                    self._literal(
                        field.value,
                        definition.type,
                        definition,
                        field.name.value,
                        field.value,
                        unless,
                    )
        elif isinstance(value, StringValueNode) and _is_text(type_):
            self.sites.append(_Site(None, value.value, type_, holder, name, at, unless))


class _Site(NamedTuple):
    """A variable (``variable``, measured when the request gives it) or a literal
    (``text``; of a variable's default when ``unless`` names that variable, measured only
    when the request does not give it) that an argument or input field (``holder``,
    ``name``) receives."""

    variable: str | None
    text: str | None
    type_: Any
    holder: Bounded
    name: str
    at: ValueNode
    unless: str | None


def _measure_sites(sites: list[_Site], variables: Mapping[str, Any]) -> None:
    for site in sites:
        if site.variable is not None:
            if site.variable in variables:
                value = variables[site.variable]
                _measure_value(value, site.type_, site.holder, site.name, site.at)
        elif site.unless is None or site.unless not in variables:
            _measure(site.text or "", site.holder, site.name, site.at)


def _measure_value(value: Any, type_: Any, holder: Bounded, name: str, at: ValueNode) -> None:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(value, str) and _is_text(type_):
        _measure(value, holder, name, at)
    elif isinstance(value, list) and isinstance(type_, GraphQLList):
        for item in value:
            _measure_value(item, type_.of_type, holder, name, at)
    elif isinstance(value, dict) and isinstance(type_, GraphQLInputObjectType):
        for key, item in value.items():
            definition = type_.fields.get(key)
            if definition is not None:
                _measure_value(item, definition.type, definition, key, at)


def _measure(text: str, holder: Bounded, name: str, at: ValueNode) -> None:
    error = length_error(name, text, bound_of(holder))
    if error is not None:
        raise _TooLong(error, at)


class _Checked(NamedTuple):
    """What these checks need of a document: its first unsafe literal, its text sites."""

    unsafe: StringValueNode | None
    sites: list[_Site]


_checked: PerDocument[_Checked] = PerDocument(500)  # documents whose text sites are kept


def _checked_of(document: DocumentNode, schema: GraphQLSchema) -> _Checked:
    finder = _FindUnsafe()
    visit(document, finder)
    type_info = TypeInfo(schema)
    sites = _TextSites(type_info)
    visit(document, TypeInfoVisitor(type_info, sites))
    return _Checked(finder.found, sites.sites)


class SafeText(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            schema = context.schema._schema
            checked = _checked.get(document, lambda: _checked_of(document, schema))
            if checked.unsafe is not None:
                raise GraphQLError(
                    f"String values {UNSAFE_TEXT_MESSAGE}",
                    nodes=[checked.unsafe],
                    extensions={"code": "BAD_USER_INPUT"},
                )
            try:
                _measure_sites(checked.sites, context.variables or {})
            except _TooLong as exc:
                refusal = InvalidInput.of([exc.error])
                raise GraphQLError(
                    refusal.detail, nodes=[exc.node], extensions=refusal.extensions()
                ) from None
        yield
