"""GraphQL types and root fields of notification channels (admins manage them, a person
their own; admins, the organisation's coordinators and the person see them, never their
secrets)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from app.services.deliveries import ChannelRecord
from resolvers import deliveries as resolve
from resolvers.context import Info


@strawberry.enum(description="How a channel delivers notifications.")
class NotificationChannelKind(Enum):
    WEBHOOK = strawberry.enum_value("webhook", description="A signed JSON POST to a URL.")
    EMAIL = strawberry.enum_value("email", description="An email to an address (SMTP).")


@strawberry.type(description="Where notifications of an organisation or a person are sent.")
class NotificationChannel:
    channel_id: str = strawberry.field(description="The channel's id.")
    kind: NotificationChannelKind = strawberry.field(description="Webhook or email.")
    org_id: str | None = strawberry.field(
        description="The organisation whose assignments' notifications it receives."
    )
    person_id: str | None = strawberry.field(
        description="The person whose notifications it receives (they opted in)."
    )
    target: str = strawberry.field(description="The webhook URL or the email address.")
    has_secret: bool = strawberry.field(
        description="Whether it has a signing secret (the secret itself is never shown)."
    )
    enabled: bool = strawberry.field(description="Whether deliveries go through it.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it was last changed.")

    @classmethod
    def from_record(cls, row: ChannelRecord) -> NotificationChannel:
        return cls(
            channel_id=row.id,
            kind=NotificationChannelKind(row.kind),
            org_id=row.org_id,
            person_id=row.person_id,
            target=row.target,
            has_secret=row.has_secret,
            enabled=row.enabled,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.input(description="A new notification channel: of an organisation or a person.")
class CreateNotificationChannelInput:
    kind: NotificationChannelKind = strawberry.field(description="Webhook or email.")
    target: str = strawberry.field(description="The webhook URL or the email address.")
    org_id: str | None = strawberry.field(default=None, description="The organisation.")
    person_id: str | None = strawberry.field(default=None, description="Or the person.")
    secret: str | None = strawberry.field(
        default=None, description="A webhook's signing secret (16+ characters; write-only)."
    )
    enabled: bool = strawberry.field(default=True, description="Deliver through it.")


@strawberry.input(description="Changes to a channel; a null field keeps its value.")
class UpdateNotificationChannelInput:
    target: str | None = strawberry.field(default=None, description="A new URL or address.")
    secret: str | None = strawberry.field(
        default=None, description="A new signing secret (a rotation; write-only)."
    )
    enabled: bool | None = strawberry.field(default=None, description="Enable or disable.")


ChannelId = Annotated[str, strawberry.argument(description="The channel's id (`channelId`).")]


@strawberry.type
class DeliveryQuery:
    @strawberry.field(
        description="Notification channels: every one (admin), or those of the organisations "
        "the caller coordinates and the caller's own."
    )
    async def notification_channels(
        self,
        info: Info,
        org_id: Annotated[
            str | None, strawberry.argument(description="Only this organisation's.")
        ] = None,
    ) -> list[NotificationChannel]:
        rows = await resolve.channels(info.context, org_id)
        return [NotificationChannel.from_record(row) for row in rows]


@strawberry.type
class DeliveryMutation:
    @strawberry.mutation(
        description="Create a notification channel (admin; anyone for themselves: `personId` "
        "their own id, to opt in to deliveries)."
    )
    async def create_notification_channel(
        self,
        info: Info,
        input: Annotated[
            CreateNotificationChannelInput, strawberry.argument(description="The channel.")
        ],
    ) -> NotificationChannel:
        row = await resolve.create_channel(
            info.context,
            kind=str(input.kind.value),
            target=input.target,
            org_id=input.org_id,
            person_id=input.person_id,
            secret=input.secret,
            enabled=input.enabled,
        )
        return NotificationChannel.from_record(row)

    @strawberry.mutation(description="Change a notification channel (admin, or its person).")
    async def update_notification_channel(
        self,
        info: Info,
        channel_id: ChannelId,
        input: Annotated[
            UpdateNotificationChannelInput, strawberry.argument(description="The changes.")
        ],
    ) -> NotificationChannel:
        row = await resolve.update_channel(
            info.context,
            channel_id,
            target=input.target,
            secret=input.secret,
            enabled=input.enabled,
        )
        return NotificationChannel.from_record(row)

    @strawberry.mutation(
        description="Delete a notification channel (admin, or its person); its pending "
        "deliveries are dropped."
    )
    async def delete_notification_channel(
        self, info: Info, channel_id: ChannelId
    ) -> NotificationChannel:
        return NotificationChannel.from_record(
            await resolve.delete_channel(info.context, channel_id)
        )
