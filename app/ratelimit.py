"""Rate limits per client IP, per principal, and for failed authentications (brute force).

Counting uses the ``limits`` library (moving windows): in process by default, in Redis when
``GATEWAY_REDIS_URL`` is set so every worker shares the counts. A refused request gets 429
problem+json with ``Retry-After``. Health probes are never limited.

Failed authentications are counted where credentials are checked (``app.auth``, every door:
REST, GraphQL over HTTP, WebSocket ``connection_init``, the metrics token), and only
failures are refused once an address has spent its budget: valid credentials from the same
address (other people behind one NAT) still pass.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth import TokenService, bearer_token
from app.errors import RateLimited, Unauthenticated
from app.metrics import RATE_LIMITED
from app.requestid import current_request_id
from app.rest.http import problem_response
from app.settings import Settings

log = logging.getLogger("gateway.ratelimit")
_OPEN_PATHS = frozenset({"/healthz", "/readyz"})


class RateLimiter:
    def __init__(self, settings: Settings, tokens: TokenService) -> None:
        self._pool: ConnectionPool | None = None
        storage: Storage = MemoryStorage()
        if settings.redis_url:
            self._pool = ConnectionPool.from_url(settings.redis_url)
            storage = RedisStorage(
                "async+" + settings.redis_url.removeprefix("async+"),
                implementation="redispy",
                key_prefix=settings.redis_key_prefix,
                connection_pool=self._pool,  # type: ignore[arg-type]  # passed through to redis
            )
        self._limiter = MovingWindowRateLimiter(storage)
        self._tokens = tokens
        self.per_ip: RateLimitItem = parse(settings.rate_limit_per_ip)
        self.per_principal: RateLimitItem = parse(settings.rate_limit_per_principal)
        self.auth_failures: RateLimitItem = parse(settings.rate_limit_auth_failures)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    def _subject(self, headers: Headers) -> str | None:
        """Who the request claims to be (signature checked, no database look-up)."""
        api_key = headers.get("x-api-key")
        if api_key:
            return "key:" + api_key.split(".", 1)[0][:64]
        try:
            token = bearer_token(headers.get("authorization"))
            return None if token is None else "sub:" + self._tokens.decode(token).person_id
        except Unauthenticated:
            return None

    async def _retry_after(self, item: RateLimitItem, *keys: str) -> int:
        stats = await self._limiter.get_window_stats(item, *keys)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def check(self, scope: Scope) -> RateLimited | None:
        """Count the request; the refusal when it is over a limit."""
        ip, headers = client_ip(scope), Headers(scope=scope)
        if not await self._limiter.hit(self.per_ip, "ip", ip):
            return await self._refusal(scope, "ip", self.per_ip, "ip", ip)
        subject = self._subject(headers)
        if subject is not None and not await self._limiter.hit(self.per_principal, subject):
            return await self._refusal(scope, "principal", self.per_principal, subject)
        return None

    async def failed_authentication(self, scope: Scope) -> None:
        """Count a failed authentication of the client; raises ``RateLimited`` instead once
        the client's budget is spent (the caller then answers 429, not 401)."""
        ip = client_ip(scope)
        if not await self._limiter.hit(self.auth_failures, "authfail", ip):
            raise await self._refusal(scope, "auth_failures", self.auth_failures, "authfail", ip)

    async def _refusal(
        self, scope: Scope, limit: str, item: RateLimitItem, *keys: str
    ) -> RateLimited:
        wait = await self._retry_after(item, *keys)
        RATE_LIMITED.labels(limit).inc()
        log.warning(
            "rate limited limit=%s ip=%s path=%s request_id=%s",
            limit,
            client_ip(scope),
            scope.get("path"),
            current_request_id(),
        )
        return RateLimited(
            f"Too many requests; retry in {wait} seconds", headers={"Retry-After": str(wait)}
        )


def client_ip(scope: Scope) -> str:
    """The address limits count against (the proxy's client when proxy headers are trusted)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") in _OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        refused = await self.limiter.check(scope)
        if refused is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013, "reason": "rate limited"})
        else:
            await problem_response(refused, scope.get("path", ""), current_request_id())(
                scope, receive, send
            )
