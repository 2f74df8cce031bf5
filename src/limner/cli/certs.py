"""CLI: `limner certs init`, create the development CA and C2PA signing certificate so a fresh install signs.

Decides nothing; writes key material into the user's data dir (never the repo). For production, configure a
certificate from a CA on the C2PA trust list instead (docs/provenance.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from limner.provenance.certs import create_dev_certs, default_cert_dir


def certs_init(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to write the certs (default: the user's data dir).")
    ] = None,
    organisation: Annotated[str, typer.Option(help="Organisation name in the certificates.")] = "limner development",
    validity_days: Annotated[int, typer.Option(help="Validity of the CA and the signing leaf.")] = 365 * 30,
    force: Annotated[bool, typer.Option("--force", help="Replace existing certs.")] = False,
) -> None:
    """Create a development CA and an ES256 C2PA signing certificate."""
    target = directory or default_cert_dir()
    existed = (target / "signer-chain.pem").exists() and not force
    paths = create_dev_certs(target, organisation=organisation, validity_days=validity_days, overwrite=force)
    verb = "kept existing" if existed else "wrote"
    typer.echo(f"{verb} signing chain {paths.chain}")
    typer.echo(f"{verb} signing key   {paths.key} (mode 600)")
    typer.echo(f"{verb} trust anchor  {paths.ca} (pass to verifiers to read manifests as Trusted)")
