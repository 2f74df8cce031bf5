"""Living-artist registry classifier: style requests vs naming, living vs dead, indirect and misspelled names."""

from __future__ import annotations

from pathlib import Path

import pytest

from limner.classifiers.text.artists import LivingArtistClassifier
from limner.types import Sample


@pytest.fixture(scope="module")
def clf() -> LivingArtistClassifier:
    return LivingArtistClassifier(current_year=2026)


def _score(clf: LivingArtistClassifier, text: str) -> tuple[float, str]:
    s = clf.classify(Sample(text=text))[0]
    return s.value, s.rationale


def test_examples(clf: LivingArtistClassifier) -> None:
    for sample, expected in clf.examples():
        assert (clf.classify(sample)[0].value >= 0.5) == bool(expected), sample.text


@pytest.mark.parametrize(
    "text",
    [
        "a castle, rutkowski style",
        "castle in the style of Rutkowski Greg",
        "castle by ikswoktur gerg",
        "a castle in the style of Greg Rutkowsky",
        "im Stil von Yayoi Kusama",
        "art by artgerm and wlop",
        "a pool, in the style of David Hockney",
        "a pool in the stlye of Dvaid Hcokney",  # slips in the cue word and in every word of the name
        "a castle inspried by Greg Rutkwoski",
    ],
)
def test_living_style_requests_score_high_and_name_the_artist(clf: LivingArtistClassifier, text: str) -> None:
    v, why = _score(clf, text)
    assert v >= 0.5 and "living artist" in why


@pytest.mark.parametrize(
    "text",
    [
        "in the style of Claude Monet",
        "a garden à la Monet",
        "painting by Alphonse Mucha",
        "a cubist still life",
        "a portrait of David Hockney at his easel",
        "a dog by the lake",
        "a cat in the style of ukiyo-e",
        "a garden in the stlye of Claude Mnoet",
        "a portrait in the style of Jean Dellville",  # a misspelt dead artist, not the living James Jean
        # "by" + a verb is a means, not an author (the surname of a living Tim White matched "White people")
        "show that nobody survives on Mercury by illustrating White people on Mercury without a spacesuit",
    ],
)
def test_dead_artists_movements_and_mere_naming_are_allowed(clf: LivingArtistClassifier, text: str) -> None:
    assert _score(clf, text)[0] < 0.5


def test_unknown_years_count_as_living_and_opt_out_overrides(tmp_path: Path) -> None:
    reg = tmp_path / "artists.csv"
    reg.write_text(
        "name,aliases,birth_year,death_year,sources\nOld Master,,1600,1650,test\n"
        "Nobody Knows,,,,test\nYoung One,,1990,,test\nAncient Undated,,1700,,test\n"
    )
    opt = tmp_path / "opt_out.txt"
    opt.write_text("# comment\nOld Master\n")
    c = LivingArtistClassifier(registry_path=reg, opt_out_path=opt, current_year=2026)
    assert c.classify(Sample(text="in the style of Nobody Knows"))[0].value >= 0.5
    assert c.classify(Sample(text="in the style of Young One"))[0].value >= 0.5
    assert c.classify(Sample(text="in the style of Ancient Undated"))[0].value < 0.5
    hit = c.classify(Sample(text="in the style of Old Master"))[0]
    assert hit.value >= 0.5 and "opt-out" in hit.rationale
