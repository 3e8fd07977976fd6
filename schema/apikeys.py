"""GraphQL types and root fields for API keys (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.services.apikeys import ApiKeyRecord
from resolvers import apikeys as resolve
from resolvers.context import Info


@strawberry.type(description="A credential for a legacy service client (`X-API-Key` header).")
class ApiKey:
    key_id: str = strawberry.field(description="The key's id (the part before the dot).")
    name: str = strawberry.field(description="What the key is for.")
    person_id: str = strawberry.field(description="The directory person the key acts as.")
    role: str = strawberry.field(description="The one role the key holds.")
    orgs: list[str] = strawberry.field(description="Organisations the key is scoped to.")
    created_at: datetime = strawberry.field(description="When the key was created.")
    expires_at: datetime | None = strawberry.field(description="When the key stops working.")
    revoked_at: datetime | None = strawberry.field(description="When the key was revoked.")

    @classmethod
    def from_row(cls, row: ApiKeyRecord) -> ApiKey:
        return cls(
            key_id=row.id,
            name=row.name,
            person_id=row.person_id,
            role=row.role,
            orgs=list(row.orgs),
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="A new API key; the secret `key` is shown only this once.")
class IssuedApiKey:
    api_key: ApiKey = strawberry.field(description="The stored key.")
    key: str = strawberry.field(description="Send as `X-API-Key`; it cannot be shown again.")


@strawberry.input(description="A new API key.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="What the key is for.")
    person_id: str = strawberry.field(description="The directory person the key acts as.")
    role: str = strawberry.field(description="admin, coordinator, peer_mentor or editor.")
    orgs: list[str] = strawberry.field(
        default_factory=list, description="Organisations the key is scoped to."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the key stops working (null: never)."
    )


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(description="Every API key, revoked ones included (admin).")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        return [ApiKey.from_row(row) for row in await resolve.api_keys(info.context)]


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(description="Create an API key (admin); the answer holds the secret.")
    async def create_api_key(
        self,
        info: Info,
        input: Annotated[CreateApiKeyInput, strawberry.argument(description="The new key.")],
    ) -> IssuedApiKey:
        issued = await resolve.create_api_key(
            info.context,
            name=input.name,
            person_id=input.person_id,
            role=input.role,
            orgs=input.orgs,
            expires_at=input.expires_at,
        )
        return IssuedApiKey(api_key=ApiKey.from_row(issued.row), key=issued.key)

    @strawberry.mutation(description="Revoke an API key (admin); it stops working at once.")
    async def revoke_api_key(
        self,
        info: Info,
        key_id: Annotated[str, strawberry.argument(description="The key's id (`keyId`).")],
    ) -> ApiKey:
        return ApiKey.from_row(await resolve.revoke_api_key(info.context, key_id))
