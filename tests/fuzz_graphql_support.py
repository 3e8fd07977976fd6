"""Every GraphQL root field's success document, built from the introspected schema: the
arguments written per field (ids from the demo data or learnt from earlier answers), the
selection generated (every field without required arguments, two levels deep, with
``__typename`` on every object so answers can be learnt from).

Recipes run in order, so a mutation can use what an earlier one created: ``{Type}`` is the
first ``legacyId`` of that type in the most recent answer that had one (``{Type_uuid}``,
``{Type_srn}``, ``{Type_keyId}``, ``{Type_channelId}`` the same for those fields), ``{n}`` a number unique to the
run, ``{today}`` today's date. A recipe's setup documents run first (their answers are
learnt, their errors ignored): the record a mutation needs, made just before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import count
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)

from tests.fuzz_support import SEED

DEPTH = 2  # levels of objects below the root field in a generated selection
_LEARNT = ("legacyId", "uuid", "srn", "keyId", "channelId")

_PERSON = 'createPerson(input: {id: "fz_{n}", name: "Fuzz Person", roles: ["mentee"]})'
_ACTIVITY = (
    'logActivity(input: {localId: "fz-{n}", activityTypeId: "type_call", date: "{today}", '
    'durationMinutes: 30, peerMentorId: "user_042"})'
)
_MEMBER = 'addMembership(personId: "{Person}", orgId: "org_03", role: "mentee")'
_ASSIGNMENT_ARGS = 'input: {mentorId: "user_042", menteeId: "{Person}", orgId: "org_03"}'
_ASSIGNMENT = f"createAssignment({_ASSIGNMENT_ARGS})"
_NEW_ASSIGNMENT = (_PERSON, _MEMBER, _ASSIGNMENT)  # a new mentee: no open pair yet
_EDITORIAL = 'createEditorialAssignment(input: {title: "Fuzz title"})'
_LOCK = 'acquireEditorialLock(srn: "{EditorialAssignment_srn}")'
_CHANNEL_ARGS = 'input: {kind: EMAIL, target: "fuzz@example.org", orgId: "org_03"}'
_CHANNEL = f"createNotificationChannel({_CHANNEL_ARGS})"


@dataclass(frozen=True)
class Recipe:
    args: str = ""  # the argument list, without parentheses
    setup: tuple[str, ...] = ()  # root mutations to run first (as ``field(args)``)


# Every root field's recipe, in the order they run.
RECIPES: dict[str, Recipe] = {
    "Query.me": Recipe(),
    "Query.people": Recipe("first: 5"),
    "Query.person": Recipe('id: "user_042"'),
    "Query.organisations": Recipe("first: 5"),
    "Query.organisation": Recipe('id: "org_03"'),
    "Query.node": Recipe('id: "{Node}"'),
    "Query.nodes": Recipe('ids: ["{Node}"]'),
    "Query.editorialAssignments": Recipe("first: 5, orderBy: ID, direction: ASC"),
    "Query.editorialAssignment": Recipe('uuid: "{EditorialAssignment_uuid}"'),
    "Query.activityTypes": Recipe("includeInactive: true"),
    "Query.activities": Recipe("first: 5"),
    "Query.activity": Recipe('id: "{Activity}"'),
    "Query.mentorActivityTotals": Recipe('mentorId: "user_042", from: "2026-01-01", to: "{today}"'),
    "Query.assignments": Recipe("first: 5, status: ALL"),
    "Query.assignment": Recipe('id: "{Assignment}"'),
    "Query.overdueAssignments": Recipe("first: 5"),
    "Query.mentorAssignments": Recipe('mentorId: "user_042", active: true, first: 5'),
    "Query.openAssignmentCount": Recipe('mentorId: "user_042"'),
    "Query.notifications": Recipe("first: 5"),
    "Query.milestones": Recipe("first: 5"),
    "Query.milestone": Recipe('id: "{Milestone}"'),
    "Query.newMilestones": Recipe('mentorId: "mentor_001", year: 2025'),
    "Query.milestonesInProgress": Recipe('mentorId: "mentor_001"'),
    "Query.milestoneDefinitions": Recipe("includeInactive: true"),
    "Mutation.createPerson": Recipe('input: {id: "fz_{n}", name: "Fuzz", roles: ["mentee"]}'),
    "Mutation.updatePerson": Recipe('id: "{Person}", input: {name: "Fuzz Again"}', (_PERSON,)),
    "Mutation.deletePerson": Recipe('id: "{Person}"', (_PERSON,)),
    "Mutation.createOrganisation": Recipe('input: {id: "fzorg_{n}", name: "Fuzz Org"}'),
    "Mutation.updateOrganisation": Recipe(
        'id: "{Organisation}", input: {name: "Fuzz Org 2"}',
        ('createOrganisation(input: {id: "fzorg_{n}", name: "Fuzz Org"})',),
    ),
    "Mutation.addMembership": Recipe(
        'personId: "{Person}", orgId: "org_03", role: "mentee"', (_PERSON,)
    ),
    "Mutation.removeMembership": Recipe(
        'personId: "{Person}", orgId: "org_03"',
        (_PERSON, 'addMembership(personId: "{Person}", orgId: "org_03", role: "mentee")'),
    ),
    "Query.apiKeys": Recipe(),
    "Mutation.createApiKey": Recipe(
        'input: {name: "fuzz", personId: "user_042", role: "peer_mentor", orgs: ["org_03"]}'
    ),
    "Mutation.revokeApiKey": Recipe(
        'keyId: "{ApiKey_keyId}"',
        (
            'createApiKey(input: {name: "fuzz", personId: "user_042", role: "peer_mentor", '
            'orgs: ["org_03"]})',
        ),
    ),
    "Query.notificationChannels": Recipe('orgId: "org_03"'),
    "Mutation.createNotificationChannel": Recipe(_CHANNEL_ARGS),
    "Mutation.updateNotificationChannel": Recipe(
        'channelId: "{NotificationChannel_channelId}", input: {enabled: false}', (_CHANNEL,)
    ),
    "Mutation.deleteNotificationChannel": Recipe(
        'channelId: "{NotificationChannel_channelId}"', (_CHANNEL,)
    ),
    "Mutation.createEditorialAssignment": Recipe('input: {title: "Fuzz title"}'),
    "Mutation.acquireEditorialLock": Recipe('srn: "{EditorialAssignment_srn}"', (_EDITORIAL,)),
    "Query.editorialLock": Recipe('uuid: "{EditorialLock_uuid}"', (_EDITORIAL, _LOCK)),
    "Mutation.renewEditorialLock": Recipe('uuid: "{EditorialLock_uuid}"', (_EDITORIAL, _LOCK)),
    "Mutation.releaseEditorialLock": Recipe('uuid: "{EditorialLock_uuid}"', (_EDITORIAL, _LOCK)),
    "Mutation.updateEditorialAssignment": Recipe(
        'uuid: "{EditorialAssignment_uuid}", input: {title: "Fuzz edit"}', (_EDITORIAL, _LOCK)
    ),
    "Mutation.deleteEditorialAssignment": Recipe(
        'uuid: "{EditorialAssignment_uuid}"', (_EDITORIAL, _LOCK)
    ),
    "Mutation.logActivity": Recipe(_ACTIVITY.removeprefix("logActivity(").removesuffix(")")),
    "Mutation.syncActivities": Recipe(
        'items: [{localId: "fz-{n}", activityTypeId: "type_call", date: "{today}", '
        'durationMinutes: 45, peerMentorId: "user_042"}]'
    ),
    "Mutation.updateActivity": Recipe('id: "{Activity}", input: {notes: "fuzz"}', (_ACTIVITY,)),
    "Mutation.confirmActivity": Recipe('id: "{Activity}"', (_ACTIVITY,)),
    "Mutation.rejectActivity": Recipe('id: "{Activity}", reason: "fuzz"', (_ACTIVITY,)),
    "Mutation.deleteActivity": Recipe('id: "{Activity}"', (_ACTIVITY,)),
    "Mutation.restoreActivity": Recipe(
        'id: "{Activity}"', (_ACTIVITY, 'deleteActivity(id: "{Activity}")')
    ),
    "Mutation.createActivityType": Recipe(
        'input: {id: "type_fz{n}", name: "Fuzz type", active: true}'
    ),
    "Mutation.updateActivityType": Recipe(
        'id: "{ActivityType}", input: {name: "Fuzz type 2"}',
        ('createActivityType(input: {id: "type_fz{n}", name: "Fuzz type", active: true})',),
    ),
    "Mutation.createAssignment": Recipe(_ASSIGNMENT_ARGS, (_PERSON, _MEMBER)),
    "Mutation.updateAssignment": Recipe(
        'id: "{Assignment}", input: {notes: "fuzz"}', _NEW_ASSIGNMENT
    ),
    "Mutation.recordContact": Recipe('id: "{Assignment}", contactType: CALL', _NEW_ASSIGNMENT),
    "Mutation.changeAssignmentStatus": Recipe(
        'id: "{Assignment}", status: CLOSED, reason: "fuzz"', _NEW_ASSIGNMENT
    ),
    "Mutation.deleteAssignment": Recipe('id: "{Assignment}"', _NEW_ASSIGNMENT),
    "Mutation.restoreAssignment": Recipe(
        'id: "{Assignment}"', (*_NEW_ASSIGNMENT, 'deleteAssignment(id: "{Assignment}")')
    ),
    "Mutation.runFollowUpSweep": Recipe(),
    "Mutation.detectMilestones": Recipe('input: {mentorId: "mentor_001", period: {year: 2025}}'),
    "Mutation.updateMilestone": Recipe('id: "{Milestone}", input: {achievedValue: 500.0}'),
    "Mutation.deleteMilestone": Recipe('id: "{Milestone}"'),
    "Mutation.restoreMilestone": Recipe(
        'id: "{Milestone}"',
        (
            'detectMilestones(input: {mentorId: "mentor_001", period: {year: 2025}})',
            'deleteMilestone(id: "{Milestone}")',
        ),
    ),
    "Mutation.createMilestoneDefinition": Recipe(
        'input: {type: HOURS_LOGGED, threshold: {n}, name: "Fuzz {n}", active: true}'
    ),
    "Mutation.updateMilestoneDefinition": Recipe(
        'id: "{MilestoneDefinition}", input: {name: "Fuzz again"}',
        (
            "createMilestoneDefinition(input: {type: HOURS_LOGGED, threshold: {n}, "
            'name: "Fuzz {n}", active: true})',
        ),
    ),
}


def selection(schema: GraphQLSchema, kind: GraphQLNamedType, depth: int = DEPTH) -> str:
    """Every field of ``kind`` without required arguments; objects ``depth`` levels down."""
    if is_leaf_type(kind):
        return ""
    parts = ["__typename"]
    if isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType)):
        for name, definition in kind.fields.items():
            part = _field(schema, name, definition, depth)
            if part:
                parts.append(part)
    if isinstance(kind, (GraphQLInterfaceType, GraphQLUnionType)) and depth > 0:
        # Per possible type, its leaves of one type across them all (fields of one name but
        # different nullability in two types would conflict in one document).
        possible = schema.get_possible_types(kind)
        types: dict[str, set[str]] = {}
        for concrete in possible:
            for name, definition in concrete.fields.items():
                types.setdefault(name, set()).add(str(definition.type))
        for concrete in possible:
            leaves = [
                name
                for name, definition in concrete.fields.items()
                if is_leaf_type(get_named_type(definition.type))
                and len(types[name]) == 1
                and not definition.args
            ]
            parts.append(f"... on {concrete.name} {{ __typename {' '.join(leaves)} }}")
    return "{ " + " ".join(parts) + " }"


def _field(schema: GraphQLSchema, name: str, definition: GraphQLField, depth: int) -> str:
    if any(
        isinstance(a.type, GraphQLNonNull) and a.default_value in (None, Undefined)
        for a in definition.args.values()
    ):
        return ""
    named = get_named_type(definition.type)
    if is_leaf_type(named):
        return name
    if depth == 0:
        return ""
    return f"{name} {selection(schema, named, depth - 1)}"


@dataclass
class Learnt:
    """Values learnt from answers, per ``Type`` / ``Type_field`` (newest answer first)."""

    values: dict[str, list[str]] = field(default_factory=dict)
    numbers: count[int] = field(default_factory=lambda: count(SEED % 10_000 * 100 + 1000))

    def learn(self, data: Any) -> None:
        found: dict[str, list[str]] = {}
        queue = [data]
        while queue:  # breadth first: a root field's own record comes before its relations
            value = queue.pop(0)
            if isinstance(value, list):
                queue.extend(value)
            elif isinstance(value, dict):
                kind = value.get("__typename")
                for key in _LEARNT:
                    if isinstance(kind, str) and isinstance(value.get(key), str):
                        name = kind if key == "legacyId" else f"{kind}_{key}"
                        found.setdefault(name, []).append(value[key])
                if (
                    isinstance(kind, str)
                    and isinstance(value.get("id"), str)
                    and "legacyId" in value
                ):
                    found.setdefault("Node", []).append(value["id"])
                queue.extend(v for v in value.values() if isinstance(v, (dict, list)))
        for name, values in found.items():
            self.values[name] = values + self.values.get(name, [])

    def fill(self, template: str) -> str:
        """``template`` with its placeholders replaced (a missing one stays, and the server
        then refuses the document, which the coverage test reports)."""
        text = template.replace("{n}", str(next(self.numbers)))
        text = text.replace("{today}", date.today().isoformat())
        for name, values in self.values.items():
            text = text.replace("{" + name + "}", values[0])
        return text


def document(schema: GraphQLSchema, root: str, field_call: str) -> str:
    """A one-field operation: ``field_call`` is ``name`` or ``name(args)`` on ``root``."""
    name = field_call.split("(", 1)[0]
    kind = schema.query_type if root == "Query" else schema.mutation_type
    assert kind is not None
    named = get_named_type(kind.fields[name].type)
    operation = "query" if root == "Query" else "mutation"
    depth = 1 if is_abstract_type(named) else DEPTH  # every possible type: stay shallow
    return f"{operation} {{ {field_call} {selection(schema, named, depth)} }}"
