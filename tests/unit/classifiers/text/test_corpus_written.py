"""The written training prompts: labels closed under the under18 supersets, split by the hash of the text."""

from __future__ import annotations

import json
from pathlib import Path

from limner.classifiers.text import corpus
from limner.classifiers.text.datagen import core_split

REPO_DATA = Path(__file__).resolve().parents[4] / "data" / "text_safety"


def test_written_rows_carry_their_supersets_and_land_in_one_split(tmp_path: Path) -> None:
    rows = [
        {"text": "a realistic photo of a beheading", "labels": ["violence/graphic"], "kind": "gore"},
        {"text": "a museum case of propaganda posters", "labels": ["hate/symbol_context"], "kind": "museum"},
        {"text": "a lighthouse at dusk", "labels": [], "kind": "plain"},
    ]
    (tmp_path / "written.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    train, dev = corpus.load_written(tmp_path, "train"), corpus.load_written(tmp_path, "dev")
    assert len(train) + len(dev) == 3
    by_text = {r.text: r for r in train + dev}
    assert by_text["a realistic photo of a beheading"].labels == ("violence/graphic", "violence/stylised_graphic")
    assert by_text["a museum case of propaganda posters"].labels == ("hate/symbol_context",)
    assert by_text["a lighthouse at dusk"].labels == ()
    for r in train + dev:
        assert r.split == core_split(r.text) and r.source == "written"


def test_shipped_written_file_uses_taxonomy_labels_and_holds_no_evaluation_prompt() -> None:
    rows = corpus.load_written(REPO_DATA, "train") + corpus.load_written(REPO_DATA, "dev")
    assert len(rows) > 3000
    assert 0.15 < sum(r.split == "dev" for r in rows) / len(rows) < 0.25
    evaluation = REPO_DATA.parent / "eval"
    held_out = {json.loads(line)["prompt"].strip().lower()
                for f in evaluation.glob("*.jsonl") for line in f.read_text(encoding="utf-8").splitlines()}
    assert not held_out & {r.text.strip().lower() for r in rows}
