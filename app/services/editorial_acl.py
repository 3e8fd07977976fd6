"""CEO ACL actions of the editorial domain: the one table of which role may do what.

Every editorial operation of both doors (REST ``/v3`` and GraphQL) names its CEO action and
calls ``require_action`` first. ``LOCKREQUEST break`` is the gateway's own action: deleting
(breaking) a lock somebody else holds.
"""

from __future__ import annotations

from enum import StrEnum

from app.auth import Principal, Role
from app.errors import Forbidden
from app.services.policy import require_principal


class Action(StrEnum):
    ASSIGNMENT_LIST = "ASSIGNMENT list"
    ASSIGNMENT_GET = "ASSIGNMENT get"
    ASSIGNMENT_CREATE = "ASSIGNMENT create"
    ASSIGNMENT_UPDATE = "ASSIGNMENT update"
    ASSIGNMENT_DELETE = "ASSIGNMENT delete"
    LOCKREQUEST_CREATE = "LOCKREQUEST create"
    LOCKREQUEST_GET = "LOCKREQUEST get"
    LOCKREQUEST_DELETE = "LOCKREQUEST delete"
    LOCKREQUEST_BREAK = "LOCKREQUEST break"


_CEO_ACTIONS = frozenset(Action) - {Action.LOCKREQUEST_BREAK}

# Role -> the actions it grants. Roles not listed grant nothing (403).
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.EDITOR: _CEO_ACTIONS,
}


def allowed(principal: Principal, action: Action) -> bool:
    return any(action in ROLE_ACTIONS.get(role, frozenset()) for role in principal.roles)


def require_action(principal: Principal | None, action: Action) -> Principal:
    """The caller, if one of their roles grants ``action``; 401 / 403 otherwise."""
    who = require_principal(principal)
    if not allowed(who, action):
        raise Forbidden(f"This operation needs the ACL action '{action.value}'")
    return who
