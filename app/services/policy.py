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
from enum import StrEnum

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


@dataclass(frozen=True, slots=True)
class ListedPeople:
    """Whom a list of people shows: the members of ``org_ids`` (``None``: everyone), or
    only the person ``only``."""

    org_ids: frozenset[str] | None = None
    only: str | None = None


def listed_people(principal: Principal) -> ListedPeople:
    """Whom the caller's lists of people show (``people``, an organisation's ``people``,
    ``/api/v1/people``): the people of ``full_people_scope``, counted by organisation:
    admins everyone, coordinators the members of their organisations, anyone else only
    themselves."""
    scope = full_people_scope(principal)
    if scope.everyone:
        return ListedPeople()
    if principal.has(Role.COORDINATOR):
        return ListedPeople(org_ids=scope.org_ids)
    return ListedPeople(only=principal.person_id)


def changes_person(principal: Principal, person_id: str, *, roles: bool) -> bool:
    """May the caller change a person they see? Admins; a person their own name and email
    (not their ``roles``)."""
    return principal.is_admin or (principal.person_id == person_id and not roles)


def hears_person_event(principal: Principal, person_id: str) -> bool:
    """Does a directory change of ``person_id`` reach the caller's subscription? Admins
    hear every change; anyone else the changes of themselves."""
    return principal.is_admin or person_id == principal.person_id


def sees_organisation(principal: Principal, org_id: str) -> bool:
    """May the caller open an organisation (``organisation(id)``, ``node``, REST)? Admins
    every one; anyone else the organisations of their token."""
    return principal.is_admin or org_id in principal.orgs


def listed_organisations(principal: Principal) -> frozenset[str] | None:
    """``sees_organisation`` as a list's scope: ``None`` means every organisation."""
    return None if principal.is_admin else principal.orgs


def changes_organisation(principal: Principal, org_id: str, *, renames: bool) -> bool:
    """May the caller change an organisation they see? Admins; its coordinators its
    follow-up thresholds (not its name)."""
    return principal.is_admin or (not renames and coordinates(principal, org_id))


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
    ``org_id`` (or place one there)? Admins and the organisation's coordinators; an
    assignment of no organisation (``None``), admins only."""
    return principal.is_admin or coordinates(principal, org_id)


def manages_channel(principal: Principal, person_id: str | None) -> bool:
    """May the caller create, change or delete a notification channel (``person_id``:
    the person it delivers to; None for an organisation's)? Admins any; anyone a channel
    of their own (they opt in to deliveries to themselves)."""
    return principal.is_admin or (person_id is not None and person_id == principal.person_id)


def sees_delivery_details(principal: Principal, org_id: str | None) -> bool:
    """May the caller see how a notification of an assignment of ``org_id`` is being
    delivered (attempts, errors, dead letters)? Those who manage its assignments."""
    return manages_assignment(principal, org_id)


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


def logs_activities_for(principal: Principal, mentor_id: str, mentor_orgs: Iterable[str]) -> bool:
    """May the caller log (or sync) activities for the mentor? Themselves, admins, and the
    coordinators of one of the mentor's organisations."""
    if principal.is_admin or principal.person_id == mentor_id:
        return True
    return coordinates_mentor(principal, mentor_orgs)


@dataclass(frozen=True, slots=True)
class ActivityScope:
    """Whose activities a caller may list: the activities of ``mentor_ids`` and of the
    members of ``org_ids``; ``None`` on both sides means every mentor's (admins)."""

    mentor_ids: frozenset[str] | None
    org_ids: frozenset[str] | None


def activity_scope(principal: Principal) -> ActivityScope:
    """The activities lists (REST, GraphQL roots and hubs) show admins every activity,
    coordinators their own and their organisations' mentors', anyone else their own:
    ``sees_mentor_records`` for a whole list."""
    if principal.is_admin:
        return ActivityScope(mentor_ids=None, org_ids=None)
    mentors = frozenset({principal.person_id})
    if principal.has(Role.COORDINATOR):
        return ActivityScope(mentor_ids=mentors, org_ids=principal.orgs)
    return ActivityScope(mentor_ids=mentors, org_ids=None)


def hears_activity_event(
    principal: Principal, mentor_id: str | None, org_ids: Iterable[str]
) -> bool:
    """Does an activity event reach the caller? Those who see the mentor's records, with
    the mentor's organisations ``org_ids`` as they were when the event happened."""
    if principal.is_admin or principal.person_id == mentor_id:
        return True
    return coordinates_mentor(principal, org_ids)


# --- milestones ----------------------------------------------------------------------------
# Predicates of the milestones domain follow.
# Seeing a mentor's milestones is ``sees_mentor_records``; detecting, correcting and
# deleting them ``grades_mentor``; restoring a deleted record and changing the catalogue
# need the admin role (``require_role``); every signed-in caller reads the catalogue.


@dataclass(frozen=True, slots=True)
class MilestoneScope:
    """Whose milestones a caller's lists show: ``org_ids`` limits them to the members of
    those organisations and ``only_mentor`` to one mentor's (``None``: no limit)."""

    org_ids: frozenset[str] | None = None
    only_mentor: str | None = None


def milestone_scope(principal: Principal) -> MilestoneScope:
    """Admins list every mentor's milestones, coordinators those of their organisations'
    members, anyone else (a peer mentor) their own."""
    if principal.is_admin:
        return MilestoneScope()
    if principal.has(Role.COORDINATOR):
        return MilestoneScope(org_ids=principal.orgs)
    return MilestoneScope(only_mentor=principal.person_id)


def hears_milestone_event(principal: Principal, mentor_id: str, org_ids: Iterable[str]) -> bool:
    """May a subscriber hear a ``milestoneAchieved`` event? The rule that shows the
    milestone (``sees_mentor_records``), with the mentor's organisations the event carries
    (those at the time it was raised)."""
    return sees_mentor_records(principal, mentor_id, org_ids)


# --- editorial -----------------------------------------------------------------------------
# Predicates of the editorial domain follow.


class EditorialAction(StrEnum):
    """CEO ACL actions. ``LOCKREQUEST break`` is the gateway's own: deleting (breaking) a
    lock somebody else holds."""

    ASSIGNMENT_LIST = "ASSIGNMENT list"
    ASSIGNMENT_GET = "ASSIGNMENT get"
    ASSIGNMENT_CREATE = "ASSIGNMENT create"
    ASSIGNMENT_UPDATE = "ASSIGNMENT update"
    ASSIGNMENT_DELETE = "ASSIGNMENT delete"
    LOCKREQUEST_CREATE = "LOCKREQUEST create"
    LOCKREQUEST_GET = "LOCKREQUEST get"
    LOCKREQUEST_DELETE = "LOCKREQUEST delete"
    LOCKREQUEST_BREAK = "LOCKREQUEST break"


_CEO_ACTIONS = frozenset(EditorialAction) - {EditorialAction.LOCKREQUEST_BREAK}

EDITORIAL_ROLE_ACTIONS: dict[Role, frozenset[EditorialAction]] = {
    Role.ADMIN: frozenset(EditorialAction),
    Role.EDITOR: _CEO_ACTIONS,
}
"""The one table of which role may do what in the editorial domain; a role not listed
grants nothing (403)."""


def grants_editorial_action(principal: Principal, action: EditorialAction) -> bool:
    """Does one of the caller's roles grant the CEO ACL ``action``?"""
    return any(action in EDITORIAL_ROLE_ACTIONS.get(role, frozenset()) for role in principal.roles)


def require_editorial_action(principal: Principal | None, action: EditorialAction) -> Principal:
    """The caller, if one of their roles grants ``action``; 401 / 403 otherwise. Every
    editorial operation of both doors asks this first."""
    who = require_principal(principal)
    if not grants_editorial_action(who, action):
        raise Forbidden(f"This operation needs the ACL action '{action.value}'")
    return who


def sees_editorial_assignments(principal: Principal) -> bool:
    """May the caller see editorial assignments and all an assignment shows (its issue,
    content items, users, creator and lock)? Whoever may get or list them: CEO has no
    per-item visibility."""
    get, list_ = EditorialAction.ASSIGNMENT_GET, EditorialAction.ASSIGNMENT_LIST
    return grants_editorial_action(principal, get) or grants_editorial_action(principal, list_)


def lists_editorial_assignments(principal: Principal) -> bool:
    """May the caller list editorial assignments (a person's hub list too)?"""
    return grants_editorial_action(principal, EditorialAction.ASSIGNMENT_LIST)


def sees_editorial_locks(principal: Principal) -> bool:
    """May the caller see locks on their own (a lock request by uuid, the locks a person
    holds) and the lock changes announced to subscribers?"""
    return grants_editorial_action(principal, EditorialAction.LOCKREQUEST_GET)


def sees_editorial_users(principal: Principal) -> bool:
    """May the caller see the editorial users (CEO identities of directory people) that
    assignments and locks name? Whoever sees either."""
    return sees_editorial_assignments(principal) or sees_editorial_locks(principal)


def breaks_editorial_locks(principal: Principal) -> bool:
    """May the caller release a lock somebody else holds (``LOCKREQUEST break``)?"""
    return grants_editorial_action(principal, EditorialAction.LOCKREQUEST_BREAK)
