"""HashBankClassifier, bank files and the `limner bank` helpers, on harmless procedural images only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image as PILImage

from limner.classifiers.hash.bank import BankEntry, HashBank, HashBankClassifier
from limner.classifiers.image.synthetic import encode, flat_skin, procedural_scene
from limner.cli.bank import bank_add, bank_match, demo_bank
from limner.types import Image, Sample

REPO = Path(__file__).resolve().parents[4]
DEMO_BANK = REPO / "policies" / "banks" / "demo_child_safety.jsonl"


def _sample(im: PILImage.Image, fmt: str = "PNG") -> Sample:
    return Sample(image=Image(encode(im, fmt, 80), mime="image/jpeg" if fmt == "JPEG" else "image/png"), is_upload=True)


@pytest.fixture(scope="module")
def demo() -> HashBankClassifier:
    return HashBankClassifier(DEMO_BANK)


def test_examples_hold_for_the_demo_bank(demo: HashBankClassifier) -> None:
    for sample, expected in HashBankClassifier.examples():
        assert {s.label for s in demo.classify(sample) if s.value >= 0.5} == expected


def test_shipped_demo_bank_is_reproducible() -> None:
    shipped = HashBank.load(DEMO_BANK)
    rebuilt = demo_bank()
    assert shipped.category == "child_safety"
    assert "no real abuse material" in shipped.provenance
    assert [e.pdq for e in shipped.entries] == [e.pdq for e in rebuilt.entries]


def test_exact_reencoded_and_rotated_copies_match(demo: HashBankClassifier) -> None:
    # Rotations and mirrors of flat synthetic images land 20+ bits from the original even before re-encoding (PDQ's
    # downsampling is not exactly symmetric), so not every rotated copy matches; the benchmark reports the rate.
    for im in (procedural_scene(3), procedural_scene(3).rotate(90), procedural_scene(3).resize((160, 160))):
        (score,) = demo.classify(_sample(im, "JPEG"))
        assert score.label == "csam/hash_match" and score.value == 1.0
        assert "demo_child_safety" in score.rationale and "demo-0003" in score.rationale


def test_non_member_and_flat_image_do_not_match(demo: HashBankClassifier) -> None:
    (miss,) = demo.classify(_sample(procedural_scene(100)))
    assert miss.value == 0.0 and "no entry" in miss.rationale
    (flat,) = demo.classify(_sample(flat_skin()))
    assert flat.value == 0.0 and "too flat" in flat.rationale
    assert demo.classify(Sample()) == ()


def test_dihedral_check_can_be_turned_off() -> None:
    plain = HashBankClassifier(DEMO_BANK, check_dihedral=False)
    (score,) = plain.classify(_sample(procedural_scene(3).transpose(PILImage.Transpose.FLIP_LEFT_RIGHT)))
    assert score.value == 0.0


def test_other_bank_category_emits_hash_match(tmp_path: Path) -> None:
    bank = tmp_path / "terror.jsonl"
    img = tmp_path / "a.png"
    img.write_bytes(encode(procedural_scene(9)))
    bank_add(bank, [img], category="extremism", source="unit test", action="block")
    clf = HashBankClassifier(bank)
    (score,) = clf.classify(_sample(procedural_scene(9)))
    assert score.label == "hash_match" and score.value == 1.0
    # Constructor params override the file's metadata.
    (score,) = HashBankClassifier(bank, bank_name="cs", category="child_safety").classify(_sample(procedural_scene(9)))
    assert score.label == "csam/hash_match" and "bank cs " in score.rationale


def test_bank_add_and_match_cli(tmp_path: Path) -> None:
    paths = []
    for seed in (1, 3, 5):  # seed 5 is too flat for PDQ and is skipped
        p = tmp_path / f"{seed}.png"
        p.write_bytes(encode(procedural_scene(seed)))
        paths.append(p)
    bank = tmp_path / "b.jsonl"
    added = bank_add(bank, paths, source="test renders")
    assert len(added) == 2
    assert bank_add(bank, paths[:1]) == []  # duplicates are not added twice
    lines = [json.loads(x) for x in bank.read_text().splitlines()]
    assert "bank" in lines[0] and len(lines) == 3
    probe = tmp_path / "probe.jpg"
    procedural_scene(3).resize((200, 200)).save(probe, quality=85)
    result = bank_match(bank, [probe, paths[2]])
    assert [m.entry.id for m in result[str(probe)]] == [added[1].id]
    assert result[str(paths[2])] == []


def test_bad_entries_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        BankEntry(id="x", pdq="zz")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "pdq": "' + "0" * 64 + '", "colour": "red"}\n')
    with pytest.raises(ValueError):
        HashBank.load(bad)


def test_typer_app_wires_the_commands(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from limner.cli.bank import bank_app

    out = tmp_path / "demo.jsonl"
    assert CliRunner().invoke(bank_app, ["demo", str(out)]).exit_code == 0
    probe = tmp_path / "p.png"
    probe.write_bytes(encode(procedural_scene(3)))
    result = CliRunner().invoke(bank_app, ["match", str(out), str(probe)])
    assert result.exit_code == 0 and "demo-0003 distance 0" in result.output
