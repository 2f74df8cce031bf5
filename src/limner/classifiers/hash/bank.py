"""Hash stage, bank matching: is this image (or a rotation/mirror of it) a near-duplicate of a hash-bank entry.

Decides nothing; emits `csam/hash_match` (bank category is child safety: the enforcement layer reports and bans on
it) or `hash_match` (any other bank), 1.0 on a match within `max_distance` bits, else 0.0. The rationale names the
bank, the entry id, the distance and the dihedral variant, so the audit row says exactly what matched.

Bank files are JSON Lines: an optional first line `{"bank": {"name", "category", "provenance"}}`, then one entry per
line `{"id", "pdq", "source", "category", "action", "note"}` (`pdq` is 64 hex characters). Banks are data, never
images: limner stores no image a bank was built from, and the banks shipped with it are built from harmless
procedural renders only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

from limner.classifiers.hash.index import HashIndex
from limner.classifiers.hash.pdq import DIHEDRAL_NAMES, HASH_HEX_LEN, PdqHasher
from limner.classifiers.image.synthetic import encode, procedural_scene
from limner.types import Image, Modality, Sample, Score

CHILD_SAFETY_CATEGORIES = frozenset({"child_safety", "csam", "sexual_minors"})


@dataclass(frozen=True)
class BankEntry:
    id: str
    pdq: str
    source: str = ""  # where the hash came from (hash-sharing programme, case id, or how a demo image was made)
    category: str = ""
    action: str = ""  # what enforcement should do on a match, e.g. "report_ban" or "block"
    note: str = ""

    def __post_init__(self) -> None:
        if len(self.pdq) != HASH_HEX_LEN or any(c not in "0123456789abcdef" for c in self.pdq):
            raise ValueError(f"bank entry {self.id!r}: pdq must be 64 lowercase hex characters")


@dataclass(frozen=True)
class BankMatch:
    entry: BankEntry
    distance: int
    variant: str  # which dihedral transform of the query matched ("original", "rotate90", ...)


@dataclass
class HashBank:
    """An in-memory bank: entries plus an exact `HashIndex` over their PDQ hashes."""

    name: str
    category: str
    entries: list[BankEntry] = field(default_factory=list)
    provenance: str = ""
    max_distance: int = 31

    def __post_init__(self) -> None:
        self._index = HashIndex([e.pdq for e in self.entries], max_distance=self.max_distance)

    @classmethod
    def load(cls, path: Path, max_distance: int = 31) -> HashBank:
        name, category, provenance = Path(path).stem, "", ""
        entries: list[BankEntry] = []
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                row = json.loads(line)
                if "bank" in row:
                    meta = row["bank"]
                    name = meta.get("name", name)
                    category = meta.get("category", category)
                    provenance = meta.get("provenance", provenance)
                    continue
                try:
                    entries.append(BankEntry(**row))
                except TypeError as exc:
                    raise ValueError(f"{path}:{lineno}: bad bank entry: {exc}") from exc
        return cls(name, category, entries, provenance, max_distance)

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            meta = {"name": self.name, "category": self.category, "provenance": self.provenance}
            fh.write(json.dumps({"bank": meta}, sort_keys=True) + "\n")
            for e in self.entries:
                fh.write(json.dumps(asdict(e), sort_keys=True) + "\n")

    def add(self, entry: BankEntry) -> None:
        self.entries.append(entry)
        self._index.add([entry.pdq])

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, hashes: tuple[str, ...], max_distance: int | None = None) -> list[BankMatch]:
        """Matches for the query hashes (one per dihedral variant, in `DIHEDRAL_NAMES` order), nearest first."""
        best: dict[int, BankMatch] = {}
        for variant, h in zip(DIHEDRAL_NAMES, hashes, strict=False):
            for hit in self._index.query(h, max_distance):
                old = best.get(hit.position)
                if old is None or hit.distance < old.distance:
                    best[hit.position] = BankMatch(self.entries[hit.position], hit.distance, variant)
        return sorted(best.values(), key=lambda m: (m.distance, m.entry.id))


class HashBankClassifier:
    """PDQ match of an image (and its 8 rotations/mirrors) against one hash bank file."""

    name: ClassVar[str] = "hash_bank"
    modality: ClassVar[Modality] = Modality.IMAGE
    labels: ClassVar[tuple[str, ...]] = ("csam/hash_match", "hash_match")

    def __init__(
        self,
        bank_path: str | Path,
        bank_name: str | None = None,
        category: str | None = None,
        max_distance: int = 31,
        min_quality: int = 50,
        check_dihedral: bool = True,
    ) -> None:
        self.bank_path = Path(bank_path)
        self.max_distance = max_distance
        self.check_dihedral = check_dihedral
        self.hasher = PdqHasher(min_quality=min_quality)
        self._bank: HashBank | None = None
        self._name_override = bank_name
        self._category_override = category

    @property
    def bank(self) -> HashBank:
        if self._bank is None:
            bank = HashBank.load(self.bank_path, self.max_distance)
            bank.name = self._name_override or bank.name
            bank.category = self._category_override or bank.category
            self._bank = bank
        return self._bank

    def warm(self) -> None:
        _ = self.bank

    @property
    def label(self) -> str:
        return "csam/hash_match" if self.bank.category in CHILD_SAFETY_CATEGORIES else "hash_match"

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        if sample.image is None or not sample.image.data:
            return ()
        data = sample.image.data
        hashes = self.hasher.hash_dihedral(data) if self.check_dihedral else (self.hasher.hash(data),)
        hashes = tuple(h for h in hashes if h)
        if not hashes:
            # Why 0.0 and not nothing: the audit row should show the bank was consulted and why it could not match.
            return (Score(self.label, 0.0, f"bank {self.bank.name}: image too flat to hash (PDQ quality low)"),)
        matches = self.bank.match(hashes, self.max_distance)
        if not matches:
            return (Score(self.label, 0.0, f"bank {self.bank.name}: no entry within {self.max_distance} bits"),)
        m = matches[0]
        return (
            Score(
                self.label,
                1.0,
                f"bank {self.bank.name} entry {m.entry.id} distance {m.distance} ({m.variant}); "
                f"action {m.entry.action or 'per policy'}; {len(matches)} entr{'y' if len(matches) == 1 else 'ies'}",
            ),
        )

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        """Expectations hold for the shipped demo bank (policies/banks/demo_child_safety.jsonl)."""
        return [
            (Sample(image=Image(encode(procedural_scene(0))), is_upload=True), frozenset({"csam/hash_match"})),
            (Sample(image=Image(encode(procedural_scene(100))), is_upload=True), frozenset()),
        ]
