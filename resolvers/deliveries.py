"""Resolvers for notification channels (admins manage them; admins and the organisation's
coordinators see them) and the delivery details of a notification."""

from __future__ import annotations

from app.services import deliveries as service
from app.services import policy
from app.services.deliveries import ChannelRecord
from resolvers import mentoring as mentoring_resolve
from resolvers.context import Context


async def channels(ctx: Context, org_id: str | None) -> list[ChannelRecord]:
    async with ctx.read() as session:
        return await service.list_channels(session, ctx.who, org_id=org_id)


async def create_channel(
    ctx: Context,
    *,
    kind: str,
    target: str,
    org_id: str | None,
    person_id: str | None,
    secret: str | None,
    enabled: bool,
) -> ChannelRecord:
    return await ctx.run(
        service.create_channel,
        ctx.who,
        kind=kind,
        target=target,
        org_id=org_id,
        person_id=person_id,
        secret=secret,
        enabled=enabled,
    )


async def update_channel(
    ctx: Context,
    channel_id: str,
    *,
    target: str | None,
    secret: str | None,
    enabled: bool | None,
) -> ChannelRecord:
    return await ctx.run(
        service.update_channel, ctx.who, channel_id, target=target, secret=secret, enabled=enabled
    )


async def delete_channel(ctx: Context, channel_id: str) -> ChannelRecord:
    return await ctx.run(service.delete_channel, ctx.who, channel_id)


async def sees_delivery_details(ctx: Context, assignment_id: str) -> bool:
    """Whether the caller sees a notification's attempts and errors: admins, and the
    coordinators of its assignment's organisation."""
    who = ctx.who
    if who.is_admin:
        return True
    assignment = await mentoring_resolve.visible_assignment(ctx, assignment_id)
    return assignment is not None and policy.sees_delivery_details(who, assignment.org_id)
