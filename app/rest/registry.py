"""Every REST contract the shim serves, in the order their routes are matched."""

from __future__ import annotations

from app.rest import activities, editorial, mentoring, milestones, people
from app.rest.routing import Contract

CONTRACTS: tuple[Contract, ...] = (
    people.CONTRACT,
    editorial.CONTRACT,
    activities.CONTRACT,
    mentoring.CONTRACT,
    milestones.CONTRACT,
)
