"""The GraphQL walk of the parity suite, generated from the schema.

Every root query field (with its required arguments filled from the data set, or listed in
``SKIPPED_ROOTS`` with the reason), and below it every relation field of the object types
(``MAX_HOPS`` relations deep, connections through their ``nodes``), selecting at each
record ``__typename id legacyId`` and, for people, the private fields. A walk is one query
per root field; ``observe`` turns an answer into what the caller saw, record by record,
each with the path it was reached through (``assignments.nodes.mentee.memberships``) and the
relation field that produced it (``Assignment.mentee``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
    is_object_type,
)

from app.settings import Settings
from schema import build_schema
from tests.parity_world import ORG_A

SCHEMA = build_schema(Settings(_env_file=None))._schema
MAX_HOPS = 3  # relations below a root field's records
ROOT_PAGE, NESTED_PAGE, LAST = 50, 20, 20
NODE_TYPES = frozenset(
    name
    for name, kind in SCHEMA.type_map.items()
    if is_object_type(kind) and any(i.name == "Node" for i in kind.interfaces)
)
PRIVATE = ("email", "roles", "createdAt", "updatedAt", "memberships")
PERSON_FIELDS = "name email roles createdAt updatedAt memberships { orgId role }"

# Object types below a record that hold no record of their own: not walked.
LEAF_OBJECTS: dict[str, str] = {
    "PageInfo": "cursors only",
    "AssignmentContact": "contact history rows: no id, no relation (recordedById is a string)",
    "AssignmentStatusChange": "status history rows: no id, no relation",
    "PersonYearSummary": "totals, no record",
    "ApiKey": "not a Node, no relation (admin only)",
}

# Root query fields the walk does not start from, and why.
SKIPPED_ROOTS: dict[str, str] = {
    "node": "checked per record of the data set (the by-id direction), not walked",
    "nodes": "checked per caller with every record of the data set at once, not walked",
    "openAssignmentCount": "returns a count, no record",
    "apiKeys": "ApiKey is not a Node and has no relation; no REST route",
}


@dataclass(frozen=True, slots=True)
class Rec:
    """An argument filled with a record of the data set, by its record name."""

    name: str


# Required (and chosen) arguments of root fields: record names or GraphQL literals.
ROOT_ARGS: dict[str, dict[str, Rec | str]] = {
    "person": {"id": Rec("pa_mentor_a")},
    "organisation": {"id": Rec(ORG_A)},
    "activity": {"id": Rec("act_a1")},
    "assignment": {"id": Rec("asg_a1")},
    "milestone": {"id": Rec("ms_a_10")},
    "editorialAssignment": {"uuid": Rec("ed_1")},
    "editorialLock": {"uuid": Rec("lock_1")},
    "mentorActivityTotals": {
        "mentorId": Rec("pa_mentor_a"),
        "from": '"2000-01-01"',
        "to": '"2099-12-31"',
    },
    "mentorAssignments": {"mentorId": Rec("pa_mentor_a"), "active": "false"},
    "newMilestones": {"mentorId": Rec("pa_mentor_a")},
    "milestonesInProgress": {"mentorId": Rec("pa_mentor_a")},
    "activityTypes": {"includeInactive": "true"},
    "milestoneDefinitions": {"includeInactive": "true"},
    "assignments": {"status": "ALL"},
    "overdueAssignments": {"cutoff": '"2099-01-01"'},
}

# Relation fields walked once per value of an argument (an alias each).
VARIANTS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("Person", "assignments"): (
        ("role: MENTOR", "asMentor"),
        ("role: MENTEE", "asMentee"),
        ("role: COORDINATOR", "asCoordinator"),
    ),
}
NESTED_ARGS: dict[tuple[str, str], str] = {
    ("Organisation", "overdueAssignments"): 'cutoff: "2099-01-01"',
}


@dataclass(frozen=True, slots=True)
class Step:
    owner: str  # the type the field belongs to (``Query`` for a root)
    field: str
    key: str  # the response key (the alias, else the field name)
    args: str  # the argument list's text, without parentheses
    target: str  # the named type of what it reaches (a connection's node type)
    connection: bool

    @property
    def edge(self) -> str:
        return f"{self.owner}.{self.field}"

    @property
    def label(self) -> str:
        part = self.field if not self.args else f"{self.field}({self.args})"
        return f"{part}.nodes" if self.connection else part


@dataclass(frozen=True, slots=True)
class Tree:
    step: Step
    children: tuple[Tree, ...]


def _object(name: str) -> GraphQLObjectType:
    kind = SCHEMA.type_map[name]
    assert isinstance(kind, GraphQLObjectType), name
    return kind


def _reached(kind: GraphQLNamedType) -> tuple[str, bool] | None:
    """The type a field reaches and whether through a connection; None for scalars and
    leaf objects."""
    if not is_object_type(kind):
        return (kind.name, False) if kind.name == "Node" else None
    assert isinstance(kind, GraphQLObjectType)
    if kind.name.endswith("Connection") and "nodes" in kind.fields:
        return get_named_type(kind.fields["nodes"].type).name, True
    if kind.name in LEAF_OBJECTS:
        return None
    return kind.name, False


def _page_args(definition: GraphQLField) -> list[str]:
    args = []
    if "first" in definition.args:
        args.append(f"first: {NESTED_PAGE}")
    elif "last" in definition.args:  # a history (connections take first or last, not both)
        args.append(f"last: {LAST}")
    for name, arg in definition.args.items():
        if get_named_type(arg.type).name == "AssignmentStatusFilter":
            args.append(f"{name}: ALL")
    return args


def unfilled_required(owner: str, name: str, definition: GraphQLField) -> list[str]:
    """Required arguments without a default that the walk does not fill."""
    filled = ROOT_ARGS.get(name, {}) if owner == "Query" else {}
    return [
        a
        for a, arg in definition.args.items()
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is None and a not in filled
    ]


def _children(kind: str, hops: int) -> tuple[Tree, ...]:
    if hops >= MAX_HOPS or kind == "Node":
        return ()
    out: list[Tree] = []
    for name, definition in _object(kind).fields.items():
        reached = _reached(get_named_type(definition.type))
        if reached is None:
            continue
        assert not unfilled_required(kind, name, definition), (kind, name)
        target, connection = reached
        args = _page_args(definition)
        extra = NESTED_ARGS.get((kind, name))
        if extra:
            args.append(extra)
        for variant, alias in VARIANTS.get((kind, name), (("", name),)):
            text = ", ".join([variant, *args] if variant else args)
            step = Step(kind, name, alias, text, target, connection)
            out.append(Tree(step, _children(target, hops + 1)))
    return tuple(out)


def root_trees() -> dict[str, Tree]:
    """The walk of every root query field (``SKIPPED_ROOTS`` aside), argument templates in
    ``ROOT_ARGS``."""
    trees: dict[str, Tree] = {}
    assert SCHEMA.query_type is not None
    for name, definition in SCHEMA.query_type.fields.items():
        if name in SKIPPED_ROOTS:
            continue
        reached = _reached(get_named_type(definition.type))
        assert reached is not None, f"root field {name} reaches no record: list it in SKIPPED_ROOTS"
        target, connection = reached
        args = [f"first: {ROOT_PAGE}"] if "first" in definition.args else []
        step = Step("Query", name, name, ", ".join(args), target, connection)
        trees[name] = Tree(step, _children(target, 0))
    return trees


def _argument_text(root: str, step: Step, ids: Mapping[str, str]) -> str:
    args = [step.args] if step.args else []
    for name, value in ROOT_ARGS.get(root, {}).items():
        rendered = json.dumps(ids.get(value.name, value.name)) if isinstance(value, Rec) else value
        args.append(f"{name}: {rendered}")
    return f"({', '.join(args)})" if args else ""


def _selection(tree: Tree) -> str:
    kind = tree.step.target
    parts = ["__typename"]
    if kind in NODE_TYPES or kind == "Node":
        parts += ["id", "legacyId"]
    if kind == "Person":
        parts.append(PERSON_FIELDS)
    if kind == "Node":
        parts.append(f"... on Person {{ {PERSON_FIELDS} }}")
    for child in tree.children:
        parts.append(_field(child, f"({child.step.args})" if child.step.args else ""))
    return " ".join(parts)


def _field(tree: Tree, args: str) -> str:
    step = tree.step
    head = step.field if step.key == step.field else f"{step.key}: {step.field}"
    inner = _selection(tree)
    if step.connection:
        inner = f"nodes {{ {inner} }}"
    return f"{head}{args} {{ {inner} }}"


def query_of(tree: Tree, ids: Mapping[str, str]) -> str:
    return "{ " + _field(tree, _argument_text(tree.step.field, tree.step, ids)) + " }"


@dataclass(frozen=True, slots=True)
class Seen:
    """One record as GraphQL showed it: where (``path``, ``edge``) and what (``private``:
    the person fields that are private, as answered)."""

    path: str
    edge: str
    type: str
    legacy_id: str
    private: tuple[tuple[str, Any], ...]

    def value(self, name: str) -> Any:
        return dict(self.private)[name]


def observe(tree: Tree, data: Mapping[str, Any] | None) -> Iterator[Seen]:
    if data is None:
        return
    yield from _observe(tree, data, "")


def _observe(tree: Tree, parent: Mapping[str, Any], prefix: str) -> Iterator[Seen]:
    step = tree.step
    path = f"{prefix}.{step.label}" if prefix else step.label
    value = parent.get(step.key)
    if step.connection and value is not None:
        value = value["nodes"]
    items = value if isinstance(value, list) else [value]
    for item in items:
        if item is None:
            continue
        kind = item["__typename"]
        if "legacyId" in item:
            private = tuple((p, item.get(p)) for p in PRIVATE) if kind == "Person" else ()
            yield Seen(path, step.edge, kind, item["legacyId"], private)
        for child in tree.children:
            yield from _observe(child, item, path)


def edges(trees: Mapping[str, Tree]) -> list[str]:
    """Every relation field the walk goes through (``Owner.field``), roots included."""
    found: dict[str, None] = {}

    def visit(tree: Tree) -> None:
        if tree.step.target in NODE_TYPES or tree.step.target == "Node":
            found[tree.step.edge] = None
        for child in tree.children:
            visit(child)

    for tree in trees.values():
        visit(tree)
    return list(found)


def count_paths(trees: Mapping[str, Tree]) -> int:
    def count(tree: Tree) -> int:
        return 1 + sum(count(c) for c in tree.children)

    return sum(count(t) for t in trees.values())
