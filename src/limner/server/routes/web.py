"""Server: the web app (playground for callers; review queue, audit log and accounts for operators).

Pages are rendered on the server with Jinja2 (autoescaped) and a little vanilla JS; there is no build step.
Operator pages need the admin token, sent as a Bearer header or exchanged at /admin/login for an HttpOnly,
SameSite=Strict session cookie; every operator form also carries a CSRF token. Decisions made here (upholding or
overturning a refusal, lifting a ban) are the operator's, recorded in the audit store.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from limner.server.auth import ADMIN_COOKIE, is_operator, via_cookie
from limner.server.errors import ApiError
from limner.server.state import ServerState, server_state
from limner.types import Tier, Verdict

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
templates = Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True))

router = APIRouter(include_in_schema=False)
MAX_FIELD_CHARS = 256


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    state = server_state(request)
    context.setdefault("operator", is_operator(request, state))
    context.setdefault("csrf", state.csrf_token())
    return templates.TemplateResponse(request, name, context, status_code=status)


async def operator_form(request: Request) -> dict[str, str]:
    """The fields of an operator's POST, after checking who sends it (and, with a cookie, the CSRF token)."""
    state = server_state(request)
    if state.admin_token is None:
        raise ApiError(503, "admin_disabled", "operator pages are off: set LIMNER_ADMIN_TOKEN")
    if not is_operator(request, state):
        raise ApiError(401, "operator_required", "log in at /admin/login with the admin token")
    form = await request.form(max_files=0, max_fields=16, max_part_size=4096)
    fields = {k: str(v)[:MAX_FIELD_CHARS] for k, v in form.items()}
    if via_cookie(request) and not hmac.compare_digest(fields.get("csrf", "").encode(), state.csrf_token().encode()):
        raise ApiError(403, "csrf_failed", "the form is stale: reload the page and try again")
    return fields


def operator_page(request: Request) -> Response | None:
    """None when the caller is an operator, else where to send them."""
    state = server_state(request)
    if state.admin_token is None:
        return render(request, "login.html", 503, error="Operator pages are off: set LIMNER_ADMIN_TOKEN.")
    if not is_operator(request, state):
        return RedirectResponse(f"/admin/login?next={quote(request.url.path)}", status_code=303)
    return None


def _flash(request: Request) -> str:
    return request.query_params.get("msg", "")[:200]


@router.get("/", response_class=HTMLResponse)
async def playground(request: Request) -> Response:
    state = server_state(request)
    return render(request, "playground.html", profiles=state.profiles,
                  default_profile=state.service.settings.default_profile, max_images=state.limits.max_images)


@router.get("/admin/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    return render(request, "login.html", error="", next=request.query_params.get("next", "/admin/review"))


@router.post("/admin/login")
async def login(request: Request) -> Response:
    state = server_state(request)
    # Guessing the token is rate limited per client address, like API keys.
    state.limiter.check(f"login:{request.client.host if request.client else '-'}")
    form = await request.form(max_files=0, max_fields=8, max_part_size=4096)
    token, target = str(form.get("token", "")), str(form.get("next", "/admin/review"))
    if not target.startswith("/admin/") or target.startswith("//"):
        target = "/admin/review"  # never redirect off-site after login
    session = state.admin_session()
    if state.admin_token is None or session is None:
        return render(request, "login.html", 503, error="Operator pages are off: set LIMNER_ADMIN_TOKEN.", next=target)
    if not hmac.compare_digest(token.encode(), state.admin_token.encode()):
        return render(request, "login.html", 401, error="That is not the admin token.", next=target)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(ADMIN_COOKIE, session, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


@router.post("/admin/logout")
async def logout(request: Request) -> Response:
    await operator_form(request)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/")
    return response


def _review_items(state: ServerState) -> list[Any]:
    return state.service.store.review_queue(limit=100)


@router.get("/admin/review", response_class=HTMLResponse)
async def review_page(request: Request) -> Response:
    if (redirect := operator_page(request)) is not None:
        return redirect
    state = server_state(request)
    return render(request, "review.html", items=await state.run(_review_items, state), flash=_flash(request))


@router.post("/admin/review/{request_id}")
async def review_decide(request: Request, request_id: str) -> Response:
    fields = await operator_form(request)
    status = {"uphold": "upheld", "overturn": "overturned"}.get(fields.get("decision", ""))
    if status is None:
        raise ApiError(400, "invalid_value", "decision must be 'uphold' or 'overturn'", "decision")
    state = server_state(request)
    try:
        await state.run(state.service.store.set_review, request_id, status)
    except KeyError:
        raise ApiError(404, "not_found", f"no request {request_id[:64]!r}") from None
    return RedirectResponse(f"/admin/review?msg={quote(f'{request_id} {status}')}", status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
async def audit_page(request: Request) -> Response:
    if (redirect := operator_page(request)) is not None:
        return redirect
    state = server_state(request)
    try:
        limit = min(max(int(request.query_params.get("limit", "50")), 1), 500)
    except ValueError:
        limit = 50
    blocked = request.query_params.get("blocked") == "1"
    records = await state.run(state.service.store.tail, limit, Verdict.BLOCK if blocked else None)
    return render(request, "audit.html", records=records, limit=limit, blocked=blocked)


@router.get("/admin/accounts", response_class=HTMLResponse)
async def accounts_page(request: Request) -> Response:
    if (redirect := operator_page(request)) is not None:
        return redirect
    state = server_state(request)
    accounts = await state.run(state.service.store.list_accounts, 200)
    return render(request, "accounts.html", accounts=accounts, tiers=[t.value for t in Tier], new_key="",
                  flash=_flash(request))


@router.post("/admin/accounts", response_class=HTMLResponse)
async def accounts_create(request: Request) -> Response:
    fields = await operator_form(request)
    state = server_state(request)
    account_id, tenant = fields.get("account_id", "").strip(), fields.get("tenant", "default").strip() or "default"
    if not account_id or len(account_id) > 128 or not account_id.isprintable():
        raise ApiError(400, "invalid_value", "account id must be 1 to 128 printable characters", "account_id")
    try:
        tier = Tier(fields.get("tier", ""))
    except ValueError:
        raise ApiError(400, "invalid_value", "tier must be adult, under18 or under13", "tier") from None
    store = state.service.store
    await state.run(lambda: store.upsert_account(account_id, tenant=tenant, tier=tier))
    key = await state.run(store.create_api_key, account_id, "web") if fields.get("issue_key") else ""
    accounts = await state.run(store.list_accounts, 200)
    return render(request, "accounts.html", accounts=accounts, tiers=[t.value for t in Tier], new_key=key,
                  flash=f"account {account_id} saved ({tier.value})")


@router.post("/admin/accounts/{account_id}/unban")
async def accounts_unban(request: Request, account_id: str) -> Response:
    await operator_form(request)
    state = server_state(request)
    try:
        await state.run(state.service.store.unban, account_id)
    except KeyError:
        raise ApiError(404, "not_found", f"no account {account_id[:64]!r}") from None
    return RedirectResponse(f"/admin/accounts?msg={quote(f'{account_id} unbanned')}", status_code=303)
