"""CLI: `limner accounts`, create accounts (with their age tier), issue API keys, lift bans."""

from __future__ import annotations

import typer

from limner.cli.common import console, open_service
from limner.types import Tier

accounts_app = typer.Typer(help="Accounts, age tiers and API keys.", no_args_is_help=True)


@accounts_app.command("create")
def create(
    account_id: str = typer.Argument(...),
    tier: Tier = typer.Option(Tier.ADULT, "--tier", help="Age tier; under13 accounts are refused on every request."),
    tenant: str = typer.Option("default", "--tenant"),
    key: bool = typer.Option(True, "--key/--no-key", help="Also issue an API key (printed once)."),
) -> None:
    """Create or update an account; the tier set here is the only place a tier comes from."""
    if tier == Tier.UNDER13:
        console.print("[yellow]under13 accounts are refused on every request (policy: tiers.under13)[/yellow]")
    store = open_service().store
    store.upsert_account(account_id, tenant=tenant, tier=tier)
    typer.echo(f"account {account_id} ({tier}, tenant {tenant})")
    if key:
        typer.echo(store.create_api_key(account_id))


@accounts_app.command("unban")
def unban(account_id: str = typer.Argument(...)) -> None:
    """Lift a ban after review."""
    try:
        open_service().store.unban(account_id)
    except KeyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    typer.echo(f"account {account_id} unbanned")
