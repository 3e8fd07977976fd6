"""Demo directory: every person and organisation the contracts' examples name, with those ids."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.people import Membership, Organisation, Person


@dataclass(frozen=True, slots=True)
class DemoLogin:
    person_id: str
    roles: tuple[str, ...]
    orgs: tuple[str, ...]
    what: str


# (id, name, directory roles, {org: role})
PEOPLE: tuple[tuple[str, str, tuple[str, ...], dict[str, str]], ...] = (
    ("admin_001", "Ada Admin", ("admin",), {}),
    ("user_007", "Kari Nordmann", ("coordinator",), {"org_03": "coordinator"}),
    ("user_042", "Ola Hansen", ("peer_mentor",), {"org_03": "peer_mentor"}),
    ("user_019", "Sigrid Berg", ("peer_mentor",), {"org_03": "peer_mentor"}),
    ("user_055", "Jonas Lie", ("peer_mentor",), {"org_03": "peer_mentor"}),
    ("user_088", "Bjørn Solberg", ("mentee",), {"org_03": "mentee"}),
    ("user_101", "Lars Eriksson", ("mentee",), {"org_03": "mentee"}),
    ("user_102", "Ingrid Halvorsen", ("mentee",), {"org_03": "mentee"}),
    ("mentor_a1b2c3", "Maja Johansen", ("peer_mentor",), {"org_03": "peer_mentor"}),
    ("contact_xyz123", "Per Olsen", ("mentee",), {"org_03": "mentee"}),
    ("contact_abc456", "Liv Svendsen", ("mentee",), {"org_03": "mentee"}),
    ("contact_def789", "Nils Bakken", ("mentee",), {"org_03": "mentee"}),
    ("contact_old001", "Anna Pettersen", ("mentee",), {"org_03": "mentee"}),
    ("mentor_4b8c21", "Emil Strand", ("peer_mentor",), {"org_03": "peer_mentor"}),
    ("mentor_001", "Hanna Dahl", ("peer_mentor",), {"org_03": "peer_mentor"}),
    ("user_201", "Tor Lund", ("coordinator",), {"org_05": "coordinator"}),
    ("user_202", "Eva Moen", ("peer_mentor",), {"org_05": "peer_mentor"}),
    ("editor_001", "Erik Redaktør", ("editor",), {}),
)

ORGANISATIONS = (
    ("org_03", "Oslo Peer Support", 10, 20),
    ("org_05", "Bergen Peer Support", 7, 14),
)

DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin_001", ("admin",), (), "admin: everything"),
    DemoLogin("user_007", ("coordinator",), ("org_03",), "coordinator of org_03"),
    DemoLogin("user_042", ("peer_mentor",), ("org_03",), "peer mentor (contract 000)"),
    DemoLogin("mentor_a1b2c3", ("peer_mentor",), ("org_03",), "peer mentor (contract 001)"),
    DemoLogin("mentor_4b8c21", ("peer_mentor",), ("org_03",), "peer mentor (contract 002)"),
    DemoLogin("mentor_001", ("peer_mentor",), ("org_03",), "peer mentor (contract 003)"),
    DemoLogin("editor_001", ("editor",), (), "editor (contract 004)"),
)

_FIRST = ("Astrid", "Magnus", "Ingrid", "Henrik", "Solveig", "Anders", "Marit", "Knut", "Ragnhild")
_LAST = ("Haugen", "Johnsen", "Kristiansen", "Larsen", "Pedersen", "Nilsen", "Jensen", "Berg")


def scaled_mentors(scale: int) -> list[str]:
    return [f"mentor_s{i:05d}" for i in range(scale * 20)]


def scaled_mentees(scale: int) -> list[str]:
    return [f"mentee_s{i:05d}" for i in range(scale * 60)]


async def seed(session: AsyncSession, scale: int) -> None:
    for org_id, name, reminder, escalation in ORGANISATIONS:
        session.add(
            Organisation(id=org_id, name=name, reminder_days=reminder, escalation_days=escalation)
        )
    memberships: list[Membership] = []
    for person_id, name, roles, orgs in PEOPLE:
        email = f"{person_id}@example.org"
        session.add(Person(id=person_id, name=name, email=email, roles=list(roles)))
        memberships += [Membership(person_id=person_id, org_id=o, role=r) for o, r in orgs.items()]
    rng = random.Random(42)  # noqa: S311 - demo names, not secrets
    extra = [(pid, "peer_mentor") for pid in scaled_mentors(scale)] + [
        (pid, "mentee") for pid in scaled_mentees(scale)
    ]
    for person_id, role in extra:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        session.add(Person(id=person_id, name=name, email=None, roles=[role]))
        memberships.append(Membership(person_id=person_id, org_id="org_03", role=role))
    await session.flush()  # people and organisations before the rows that refer to them
    session.add_all(memberships)
    await session.flush()
