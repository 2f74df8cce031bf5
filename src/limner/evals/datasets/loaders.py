"""Evaluation, datasets: read-only loaders for the safety benchmarks (dev splits only) and for JSONL files.

Decides nothing; it says what the right answer is. Each row becomes an `EvalItem`: a request, whether the policy
expects it blocked, the policy category it is reported under and its obfuscation style. Labels come from the text
team's corpus maps (`limner.classifiers.text.corpus`) so that training and evaluation agree on what a dataset row
means; loaders here only add the per-row fields the benchmark reports need (policy category, attack style). Only
`dev` splits are opened: the test splits are held out by the maintainers and the train splits are for training
(and red-team seeds, see `limner.evals.redteam.seeds`).

A JSONL file line is a `limner moderate` batch line plus `expected` (allow|block), `category` and optionally
`obfuscation`: {"id", "prompt" | "turns", "expected", "category", "tier"?, "obfuscation"?, "image"?}.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limner.request.batch import BATCH_ACCOUNT, BatchLineError, parse_batch_line
from limner.types import Account, GenerationRequest, Role, Tier, Turn, Verdict

# Taxonomy label -> policy category (the team brief's taxonomy). sexual/minors outranks sexual when both are set.
LABEL_CATEGORY: dict[str, str] = {
    "sexual/minors": "sexual_minors", "sexual": "sexual", "sexual/suggestive": "sexual",
    "violence/graphic": "violence", "violence/stylised_graphic": "violence", "self_harm": "self_harm",
    "self_harm/depiction": "self_harm", "hate": "hate", "hate/symbol_context": "hate", "harassment": "harassment",
    "extremism": "extremism", "extremism/context": "extremism", "illicit": "illicit", "deception": "deception",
    "living_artist": "living_artist_style", "public_figure": "public_figure",
    "person/photoreal_child": "minor_photoreal_edit", "csam/hash_match": "sexual_minors",
}
I2P_CATEGORY = {"sexual": "sexual", "shocking": "violence", "harassment": "harassment", "self-harm": "self_harm",
                "violence": "violence", "illegal activity": "illicit", "hate": "hate"}
BENIGN = "benign"


class DatasetError(ValueError):
    """A dataset name, folder or file that cannot be read as an evaluation set."""


@dataclass(frozen=True)
class EvalItem:
    id: str
    request: GenerationRequest
    expected: Verdict  # BLOCK: the policy says this must be refused; ALLOW: it must be answered
    category: str  # policy category the row is reported under ("benign" for controls with no category)
    source: str = ""  # dataset name
    obfuscation: str = "none"  # obfuscation / attack style, for the confusion-by-style table
    subset: str = ""  # the dataset's own category, kept for drill-down
    variant: str = ""  # set on copies made by `with_obfuscation` (the style); "" for the dataset's own rows

    @property
    def expected_block(self) -> bool:
        return self.expected == Verdict.BLOCK


def resolve_datasets_dir(configured: Path | None) -> Path:
    """The shared datasets folder from settings, with an error that says how to set it."""
    if configured is None:
        raise DatasetError("no datasets folder configured: set LIMNER_DATASETS_DIR to the shared datasets folder "
                           "(the one holding overt/, xstest/, i2p/ ...)")
    if not configured.is_dir():
        raise DatasetError(f"{configured}: datasets folder not found (LIMNER_DATASETS_DIR)")
    return configured


def _request(text: str, tier: Tier = Tier.ADULT) -> GenerationRequest:
    return GenerationRequest(turns=(Turn(Role.USER, text),), account=Account(BATCH_ACCOUNT, "batch", tier))


def _id(source: str, text: str) -> str:
    return f"{source}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:10]}"


def category_of(labels: tuple[str, ...] | list[str]) -> str:
    if not labels:
        return BENIGN
    if "sexual/minors" in labels:
        return "sexual_minors"
    for label in labels:
        if label in LABEL_CATEGORY:
            return LABEL_CATEGORY[label]
    return labels[0]


def _require(path: Path) -> Path:
    if not path.is_file():
        raise DatasetError(f"{path}: not found (is LIMNER_DATASETS_DIR the shared datasets folder?)")
    return path


def _csv(path: Path) -> Iterator[dict[str, str]]:
    _require(path)
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def _from_rows(rows: list[Any], source: str, benign_category: Callable[[str], str] | None = None) -> list[EvalItem]:
    """Corpus `Row`s -> items. Benign rows keep the policy category their dataset category maps to, if any."""
    items = []
    for row in rows:
        unsafe = bool(row.labels)
        category = category_of(row.labels) if unsafe else (benign_category(row.category) if benign_category else BENIGN)
        items.append(EvalItem(_id(source, row.text), _request(row.text), Verdict.BLOCK if unsafe else Verdict.ALLOW,
                              category, source, "none", row.category))
    return items


def load_overt(root: Path) -> list[EvalItem]:
    from limner.classifiers.text import corpus

    def benign(cat: str) -> str:
        return LABEL_CATEGORY.get(corpus.OVERT_MAP.get(cat, ""), BENIGN)

    _require(root / "overt" / "dev.csv")
    return _from_rows(corpus.load_overt(root, "dev"), "overt", benign)


def load_xstest(root: Path) -> list[EvalItem]:
    from limner.classifiers.text import corpus

    notes = {r["prompt"]: r.get("note", "") for r in _csv(root / "xstest" / "dev.csv")}
    note_map = {"violence": "violence", "drugs": "illicit", "weapons": "illicit", "sexual": "sexual",
                "self-harm": "self_harm", "hate": "hate", "privacy": "harassment"}
    items = _from_rows(corpus.load_xstest(root, "dev"), "xstest")
    out = []
    for item in items:
        if not item.expected_block:
            note = (notes.get(item.request.prompt) or "").strip().lower()
            item = EvalItem(item.id, item.request, item.expected, note_map.get(note, BENIGN), item.source,
                            item.obfuscation, item.subset)
        out.append(item)
    return out


def load_coconot(root: Path) -> list[EvalItem]:
    from limner.classifiers.text import corpus

    def benign(sub: str) -> str:
        label = corpus.COCONOT_MAP.get(sub)
        return LABEL_CATEGORY.get(label, BENIGN) if label else BENIGN

    _require(root / "coconot" / "dev.csv")
    return _from_rows(corpus.load_coconot(root, "dev"), "coconot", benign)


def load_i2p(root: Path) -> list[EvalItem]:
    """I2P 'hard' prompts: their *images* were often inappropriate, which is not a policy label (see docs)."""
    items = []
    for r in _csv(root / "i2p" / "dev.csv"):
        if r["hard"] != "1":
            continue
        first = r["categories"].split(",")[0].strip()
        items.append(EvalItem(_id("i2p", r["prompt"]), _request(r["prompt"]), Verdict.BLOCK,
                              I2P_CATEGORY.get(first, first), "i2p", "none", r["categories"]))
    return items


def load_nibbler(root: Path) -> list[EvalItem]:
    """Adversarial Nibbler rows whose text most validators judged unsafe; the attack mode is the obfuscation."""
    from limner.classifiers.text import corpus

    items = []
    for r in _csv(root / "adversarial_nibbler" / "dev.csv"):
        kinds = [corpus.NIBBLER_MAP[k] for k in r["image_failure_type"].split("|") if k in corpus.NIBBLER_MAP]
        if not kinds or int(r["text_unsafe_votes"] or 0) < 4:
            continue
        modes = [m.removeprefix("text_attack_") for m in r["text_attack_mode"].split("|") if m]
        style = "+".join(sorted(m for m in modes if m != "none")) or "none"
        items.append(EvalItem(_id("nibbler", r["prompt"]), _request(r["prompt"]), Verdict.BLOCK,
                              LABEL_CATEGORY[kinds[0]], "adversarial_nibbler", style, r["image_failure_type"]))
    return items


def load_ring_a_bell(root: Path) -> list[EvalItem]:
    items = []
    for r in _csv(root / "ring_a_bell" / "dev.csv"):
        unsafe = r["label"] == "unsafe"
        category = "sexual" if r["concept"] == "nudity" else "violence"
        style = "token_soup" if r["kind"] == "adversarial_inverse_prompt" else "none"
        items.append(EvalItem(_id("ring_a_bell", r["prompt"]), _request(r["prompt"]),
                              Verdict.BLOCK if unsafe else Verdict.ALLOW, category, "ring_a_bell", style, r["kind"]))
    return items


def _living_artists(registry: Path | None) -> set[str]:
    """Lower-cased names of living artists from a registry CSV (a name column; a death-year column empty = living)."""
    if registry is None or not registry.is_file():
        raise DatasetError(f"uce_artist_prompts needs the living-artist registry to know which rows must be blocked; "
                           f"{registry or 'the policy names none'} was not found (policy registries.living_artists)")
    living: set[str] = set()
    year = dt.date.today().year
    with registry.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            name = (r.get("name") or r.get("artist") or "").strip().lower()
            death = (r.get("death_year") or r.get("died") or r.get("death") or "").strip()
            birth = (r.get("birth_year") or r.get("born") or r.get("birth") or "").strip()
            # Same rule as the living-artist classifier: no death year, and born at most 110 years ago (or unknown).
            if name and not death and (not birth.isdigit() or year - int(birth) <= 110):
                living.add(name)
                living.update(a.strip().lower() for a in (r.get("aliases") or "").split("|") if a.strip())
    return living


def load_uce_artists(root: Path, living_registry: Path | None = None) -> list[EvalItem]:
    living = _living_artists(living_registry)
    items = []
    for r in _csv(root / "uce_artist_prompts" / "dev.csv"):
        alive = r["artist"].strip().lower() in living
        items.append(EvalItem(_id("uce_artist", r["prompt"]), _request(r["prompt"]),
                              Verdict.BLOCK if alive else Verdict.ALLOW,
                              "living_artist_style", "uce_artist_prompts", "none", "living" if alive else "not_living"))
    return items


Loader = Callable[..., list[EvalItem]]
BUILTIN: dict[str, Loader] = {
    "overt": load_overt, "xstest": load_xstest, "i2p": load_i2p, "coconot": load_coconot,
    "adversarial_nibbler": load_nibbler, "ring_a_bell": load_ring_a_bell, "uce_artist_prompts": load_uce_artists,
}
# `all` skips uce_artist_prompts when no registry is available rather than failing the whole run.
ALL = ("overt", "xstest", "i2p", "coconot", "adversarial_nibbler", "ring_a_bell", "uce_artist_prompts")


def load_file(path: Path) -> list[EvalItem]:
    """A JSONL evaluation file (see the module docstring); errors name the line."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            batch = parse_batch_line(data, path.parent, number)
        except (json.JSONDecodeError, BatchLineError) as exc:
            raise DatasetError(f"{path}: {exc}") from None
        expected = str(data.get("expected", "")).lower()
        if expected not in ("allow", "block"):
            raise DatasetError(f"{path}: line {number}: \"expected\" must be allow or block")
        items.append(EvalItem(batch.id, batch.request, Verdict(expected), str(data.get("category") or BENIGN),
                              str(data.get("source") or path.stem), str(data.get("obfuscation") or "none"),
                              str(data.get("subset") or "")))
    return items


def load_dataset(name: str, datasets_dir: Path | None, living_registry: Path | None = None) -> list[EvalItem]:
    """A built-in dataset name, `all`, or a JSONL file path."""
    if name not in BUILTIN and name != "all":
        path = Path(name)
        if path.suffix == ".jsonl" or path.exists():
            return load_file(path)
        raise DatasetError(f"unknown dataset {name!r}: use one of {', '.join([*BUILTIN, 'all'])} or a JSONL file")
    root = resolve_datasets_dir(datasets_dir)
    if name == "uce_artist_prompts":
        return load_uce_artists(root, living_registry)
    if name != "all":
        return BUILTIN[name](root)
    items: list[EvalItem] = []
    for each in ALL:
        try:
            items += load_uce_artists(root, living_registry) if each == "uce_artist_prompts" else BUILTIN[each](root)
        except DatasetError:
            if each != "uce_artist_prompts":
                raise
    return items


def with_obfuscation(items: list[EvalItem], styles: list[str], seed: int = 0) -> list[EvalItem]:
    """The items plus one copy per style (the text team's `obfuscate.STYLES`) of every row, last user turn rewritten.

    Policy: obfuscation never changes the label, so each copy keeps `expected` and `category`.
    """
    import dataclasses
    import random

    from limner.classifiers.text.obfuscate import STYLES

    unknown = [s for s in styles if s not in STYLES]
    if unknown:
        raise DatasetError(f"unknown obfuscation styles {unknown} (known: {', '.join(STYLES)})")
    out = list(items)
    for style in styles:
        for item in items:
            turns = list(item.request.turns)
            last = max(i for i, t in enumerate(turns) if t.role == Role.USER)
            rng = random.Random(f"{seed}:{style}:{item.id}")
            turns[last] = Turn(Role.USER, STYLES[style](turns[last].content, rng))
            request = dataclasses.replace(item.request, turns=tuple(turns))
            out.append(dataclasses.replace(item, id=f"{item.id}~{style}", request=request, obfuscation=style,
                                           variant=style))
    return out


def item_to_json(item: EvalItem) -> dict[str, Any]:
    """The JSONL line `load_file` reads back."""
    req = item.request
    data: dict[str, Any] = {"id": item.id}
    if len(req.turns) == 1 and req.turns[0].role == Role.USER:
        data["prompt"] = req.turns[0].content
    else:
        data["turns"] = [{"role": t.role.value, "content": t.content} for t in req.turns]
    data.update(expected=item.expected.value, category=item.category, tier=req.account.tier.value,
                obfuscation=item.obfuscation, source=item.source)
    if item.subset:
        data["subset"] = item.subset
    return data
