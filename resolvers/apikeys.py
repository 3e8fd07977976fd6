"""Resolvers for API keys (admin only)."""

from __future__ import annotations

from datetime import datetime

from app.services import apikeys as service
from app.services.apikeys import ApiKeyRecord
from resolvers.context import Context


async def api_keys(ctx: Context) -> list[ApiKeyRecord]:
    async with ctx.read() as session:
        return await service.list_keys(session, ctx.who)


async def create_api_key(
    ctx: Context,
    *,
    name: str,
    person_id: str,
    role: str,
    orgs: list[str],
    expires_at: datetime | None,
) -> service.IssuedKey:
    return await ctx.run(
        service.create_key,
        ctx.who,
        name=name,
        person_id=person_id,
        role=role,
        orgs=orgs,
        expires_at=expires_at,
    )


async def revoke_api_key(ctx: Context, key_id: str) -> ApiKeyRecord:
    return await ctx.run(service.revoke_key, ctx.who, key_id)
