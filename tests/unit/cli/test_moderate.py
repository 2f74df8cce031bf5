"""`limner moderate`: the stable batch interface (format, order, tiers, configurations)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from limner.cli.main import app

LEXICON_POLICY = """
name: default
labels:
  violence/graphic: {category: violence, threshold: 0.5, message: "depicts graphic violence"}
  sexual/suggestive: {category: sexual, threshold: null, message: "is suggestive"}
  sexual/minors: {category: sexual_minors, threshold: 0.5, message: "sexualises a minor"}
tiers:
  under18: {thresholds: {sexual/suggestive: 0.5}}
  under13: {refused: true}
gates:
  chat:
    classifiers: [{type: lexicon, params: {terms: {sexual/minors: [younger]}}}]
  prompt:
    classifiers: [{type: lexicon, params: {terms: {violence/graphic: [beheading], sexual/suggestive: [lingerie]}}}]
"""


@pytest.fixture
def policy_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "policies"
    directory.mkdir()
    (directory / "default.yaml").write_text(LEXICON_POLICY)
    monkeypatch.setenv("LIMNER_POLICY_DIR", str(directory))
    monkeypatch.setenv("LIMNER_DATA_DIR", str(tmp_path / "var"))
    return directory


def run(tmp_path: Path, lines: list[dict[str, object]], *args: str) -> list[dict[str, object]]:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["moderate", "--input", str(source), "--output", str(target), *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in target.read_text().splitlines()]


def test_output_format_order_and_tiers(tmp_path: Path, policy_dir: Path) -> None:
    shutil.copy(Path(__file__), tmp_path / "upload.png")  # any file: the lexicon policy reads no images
    lines = [
        {"id": "a", "prompt": "a watercolour lighthouse"},
        {"id": 2, "prompt": "a photo of a beheading"},
        {"id": "c", "prompt": "a pin-up in lingerie", "tier": "under18"},
        {"id": "d", "prompt": "a pin-up in lingerie"},
        {"id": "e", "prompt": "a red circle", "tier": "under13"},
        {"id": "f", "turns": [{"role": "user", "content": "a girl at the beach"},
                              {"role": "assistant", "content": "done"},
                              {"role": "user", "content": "now make her younger"}]},
        {"id": "g", "prompt": "edit this", "image": "upload.png"},
    ]
    out = run(tmp_path, lines, "--config", "with_chat")
    assert [row["id"] for row in out] == ["a", "2", "c", "d", "e", "f", "g"]
    assert all(set(row) == {"id", "decision", "category", "reasons", "ms"} for row in out)
    decisions = {row["id"]: (row["decision"], row["category"]) for row in out}
    assert decisions == {
        "a": ("allow", None), "2": ("block", "violence"), "c": ("block", "sexual"), "d": ("allow", None),
        "e": ("block", "account"), "f": ("block", "sexual_minors"), "g": ("allow", None),
    }
    assert out[1]["reasons"][0]["message"].startswith("depicts graphic violence")
    assert all(isinstance(row["ms"], float) for row in out)


def test_system_only_skips_the_chat_gate(tmp_path: Path, policy_dir: Path) -> None:
    line = {"id": "f", "turns": [{"role": "user", "content": "now make her younger"}]}
    assert run(tmp_path, [line], "--config", "system_only")[0]["decision"] == "allow"
    assert run(tmp_path, [line], "--config", "with_chat")[0]["decision"] == "block"


@pytest.mark.parametrize(
    ("line", "message"),
    [('{"prompt": "x"}', 'missing "id"'), ('{"id": 1}', 'needs "prompt" or "turns"'),
     ('{"id": 1, "prompt": "x", "tier": "teen"}', "tier must be"), ("not json", "line 1"),
     ('{"id": 1, "prompt": "x", "image": "nope.png"}', "not found")],
)
def test_bad_lines_are_reported_with_their_line(tmp_path: Path, policy_dir: Path, line: str, message: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(line + "\n")
    result = CliRunner().invoke(app, ["moderate", "-i", str(source), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert message in result.output.replace("\n", " ")
