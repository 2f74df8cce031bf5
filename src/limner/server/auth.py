"""Server: who is asking. An API key resolves to an account (and so to its age tier); the admin token to an operator.

The account comes from the account store only; nothing in a request body can name an account or a tier.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from limner.server.errors import ApiError
from limner.server.state import ServerState
from limner.types import Account

ADMIN_COOKIE = "limner_admin"
MAX_KEY_CHARS = 256


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(request: Request, state: ServerState) -> Account:
    """The caller's account from `Authorization: Bearer <key>`, after the per-key rate limit."""
    key = bearer(request)
    if key is None:
        raise ApiError(401, "missing_api_key", "send your API key as 'Authorization: Bearer <key>'")
    if len(key) > MAX_KEY_CHARS:
        raise ApiError(401, "invalid_api_key", "the API key is not valid")
    # Rate limited per key before the store lookup, so a flood of guesses costs the server little.
    state.limiter.check(hashlib.sha256(key.encode()).hexdigest())
    account = state.service.store.account_for_key(key)
    if account is None:
        raise ApiError(401, "invalid_api_key", "the API key is not valid")
    return account


def is_operator(request: Request, state: ServerState) -> bool:
    """An operator sends the admin token as a Bearer header or holds the session cookie set at login."""
    token = state.admin_token
    if token is None:
        return False
    key = bearer(request)
    if key is not None and hmac.compare_digest(key.encode(), token.encode()):
        return True
    cookie = request.cookies.get(ADMIN_COOKIE)
    session = state.admin_session()
    return cookie is not None and session is not None and hmac.compare_digest(cookie.encode(), session.encode())


def via_cookie(request: Request) -> bool:
    return bearer(request) is None
