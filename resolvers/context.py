"""The per-request GraphQL context: who is asking, the database, loaders and events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info as StrawberryInfo

from app.auth import Principal, TokenService
from app.db import Database
from app.errors import Unauthenticated
from app.events import Event, EventBroker
from app.pagination import PageRequest, graphql_page
from app.services.event_log import EventLog, event_id
from app.services.work import Unit, Work
from app.settings import Settings
from resolvers.loaders import Loaders

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Context:
    settings: Settings
    db: Database
    tokens: TokenService
    events: EventBroker
    work: Work
    # Subscriptions read change events through it (``app/services/event_log.py``).
    event_log: EventLog
    principal: Principal | None = None
    auth_error: Unauthenticated | None = None
    request: Any = None
    response: Any = None
    connection_params: dict[str, object] | None = None
    # Subscriptions: the event id a transport resumes after (SSE ``Last-Event-ID``), when
    # the operation gives no ``after``; and the id of the event last yielded, which a
    # transport may send with it (SSE ``id:``).
    resume_after: str | None = None
    last_event_id: str | None = None
    # Run without the document's plan (schema/plans.py): differential tests only.
    reference_executor: bool = False
    loaders: Loaders = field(init=False)
    # The list identity of each connection field of the operation (``schema.base.paging``).
    list_ids: dict[int, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.loaders = Loaders(
            self.db, lambda: self.who, batching=self.settings.dataloader_batching
        )

    @property
    def who(self) -> Principal:
        """The caller; UNAUTHENTICATED when no (or a bad) token came with the request."""
        if self.principal is None:
            raise self.auth_error or Unauthenticated()
        return self.principal

    @property
    def maybe_who(self) -> Principal | None:
        if self.auth_error is not None:
            raise self.auth_error
        return self.principal

    def page(
        self,
        first: int | None,
        after: str | None,
        last: int | None = None,
        before: str | None = None,
        *,
        list_id: str = "",
    ) -> PageRequest:
        """The page a connection's arguments ask for (``list_id``: the list its cursors
        belong to)."""
        return graphql_page(
            first, after, last, before, max_limit=self.settings.max_page_size, list_id=list_id
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.db.read() as session:
            yield session

    @asynccontextmanager
    async def changes(
        self, topics: Sequence[str], after: str | None
    ) -> AsyncIterator[AsyncIterator[Event]]:
        """A subscription's events: after the event id ``after`` (or the transport's
        ``resume_after``) first, from the event log, then live ones; each event's id is
        ``last_event_id`` while it is being resolved."""
        async with self.event_log.subscribe(topics, after or self.resume_after) as events:

            async def noted() -> AsyncIterator[Event]:
                async for event in events:
                    self.last_event_id = event_id(event)
                    yield event

            yield noted()

    async def run(
        self,
        use_case: Callable[Concatenate[Unit, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """A write use case in its unit of work (``app/services/work.py``); what the
        loaders cached before it is forgotten."""
        try:
            return await self.work.run(use_case, *args, **kwargs)
        finally:
            self.loaders.clear()

    async def write_with(
        self,
        writer: Callable[P, Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``writer(*args, **kwargs)``, a service function that runs its own units of work
        (``ctx.work`` among its arguments); what the loaders cached before it is
        forgotten."""
        try:
            return await writer(*args, **kwargs)
        finally:
            self.loaders.clear()


Info = StrawberryInfo[Context, None]
