"""CLI: `limner verify IMAGE...`, report each image's C2PA state, watermark payload and registry matches.

Decides nothing; prints the measurements of `ProvenanceService.verify` as a rich table, or JSON with `--json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine

from limner.provenance.service import ProvenanceService, VerifyReport, build_provenance_service


def verify(
    images: Annotated[list[Path], typer.Argument(help="Image files (PNG, JPEG, WebP).", exists=True, dir_okay=False)],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    profile: Annotated[
        str | None, typer.Option(help="Policy profile whose provenance settings (keys, certificates) to use.")
    ] = None,
    db_url: Annotated[
        str | None, typer.Option(help="Another deployment's database (default: this deployment's, LIMNER_DB_URL).")
    ] = None,
    trust_anchor: Annotated[
        Path | None, typer.Option(help="PEM of CA(s) trusted for C2PA (with --db-url; default: the dev CA).")
    ] = None,
    cert_dir: Annotated[Path | None, typer.Option(help="Dev cert dir (with --db-url).")] = None,
    watermark_key: Annotated[str, typer.Option(help="Watermark key (with --db-url).")] = "limner-dev-watermark-key",
) -> None:
    """Did this deployment make these images? C2PA manifest, invisible watermark and output-registry matches."""
    if db_url is not None:
        svc = build_provenance_service(
            create_engine(db_url), watermark_key=watermark_key, trust_anchor=trust_anchor, dev_cert_dir=cert_dir
        )
    else:
        from limner.cli.common import open_service

        stamper = open_service().pipeline(profile).components.provenance()
        if not isinstance(stamper, ProvenanceService):
            typer.echo("provenance is disabled in this profile (provenance.enabled: false)", err=True)
            raise typer.Exit(2)
        svc = stamper
    verify_with(svc, images, json_output)


def verify_with(service: ProvenanceService, images: list[Path], json_output: bool = False) -> None:
    """The command body, for callers that already hold a configured service (the lead's settings-based wiring)."""
    reports = {str(path): service.verify(path.read_bytes()) for path in images}
    if json_output:
        typer.echo(json.dumps({name: r.to_dict() for name, r in reports.items()}, indent=2))
        return
    render_table(reports, Console())


def render_table(reports: dict[str, VerifyReport], console: Console) -> None:
    table = Table(title="limner provenance")
    for column in ("image", "C2PA", "watermark", "registry", "made here"):
        table.add_column(column)
    for name, report in reports.items():
        d = report.to_dict()
        c2pa = d["c2pa"]["state"] + (f"\n{d['c2pa']['signer']}" if d["c2pa"]["signer"] else "")
        if d["c2pa"]["failures"]:
            c2pa += "\n" + ", ".join(d["c2pa"]["failures"])
        wm = d["watermark"]
        mark = (
            f"found {wm['payload']}\ndeployment {wm['deployment_id']} gen {wm['generation_id']}\n"
            f"confidence {wm['confidence']:.6f}"
            if wm["found"]
            else "not found"
        )
        reg = d["registry"]
        if not reg["checked"]:
            registry = "not configured"
        elif not reg["matches"]:
            registry = "no match"
        else:
            registry = "\n".join(
                f"audit {m['audit_id']} ({m['key']}"
                + (f", {m['distance']} bits" if m["distance"] is not None else "")
                + f") {m['created_at'][:19]}"
                for m in reg["matches"]
            )
        table.add_row(name, c2pa, mark, registry, "yes" if d["from_this_deployment"] else "no")
    console.print(table)
