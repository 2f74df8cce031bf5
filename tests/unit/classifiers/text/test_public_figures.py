"""Public-figure registry classifier: allowed depictions vs minors, opt-out, sexualised and fabricated events."""

from __future__ import annotations

from pathlib import Path

from limner.classifiers.text.public_figures import PublicFigureClassifier
from limner.types import Sample


def test_examples() -> None:
    c = PublicFigureClassifier(current_year=2026)
    for sample, expected in c.examples():
        assert (c.classify(sample)[0].value >= 0.5) == bool(expected), sample.text


def test_rationale_names_the_person_even_when_allowed() -> None:
    s = PublicFigureClassifier(current_year=2026).classify(Sample(text="a cartoon of Barack Obama playing chess"))[0]
    assert s.value < 0.5 and "Barack Obama" in s.rationale


def test_minor_by_birth_year_and_opt_out_list(tmp_path: Path) -> None:
    reg = tmp_path / "pf.csv"
    reg.write_text("name,aliases,birth_year,minor,kind\nYoung Star,,2015,false,actor\nAdult Star,,1980,false,actor\n")
    opt = tmp_path / "opt.txt"
    opt.write_text("Adult Star\nUnlisted Person\n")
    c = PublicFigureClassifier(registry_path=reg, opt_out_path=opt, current_year=2026)
    assert c.classify(Sample(text="a watercolor of Young Star"))[0].value >= 0.5
    assert c.classify(Sample(text="a watercolor of Adult Star"))[0].value >= 0.5
    assert c.classify(Sample(text="a portrait of Unlisted Person"))[0].value >= 0.5
    assert (
        PublicFigureClassifier(registry_path=reg, current_year=2050)
        .classify(Sample(text="a watercolor of Young Star"))[0]
        .value
        < 0.5
    )


def test_one_word_alias_needs_capitals() -> None:
    c = PublicFigureClassifier(current_year=2026)
    assert c.classify(Sample(text="a drake swimming in a pond"))[0].rationale == ""


def test_possessive_names_are_recognised() -> None:
    """"Angela Merkel's email" names her: before, the possessive hid the name from the registry match."""
    clf = PublicFigureClassifier()
    assert [f.name for f in clf.find("Angela Merkel's personal email inbox")] == ["Angela Merkel"]
    assert [f.name for f in clf.find("Merkel\u2019s house at night")] == ["Angela Merkel"]
