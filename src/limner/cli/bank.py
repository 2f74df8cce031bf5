"""CLI, hash banks: add image hashes to a bank file, match images against one, rebuild the harmless demo bank.

Only hashes are written; the images themselves are never copied into a bank. Register with the lead's typer app as
`limner bank add`, `limner bank match` and `limner bank demo`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from limner.classifiers.hash.bank import BankEntry, BankMatch, HashBank
from limner.classifiers.hash.pdq import PdqHasher
from limner.classifiers.image.synthetic import encode, procedural_scene

DEMO_SEEDS = range(0, 32)
DEMO_PROVENANCE = (
    "Harmless demo bank for tests and the quick start. Each entry is the PDQ hash of "
    "limner.classifiers.image.synthetic.procedural_scene(seed, size=256) encoded as PNG, for the seeds 0-31 "
    "whose PDQ quality is at least 50 "
    "(flat-colour shapes drawn with Pillow). It contains no real abuse material and no image of any person; "
    "it only exercises the child-safety match -> report/ban path. Rebuild with `limner bank demo`."
)


def _load_or_new(bank: Path, bank_name: str | None, category: str) -> HashBank:
    if bank.exists():
        return HashBank.load(bank)
    return HashBank(bank_name or bank.stem, category)


def bank_add(
    bank: Annotated[Path, typer.Argument(help="bank file (.jsonl); created if missing")],
    images: Annotated[list[Path], typer.Argument(help="image files to hash")],
    category: Annotated[str, typer.Option(help="bank category for a new bank (child_safety -> csam/hash_match)")] = (
        "child_safety"
    ),
    source: Annotated[str, typer.Option(help="provenance recorded on each entry")] = "",
    action: Annotated[str, typer.Option(help="enforcement action recorded on each entry")] = "report_ban",
    bank_name: Annotated[str | None, typer.Option(help="bank name for a new bank (default: file stem)")] = None,
    min_quality: Annotated[int, typer.Option(help="skip images whose PDQ quality is below this")] = 50,
) -> list[BankEntry]:
    """Hash IMAGES with PDQ and append them to BANK. Low-quality (too flat) images are skipped and reported."""
    hb = _load_or_new(bank, bank_name, category)
    hasher = PdqHasher(min_quality=min_quality)
    added: list[BankEntry] = []
    known = {e.pdq for e in hb.entries}
    for path in images:
        h = hasher.hash(path.read_bytes())
        if not h:
            typer.echo(f"skipped {path.name}: PDQ quality below {min_quality}")
            continue
        if h in known:
            typer.echo(f"skipped {path.name}: already in bank")
            continue
        entry = BankEntry(
            id=f"{hb.name}-{hashlib.sha256(h.encode()).hexdigest()[:12]}",
            pdq=h,
            source=source or f"file {path.name}",
            category=hb.category,
            action=action,
        )
        hb.add(entry)
        known.add(h)
        added.append(entry)
        typer.echo(f"added {entry.id} {h}")
    hb.save(bank)
    return added


def bank_match(
    bank: Annotated[Path, typer.Argument(help="bank file (.jsonl)")],
    images: Annotated[list[Path], typer.Argument(help="image files to check")],
    max_distance: Annotated[int, typer.Option(help="largest Hamming distance (of 256 bits) that counts")] = 31,
    dihedral: Annotated[bool, typer.Option(help="also match rotations and mirrors")] = True,
) -> dict[str, list[BankMatch]]:
    """Match IMAGES against BANK and print every entry within MAX_DISTANCE bits."""
    hb = HashBank.load(bank, max_distance=max_distance)
    hasher = PdqHasher()
    out: dict[str, list[BankMatch]] = {}
    for path in images:
        data = path.read_bytes()
        hashes = hasher.hash_dihedral(data) if dihedral else tuple(h for h in (hasher.hash(data),) if h)
        matches = hb.match(hashes, max_distance) if hashes else []
        out[str(path)] = matches
        if not hashes:
            typer.echo(f"{path.name}: unhashable (low PDQ quality)")
        elif not matches:
            typer.echo(f"{path.name}: no match")
        for m in matches:
            typer.echo(f"{path.name}: {hb.name} {m.entry.id} distance {m.distance} ({m.variant}) {m.entry.action}")
    return out


def demo_bank() -> HashBank:
    hasher = PdqHasher()
    hb = HashBank("demo_child_safety", "child_safety", provenance=DEMO_PROVENANCE)
    for seed in DEMO_SEEDS:
        h = hasher.hash(encode(procedural_scene(seed)))
        if h:
            hb.add(
                BankEntry(
                    id=f"demo-{seed:04d}",
                    pdq=h,
                    source=f"procedural_scene(seed={seed}, size=256) PNG",
                    category="child_safety",
                    action="report_ban",
                    note="harmless procedural render; demo only",
                )
            )
    return hb


def bank_demo(
    out: Annotated[Path, typer.Argument(help="where to write the demo bank")] = Path(
        "policies/banks/demo_child_safety.jsonl"
    ),
) -> None:
    """Rebuild the harmless demo child-safety bank from procedural renders."""
    hb = demo_bank()
    hb.save(out)
    typer.echo(f"wrote {len(hb)} entries to {out}")


bank_app = typer.Typer(help="Hash banks: add, match, rebuild the demo bank.", no_args_is_help=True)
bank_app.command("add")(bank_add)
bank_app.command("match")(bank_match)
bank_app.command("demo")(bank_demo)
