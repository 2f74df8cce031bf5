"""Server: what the routes share: the service, the limits, admission control and the worker threads.

One `ServerState` per application, held on `app.state.limner`; nothing is module-level, so two apps (tests) never
share a rate limiter or a queue.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request

from limner.server.config import ServerLimits
from limner.server.limits import GenerationSlots, TokenBucketLimiter
from limner.service import Service

T = TypeVar("T")


@dataclass
class ServerState:
    service: Service
    limits: ServerLimits
    limiter: TokenBucketLimiter
    slots: GenerationSlots
    executor: ThreadPoolExecutor
    profiles: tuple[str, ...]  # the profiles a caller may name in `profile`
    warm_errors: dict[str, str] = field(default_factory=dict)
    warmed: bool = False

    @classmethod
    def build(cls, service: Service, limits: ServerLimits, profiles: tuple[str, ...] | None = None) -> ServerState:
        return cls(
            service=service,
            limits=limits,
            limiter=TokenBucketLimiter(limits.rate_per_minute, limits.rate_burst),
            slots=GenerationSlots(limits.max_concurrency, limits.max_queue, limits.retry_after_s),
            # The core is synchronous: each generation runs on one of these threads, never on the event loop.
            executor=ThreadPoolExecutor(max_workers=max(1, limits.max_concurrency), thread_name_prefix="limner-gen"),
            profiles=tuple(sorted(service.profiles)) if profiles is None else profiles,
        )

    @property
    def admin_token(self) -> str | None:
        return self.service.settings.admin_token

    def admin_session(self) -> str | None:
        """The cookie value of a logged-in operator: derived from the token, so the token itself is not stored."""
        token = self.admin_token
        return None if token is None else hmac.new(token.encode(), b"limner-admin-session", hashlib.sha256).hexdigest()

    def csrf_token(self) -> str:
        token = self.admin_token or ""
        return hmac.new(token.encode(), b"limner-admin-csrf", hashlib.sha256).hexdigest()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, *args)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.limner
    return state
