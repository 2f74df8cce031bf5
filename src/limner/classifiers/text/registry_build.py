"""Prompt gate, registry tooling: build `policies/registries/living_artists.csv` from the shared artist datasets.

Decides nothing at run time. Merges MoMA (CC0), Tate (CC0) and the UCE artist list (MIT; names only, no years)
with the hand-curated `artists_supplement.csv` (well-known artists missing from the museum lists or lacking years,
and indirect references such as "the director of The Grand Budapest Hotel"). Birth/death years come from the
supplement first, then MoMA, then Tate; a UCE name with no years anywhere stays with empty years, which the
classifier reads as "living status unknown" and treats as living (policy). Living status is not stored: it is
computed from the years and the current year when the classifier loads.

    .venv/bin/python -m limner.classifiers.text.registry_build --datasets ../shared/datasets
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from limner.classifiers.text.normalize import fold_unicode


def _key(name: str) -> str:
    return " ".join(fold_unicode(name).lower().replace(".", " ").split())


def build(datasets: Path, supplement: Path) -> list[dict[str, str]]:
    reg: dict[str, dict[str, str]] = {}

    def put(name: str, birth: str, death: str, source: str, aliases: str = "", override: bool = False) -> None:
        name = name.strip()
        if not name or name.lower() in ("unknown", "anonymous", "various"):
            return
        k = _key(name)
        cur = reg.get(k)
        if cur is None:
            reg[k] = {"name": name, "aliases": aliases, "birth_year": birth, "death_year": death, "sources": source}
            return
        cur["sources"] = ";".join(sorted(set(cur["sources"].split(";")) | {source}))
        if aliases:
            cur["aliases"] = "|".join(a for a in (cur["aliases"], aliases) if a)
        if override or (not cur["birth_year"] and not cur["death_year"]):
            cur["birth_year"], cur["death_year"] = birth or cur["birth_year"], death or cur["death_year"]

    with supplement.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            put(r["name"], r["birth_year"], r["death_year"], "supplement", r["aliases"], override=True)
    with (datasets / "moma_artists" / "artists.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            put(r["name"], r["birth_year"], r["death_year"], "moma")
    with (datasets / "tate_artists" / "artists.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            put(r["name_display"], r["birth_year"], r["death_year"], "tate")
    with (datasets / "uce_artists" / "artists_sd.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            put(r["artist"], "", "", "uce")
    return sorted(reg.values(), key=lambda r: r["name"].lower())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", default="../shared/datasets")
    ap.add_argument("--registries", default="policies/registries")
    a = ap.parse_args()
    reg_dir = Path(a.registries)
    rows = build(Path(a.datasets), reg_dir / "artists_supplement.csv")
    with (reg_dir / "living_artists.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["name", "aliases", "birth_year", "death_year", "sources"])
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} artists -> {reg_dir / 'living_artists.csv'}")


if __name__ == "__main__":
    main()
