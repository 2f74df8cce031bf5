"""CLI: `limner policy check`, validate a profile file before deploying it."""

from __future__ import annotations

from pathlib import Path

import typer

from limner.components import ConfigError
from limner.policy.load import PolicyError, load_policy

policy_app = typer.Typer(help="Validate and inspect policy profiles.", no_args_is_help=True)


@policy_app.command("check")
def check(
    file: Path = typer.Argument(..., help="A policy profile YAML file."),
    plugins: bool = typer.Option(True, "--plugins/--no-plugins",
                                 help="Also check that every plugin named exists and fits its gate."),
) -> None:
    """Validate one profile: schema, inheritance, labels, plugin names and registry files."""
    try:
        policy = load_policy(file)
        if plugins:
            from limner.components import Components

            Components(policy)
    except (PolicyError, ConfigError) as exc:
        typer.echo(f"invalid\n{exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{file}: ok (profile {policy.name}, version {policy.version}, {len(policy.labels)} labels)")
