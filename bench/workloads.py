"""The workloads: what a dashboard asks, as REST requests and as one GraphQL operation.

Each workload has the REST requests a legacy client sends (served by the baseline (a) and
the REST shim (b)) and one GraphQL operation (served by the baseline (a), the gateway (c)
and the gateway with DataLoaders off (d)); list100 also has the same question asked of
PostGraphile (the peer (e), PostgreSQL only). ``{item}`` rotates through ``items``;
``{n}`` is unique per request (inserts never collide).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

ORG = "org_03"  # the demo organisation every scaled mentor and mentee belongs to
PROFILE_MENTOR = "mentor_001"  # 202 activities, 13 milestones in the demo data
INSERT_MENTOR = "mentor_s00001"  # a scaled peer mentor of org_03
CONTACTS = 3  # latest contacts per assignment in the list and single workloads

_ASSIGNMENT_FIELDS = """legacyId status startDate lastContactAt daysSinceContact
      mentor { legacyId name } mentee { legacyId name }
      contacts(last: $contacts) { contactAt contactType }"""

LIST_QUERY = f"""query AssignmentList($first: Int!, $orgId: String!, $contacts: Int!) {{
  assignments(first: $first, orgId: $orgId) {{
    totalCount
    nodes {{ {_ASSIGNMENT_FIELDS} }}
  }}
}}"""

# The list for PostGraphile v4 (variant e): the names it derives from the tables and their
# foreign keys (assignments.mentor_id / mentee_id -> people, assignment_contacts.
# assignment_id -> assignments). The same rows as LIST_QUERY: the organisation's open,
# live assignments in the gateway's list order (created_at, id), the latest contacts
# first. daysSinceContact is computed by the gateway and has no column, so it is left out.
PEER_LIST_QUERY = """query AssignmentList($first: Int!, $orgId: String!, $contacts: Int!) {
  allAssignments(
    first: $first
    condition: { orgId: $orgId, status: "open", deletedAt: null }
    orderBy: [CREATED_AT_ASC, ID_ASC]
  ) {
    totalCount
    nodes {
      id status startedAt lastContactAt
      mentor: personByMentorId { id name }
      mentee: personByMenteeId { id name }
      contacts: assignmentContactsByAssignmentId(
        first: $contacts
        orderBy: [CONTACT_AT_DESC, ID_DESC]
      ) { nodes { contactAt contactType } }
    }
  }
}"""

SINGLE_QUERY = f"""query Assignment($id: String!, $contacts: Int!) {{
  assignment(id: $id) {{ {_ASSIGNMENT_FIELDS} }}
}}"""

PROFILE_QUERY = """query MentorProfile($id: String!, $first: Int!) {
  person(id: $id) { legacyId name email memberships { orgId role } }
  activities(peerMentorId: $id, first: $first) {
    totalCount
    nodes { legacyId date durationMinutes status activityType { name } }
  }
  milestones(mentorId: $id, first: $first) {
    totalCount
    nodes {
      legacyId name type status threshold currentValue achievedAt progressPercentage
      badgeImageUrl
    }
  }
}"""

RECORD_CONTACT = """mutation RecordContact($id: String!, $type: ContactType!) {
  recordContact(id: $id, contactType: $type) {
    legacyId version lastContactAt daysSinceContact
  }
}"""

LOG_ACTIVITY = """mutation LogActivity($input: LogActivityInput!) {
  logActivity(input: $input) {
    created
    activity { legacyId localId status version date durationMinutes }
  }
}"""

# How the gateway reads back what a write returned (the equality check of writes).
READ_CONTACTED = """query ReadBack($id: String!) {
  recordContact: assignment(id: $id) { legacyId version lastContactAt daysSinceContact }
}"""
READ_ACTIVITY = """query ReadBack($id: String!) {
  activity(id: $id) { legacyId localId status version date durationMinutes }
}"""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str | None = None

    def spec(self, token: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        if self.body is not None:
            headers["Content-Type"] = "application/json"
        return {"method": self.method, "path": self.path, "headers": headers, "body": self.body}


def graphql(query: str, name: str, variables: dict[str, Any]) -> Request:
    body = {"query": query, "operationName": name, "variables": variables}
    return Request("POST", "/graphql", orjson.dumps(body).decode())


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    rest: tuple[Request, ...]
    graphql: Request
    who: str = "coordinator"  # or "mentor"
    items: tuple[str, ...] = ()
    write: bool = False
    nested: bool = True  # has relations DataLoaders batch (else variant d is skipped)
    peer: Request | None = None  # the same question asked of PostGraphile (variant e)
    notes: list[str] = field(default_factory=list)


def workloads(open_ids: list[str], yesterday: str) -> list[Workload]:
    """``open_ids``: open assignments of ``ORG`` (single look-ups rotate through the first
    100; record-contact writes through all of them)."""

    def list_of(n: int, *, peer: bool = False) -> Workload:
        variables = {"first": n, "orgId": ORG, "contacts": CONTACTS}
        return Workload(
            f"list{n}",
            f"List of {n} assignments with mentor, mentee and last {CONTACTS} contacts",
            (Request("GET", f"/api/v1/assignments?org_id={ORG}&limit={n}"),),
            graphql(LIST_QUERY, "AssignmentList", variables),
            peer=graphql(PEER_LIST_QUERY, "AssignmentList", variables) if peer else None,
        )

    activity = (
        '{"local_id":"bench-{variant}-{n}","activity_type_id":"type_meeting",'
        f'"date":"{yesterday}","duration_minutes":60}}'
    )
    log_input = {
        "localId": "bench-{variant}-{n}",
        "activityTypeId": "type_meeting",
        "date": yesterday,
        "durationMinutes": 60,
    }
    return [
        list_of(20),
        list_of(100, peer=True),
        Workload(
            "profile",
            f"Mentor profile ({PROFILE_MENTOR}) with 20 activities and 20 milestones",
            (
                Request("GET", f"/api/v1/people/{PROFILE_MENTOR}"),
                Request("GET", f"/api/v1/activities?peer_mentor_id={PROFILE_MENTOR}&limit=20"),
                Request("GET", f"/api/v1/milestones?mentor_id={PROFILE_MENTOR}&limit=20"),
            ),
            graphql(PROFILE_QUERY, "MentorProfile", {"id": PROFILE_MENTOR, "first": 20}),
        ),
        Workload(
            "single",
            "One assignment by id (rotating over 100)",
            (Request("GET", "/api/v1/assignments/{item}"),),
            graphql(SINGLE_QUERY, "Assignment", {"id": "{item}", "contacts": CONTACTS}),
            items=tuple(open_ids[:100]),
        ),
        Workload(
            "contact",
            "Mutation: record a contact (rotating over every open assignment)",
            (Request("PUT", "/api/v1/assignments/{item}/last-contact", '{"contact_type":"call"}'),),
            graphql(RECORD_CONTACT, "RecordContact", {"id": "{item}", "type": "CALL"}),
            items=tuple(open_ids),
            write=True,
            nested=False,
        ),
        Workload(
            "insert",
            "Activity insert (idempotent on local_id, a new one each time)",
            (Request("POST", "/api/v1/activities", activity),),
            graphql(LOG_ACTIVITY, "LogActivity", {"input": log_input}),
            who="mentor",
            write=True,
            nested=False,
        ),
    ]
