"""Server: admission control before the pipeline (body size, per-key rate, bounded generation concurrency).

These refuse work the server cannot take on (429, 413) so that an abusive or busy caller never slows the gates of
everyone else; they make no safety decision of their own.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from limner.server.errors import ApiError

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]


class TokenBucketLimiter:
    """One token bucket per key, in memory: `burst` requests at once, refilled at `rate_per_minute`."""

    def __init__(self, rate_per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token; returns 0 when allowed, else the seconds until a token is available."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._remember(key, (tokens - 1.0, now))
                return 0.0
            self._remember(key, (tokens, now))
            return (1.0 - tokens) / self.rate if self.rate > 0 else math.inf

    def _remember(self, key: str, state: tuple[float, float]) -> None:
        # Bounded memory: a flood of distinct keys drops the oldest buckets (they refill to full anyway).
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._buckets.pop(next(iter(self._buckets)))
        self._buckets[key] = state

    def check(self, key: str) -> None:
        wait = self.take(key)
        if wait > 0:
            retry = max(1, math.ceil(wait)) if math.isfinite(wait) else 60
            raise ApiError(429, "rate_limit_exceeded", f"rate limit reached for this API key; retry in {retry} s",
                           headers={"Retry-After": str(retry)})


class GenerationSlots:
    """At most `concurrency` generations run; at most `queue` more wait. Beyond that: 429 with Retry-After."""

    def __init__(self, concurrency: int, queue: int, retry_after_s: int) -> None:
        self.concurrency = max(1, concurrency)
        self.queue = max(0, queue)
        self.retry_after_s = retry_after_s
        self._admitted = 0  # running + waiting
        self._semaphore: asyncio.Semaphore | None = None  # made on first use, inside the server's event loop

    @property
    def admitted(self) -> int:
        return self._admitted

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        if self._admitted >= self.concurrency + self.queue:
            raise ApiError(429, "server_busy", "the server is busy generating other images; retry shortly",
                           headers={"Retry-After": str(self.retry_after_s)})
        self._admitted += 1  # single event loop thread: no lock needed
        try:
            async with self._semaphore:
                yield
        finally:
            self._admitted -= 1


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses bodies over `max_bytes` with 413: by Content-Length up front, else while the body streams in."""

    def __init__(self, app: Callable[..., Any], max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await self._reject(send, ApiError(400, "invalid_content_length", "Content-Length is not a number"))
                return
            if declared > self.max_bytes:
                await self._reject(send, self._too_large())
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message: Message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(send, self._too_large())

    def _too_large(self) -> ApiError:
        return ApiError(413, "request_too_large", f"request body is larger than {self.max_bytes} bytes")

    @staticmethod
    async def _reject(send: Send, error: ApiError) -> None:
        response = error.response()
        await response({"type": "http"}, _empty_receive, send)  # type: ignore[arg-type]


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    # Pages load only their own script and style; generated images are shown as data: URLs.
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data: blob:; script-src 'self'; "
                                 b"style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeadersMiddleware:
    """Adds browser hardening headers to every response (the operator pages are the ones that need them)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
