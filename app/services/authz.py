"""Authorization rules shared by every domain. One place answers "who may do this"."""

from __future__ import annotations

from collections.abc import Iterable

from app.auth import Principal, Role
from app.errors import Forbidden, NotFound, Unauthenticated


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


def coordinates(principal: Principal, org_id: str | None) -> bool:
    """True when the principal is a coordinator of ``org_id``."""
    return org_id is not None and principal.has(Role.COORDINATOR) and org_id in principal.orgs


def visible_orgs(principal: Principal) -> frozenset[str] | None:
    """Organisations whose records a coordinator may see; ``None`` means all (admin)."""
    if principal.is_admin:
        return None
    if principal.has(Role.COORDINATOR):
        return principal.orgs
    return frozenset()


def hide_unless(allowed: bool, what: str, key: str) -> None:
    """Answer as if the record does not exist when the caller may not see it."""
    if not allowed:
        raise NotFound(f"{what} {key!r} not found")


def shares_org(principal: Principal, org_ids: Iterable[str]) -> bool:
    return not principal.orgs.isdisjoint(org_ids)
