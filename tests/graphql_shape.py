"""Does a GraphQL answer have the shape its document selected? Checked against the schema
the server introspects: every selected field present (under its alias) and nothing else,
non-null fields non-null (unless an error nulled them: then only the types are checked),
lists are lists, scalars and enums of the right type, and every error has
``extensions.code``."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    is_abstract_type,
    parse,
)

_SCALARS: dict[str, tuple[type, ...]] = {
    "Int": (int,),
    "Float": (int, float),
    "String": (str,),
    "ID": (str,),
    "Boolean": (bool,),
    "Date": (str,),
    "DateTime": (str,),
}

Selected = dict[str, tuple[GraphQLOutputType, list[SelectionSetNode], bool]]


class ShapeCheck:
    def __init__(self, schema: GraphQLSchema, document: str | DocumentNode, errors: bool):
        self.schema = schema
        self.document = parse(document) if isinstance(document, str) else document
        self.strict = not errors  # an error may null a non-null field (and its parents)
        self.fragments = {
            d.name.value: d
            for d in self.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.problems: list[str] = []

    def run(self, data: Any, operation_name: str | None = None) -> list[str]:
        operations = [
            d
            for d in self.document.definitions
            if isinstance(d, OperationDefinitionNode)
            and (operation_name is None or (d.name and d.name.value == operation_name))
        ]
        if not operations:
            return ["no operation in the document"]
        root = self.schema.get_root_type(operations[0].operation)
        assert root is not None
        self._object(data, root, [operations[0].selection_set], "data")
        return self.problems

    def _value(self, value: Any, kind: Any, selections: list[SelectionSetNode], at: str) -> None:
        if isinstance(kind, GraphQLNonNull):
            if value is None:
                if self.strict:
                    self.problems.append(f"{at}: null in a non-null field")
                return
            kind = kind.of_type
        if value is None:
            return
        if isinstance(kind, GraphQLList):
            if not isinstance(value, list):
                self.problems.append(f"{at}: {type(value).__name__} where a list is selected")
                return
            for i, item in enumerate(value):
                self._value(item, kind.of_type, selections, f"{at}[{i}]")
        elif isinstance(kind, GraphQLEnumType):
            if value not in kind.values:
                self.problems.append(f"{at}: {value!r} is not a {kind.name}")
        elif isinstance(kind, GraphQLScalarType):
            types = _SCALARS.get(kind.name)
            wrong = isinstance(value, bool) and bool not in (types or ())
            if types is not None and (wrong or not isinstance(value, types)):
                self.problems.append(f"{at}: {value!r} is not a {kind.name}")
        elif is_abstract_type(kind):
            self._abstract(value, kind, selections, at)
        else:
            self._object(value, kind, selections, at)

    def _abstract(self, value: Any, kind: Any, selections: list[SelectionSetNode], at: str) -> None:
        possible = self.schema.get_possible_types(kind)
        name = value.get("__typename") if isinstance(value, dict) else None
        if name is not None:
            concrete = next((t for t in possible if t.name == name), None)
            if concrete is None:
                self.problems.append(f"{at}: {name} is not a {kind.name}")
                return
            self._object(value, concrete, selections, at)
            return
        found = []
        for concrete in possible:  # no __typename selected: some possible type must fit
            trial = ShapeCheck(self.schema, self.document, not self.strict)
            trial._object(value, concrete, selections, at)
            if not trial.problems:
                return
            found.append(trial.problems[0])
        self.problems.append(f"{at}: fits no type of {kind.name} ({found[:3]})")

    def _object(
        self, value: Any, kind: GraphQLObjectType, selections: list[SelectionSetNode], at: str
    ) -> None:
        if not isinstance(value, dict):
            self.problems.append(f"{at}: {type(value).__name__} where an object is selected")
            return
        selected: Selected = {}
        for selection_set in selections:
            self._collect(kind, selection_set, False, selected)
        for key, (field_type, sub, optional) in selected.items():
            if key not in value:
                if not optional:
                    self.problems.append(f"{at}.{key}: selected but missing")
                continue
            self._value(value[key], field_type, sub, f"{at}.{key}")
        extra = sorted(set(value) - set(selected))
        if extra:
            self.problems.append(f"{at}: fields not selected: {extra}")

    def _collect(
        self,
        kind: GraphQLObjectType,
        selection_set: SelectionSetNode,
        optional: bool,
        into: Selected,
    ) -> None:
        for node in selection_set.selections:
            conditional = optional or bool(node.directives)  # @skip / @include
            if isinstance(node, FieldNode):
                name = node.name.value
                key = node.alias.value if node.alias else name
                if name == "__typename":
                    field_type: GraphQLOutputType = GraphQLNonNull(self.schema.type_map["String"])  # type: ignore[arg-type]
                else:
                    field_type = kind.fields[name].type
                _, sub, was_optional = into.get(key, (field_type, [], True))
                if node.selection_set is not None:
                    sub = [*sub, node.selection_set]
                into[key] = (field_type, sub, was_optional and conditional)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else None
                if condition is None or self._applies(condition, kind):
                    self._collect(kind, node.selection_set, conditional, into)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                if self._applies(fragment.type_condition.name.value, kind):
                    self._collect(kind, fragment.selection_set, conditional, into)

    def _applies(self, condition: str, kind: GraphQLObjectType) -> bool:
        if condition == kind.name:
            return True
        named = self.schema.get_type(condition)
        return is_abstract_type(named) and self.schema.is_sub_type(named, kind)


def shape_problems(
    schema: GraphQLSchema, document: str, body: Any, operation_name: str | None = None
) -> list[str]:
    """Everything wrong with ``body`` as the answer to ``document`` (empty when right)."""
    if not isinstance(body, dict):
        return [f"the answer is {type(body).__name__}, not an object"]
    errors = body.get("errors") or []
    problems = [f"error without extensions.code: {e}" for e in errors if not _code(e)]
    if "data" not in body or body["data"] is None:
        return problems if errors else [*problems, "no data and no errors"]
    return problems + ShapeCheck(schema, document, bool(errors)).run(body["data"], operation_name)


def _code(error: Any) -> Any:
    return isinstance(error, dict) and (error.get("extensions") or {}).get("code")
