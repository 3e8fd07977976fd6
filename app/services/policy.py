"""Every access predicate of the gateway, each once, named for the question it answers.

Both doors and every read path (REST handlers, GraphQL roots, relation fields, hubs,
``node(id)``, subscriptions' per-event checks) ask these functions, through the services'
read models, and nothing else decides who may see or change a record. The predicates are
pure: they take the caller and the facts about the record (its organisation, its mentor's
organisations ...), which the read model loads in its batch; none of them reads the
database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.auth import Principal, Role
from app.errors import Forbidden, NotFound, Unauthenticated

# --- the caller ----------------------------------------------------------------------------


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated()
    return principal


def require_role(principal: Principal | None, *roles: Role) -> Principal:
    """Authenticated and holding one of ``roles`` (admins hold every role)."""
    who = require_principal(principal)
    if who.is_admin or who.has(*roles):
        return who
    raise Forbidden("This operation needs one of the roles: " + ", ".join(r.value for r in roles))


def require_peer_support_role(principal: Principal | None) -> Principal:
    """The peer-support domains (assignments, activities, milestones) serve admins,
    coordinators and peer mentors; any other role (an editor) is refused with 403, on every
    operation, before any record is looked up."""
    return require_role(principal, Role.COORDINATOR, Role.PEER_MENTOR)


def hide_unless(allowed: bool, what: str, key: str) -> None:
    """Answer as if the record does not exist when the caller may not see it."""
    if not allowed:
        raise NotFound(f"{what} {key!r} not found")


# --- organisations -------------------------------------------------------------------------


def coordinates(principal: Principal, org_id: str | None) -> bool:
    """Is the caller a coordinator of ``org_id``?"""
    return org_id is not None and principal.has(Role.COORDINATOR) and org_id in principal.orgs


def shares_org(principal: Principal, org_ids: Iterable[str]) -> bool:
    """Is the caller a member of one of ``org_ids``?"""
    return not principal.orgs.isdisjoint(org_ids)


def visible_orgs(principal: Principal) -> frozenset[str] | None:
    """Organisations whose records a coordinator may see; ``None`` means all (admin)."""
    if principal.is_admin:
        return None
    if principal.has(Role.COORDINATOR):
        return principal.orgs
    return frozenset()


def coordinates_mentor(principal: Principal, mentor_orgs: Iterable[str]) -> bool:
    """Does the caller coordinate an organisation the mentor (whose organisations are
    ``mentor_orgs``) belongs to?"""
    return principal.has(Role.COORDINATOR) and shares_org(principal, mentor_orgs)


def sees_mentor_records(principal: Principal, mentor_id: str, mentor_orgs: Iterable[str]) -> bool:
    """May the caller see a mentor's own records (activities, milestones)? Admins, the
    mentor themselves, and coordinators of one of the mentor's organisations."""
    if principal.is_admin or principal.person_id == mentor_id:
        return True
    return coordinates_mentor(principal, mentor_orgs)


def grades_mentor(principal: Principal, mentor_id: str, mentor_orgs: Iterable[str]) -> bool:
    """May the caller decide on a mentor's records (confirm or reject activities, detect or
    correct milestones)? Admins, and the mentor's coordinators, except on their own records
    (nobody grades their own work)."""
    if principal.is_admin:
        return True
    return principal.person_id != mentor_id and coordinates_mentor(principal, mentor_orgs)


# --- people --------------------------------------------------------------------------------
# Predicates of the people domain follow.


@dataclass(frozen=True, slots=True)
class FullPeopleScope:
    """Whom a caller sees in full: everyone, or themselves and the members of ``org_ids``."""

    everyone: bool
    org_ids: frozenset[str]


def full_people_scope(principal: Principal) -> FullPeopleScope:
    """Who may open a person at their own route (and see their private fields through any
    relation): admins everyone; everybody themselves; coordinators the members of their
    organisations."""
    if principal.is_admin:
        return FullPeopleScope(everyone=True, org_ids=frozenset())
    orgs = principal.orgs if principal.has(Role.COORDINATOR) else frozenset()
    return FullPeopleScope(everyone=False, org_ids=orgs)


def sees_person_in_full(principal: Principal, person_id: str, person_orgs: Iterable[str]) -> bool:
    """``full_people_scope`` for one person whose organisations are known."""
    scope = full_people_scope(principal)
    return scope.everyone or person_id == principal.person_id or shares_org_of(scope, person_orgs)


def shares_org_of(scope: FullPeopleScope, org_ids: Iterable[str]) -> bool:
    return not scope.org_ids.isdisjoint(org_ids)


# --- mentoring -----------------------------------------------------------------------------
# Predicates of the mentoring domain follow.


@dataclass(frozen=True, slots=True)
class AssignmentScope:
    """Which assignments a caller sees: all, those of some organisations, and/or those
    they mentor (repositories translate it to SQL; ``covers`` is the same rule for one)."""

    everything: bool = False
    orgs: frozenset[str] = frozenset()
    mentor_id: str | None = None

    def covers(self, org_id: str | None, mentor_id: str) -> bool:
        if self.everything:
            return True
        if org_id is not None and org_id in self.orgs:
            return True
        return self.mentor_id is not None and mentor_id == self.mentor_id


def assignment_scope(principal: Principal) -> AssignmentScope:
    """Who sees which assignments (and their contacts, status changes and notifications):
    admins all; coordinators their organisations'; peer mentors their own."""
    if principal.is_admin:
        return AssignmentScope(everything=True)
    return AssignmentScope(
        orgs=principal.orgs if principal.has(Role.COORDINATOR) else frozenset(),
        mentor_id=principal.person_id if principal.has(Role.PEER_MENTOR) else None,
    )


def sees_assignment(principal: Principal, org_id: str | None, mentor_id: str) -> bool:
    """May the caller see the assignment of ``org_id`` mentored by ``mentor_id``?"""
    return assignment_scope(principal).covers(org_id, mentor_id)


def manages_assignment(principal: Principal, org_id: str | None) -> bool:
    """May the caller create, reassign, close or reopen, or delete an assignment of
    ``org_id``? Admins and the organisation's coordinators."""
    return principal.is_admin or coordinates(principal, org_id)


def hears_assignment_event(principal: Principal, payload: dict[str, object]) -> bool:
    """May the caller hear of a change to an assignment (``payload``: its ``org_id`` and
    ``mentor_id``, and before a reassignment ``previous_org_id``/``previous_mentor_id``, so
    those who lost sight of it still hear about it)? ``sees_assignment`` for either."""
    scope = assignment_scope(principal)
    orgs = {payload.get("org_id"), payload.get("previous_org_id")} - {None}
    mentors = {payload.get("mentor_id"), payload.get("previous_mentor_id")} - {None}
    if scope.everything or not scope.orgs.isdisjoint(orgs):
        return True
    return scope.mentor_id is not None and scope.mentor_id in mentors


# --- activities ----------------------------------------------------------------------------
# Predicates of the activities domain follow.


# --- milestones ----------------------------------------------------------------------------
# Predicates of the milestones domain follow.


# --- editorial -----------------------------------------------------------------------------
# Predicates of the editorial domain follow.
