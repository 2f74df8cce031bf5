"""PhotorealPersonClassifier: flat renders and drawings are "no photoreal person"; real faces (shared eval set, only
when present beside the checkout) are found and aged. Nothing here trains on the faces set."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from limner.classifiers.base import Classifier
from limner.classifiers.image.person import PhotorealPersonClassifier, flat_fraction, photoreal_estimate
from limner.classifiers.image.synthetic import cartoon_face, encode, procedural_scene, smooth_texture
from limner.types import Image, Sample

REPO = Path(__file__).resolve().parents[4]
FACES = REPO.parent / "shared" / "datasets" / "faces"
DRAWN = REPO.parent / "shared" / "datasets" / "drawn_people"


@pytest.fixture(scope="module")
def clf() -> PhotorealPersonClassifier:
    return PhotorealPersonClassifier()


def _scores(clf: PhotorealPersonClassifier, data: bytes) -> dict[str, float]:
    return {s.label: s.value for s in clf.classify(Sample(image=Image(data), is_upload=True))}


def test_protocol_and_examples(clf: PhotorealPersonClassifier) -> None:
    assert isinstance(clf, Classifier)
    for sample, expected in PhotorealPersonClassifier.examples():
        scores = clf.classify(sample)
        assert {s.label for s in scores if s.value >= 0.5} == expected
        assert {s.label for s in scores} == set(PhotorealPersonClassifier.labels)
        assert all(0.0 <= s.value <= 1.0 for s in scores)
        assert clf.classify(sample) == scores


def test_flat_renders_are_no_photoreal_person(clf: PhotorealPersonClassifier) -> None:
    for data in (encode(procedural_scene(1)), encode(cartoon_face(2)), encode(cartoon_face(3), "JPEG", 75)):
        s = _scores(clf, data)
        assert s["person/photoreal_child"] < 0.5 and s["person/photoreal_adult"] < 0.5
        assert s["context/photoreal"] < 0.5


def test_photo_like_texture_is_photoreal_without_person(clf: PhotorealPersonClassifier) -> None:
    s = _scores(clf, encode(smooth_texture(1), "JPEG"))
    assert s["context/photoreal"] > 0.9
    assert s["person/photoreal_child"] == 0.0 and s["person/photoreal_adult"] == 0.0


def test_flat_fraction_extremes() -> None:
    flat = np.zeros((32, 32, 3), dtype=np.uint8)
    noisy = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    assert flat_fraction(flat) == 1.0 and photoreal_estimate(flat) < 0.01
    assert flat_fraction(noisy) < 0.05 and photoreal_estimate(noisy) > 0.99


def test_unknown_age_resolves_to_child() -> None:
    clf = PhotorealPersonClassifier()
    assert clf.p_child(None) == 1.0
    assert clf.p_child(8) > 0.99 and clf.p_child(45) < 0.01
    assert clf.p_child(20) > 0.5  # young adults err towards child


@pytest.mark.skipif(not FACES.joinpath("labels.csv").exists(), reason="shared faces eval set not beside the checkout")
def test_real_faces_are_found_and_aged(clf: PhotorealPersonClassifier) -> None:
    rows = list(csv.DictReader(FACES.joinpath("labels.csv").open()))
    young = [r for r in rows if int(r["age"]) <= 6][:3]
    old = [r for r in rows if int(r["age"]) >= 50][:3]
    for r in young:
        s = _scores(clf, FACES.joinpath(r["file"]).read_bytes())
        assert s["person/photoreal_child"] > 0.5, r["file"]
    for r in old:
        s = _scores(clf, FACES.joinpath(r["file"]).read_bytes())
        assert s["person/photoreal_adult"] > 0.5 and s["person/photoreal_child"] < 0.5, r["file"]


@pytest.mark.skipif(not DRAWN.joinpath("labels.csv").exists(), reason="shared drawn_people set not beside the checkout")
def test_drawn_people_are_not_photoreal_persons(clf: PhotorealPersonClassifier) -> None:
    for r in csv.DictReader(DRAWN.joinpath("labels.csv").open()):
        s = _scores(clf, DRAWN.joinpath(r["file"]).read_bytes())
        assert s["person/photoreal_child"] < 0.5 and s["person/photoreal_adult"] < 0.5, r["file"]


def test_default_operating_point_is_the_chosen_margin() -> None:
    # child_age 33 was chosen on the choose half of the faces set (docs/image_safety.md); 25-32 now count as child.
    clf = PhotorealPersonClassifier()
    assert clf.child_age == 33.0
    assert clf.p_child(30) > 0.5 and clf.p_child(33) == pytest.approx(0.5) and clf.p_child(40) < 0.1


@pytest.mark.skipif(not FACES.joinpath("labels.csv").exists(), reason="shared faces eval set not beside the checkout")
def test_age_distribution_is_read_and_analysis_is_shared_by_content() -> None:
    from limner.classifiers.image import cache

    clf = PhotorealPersonClassifier()
    rows = list(csv.DictReader(FACES.joinpath("labels.csv").open()))
    young = next(r for r in rows if int(r["age"]) <= 4)
    old = next(r for r in rows if int(r["age"]) >= 60)
    cache.clear()
    a_young = clf.analyse(FACES.joinpath(young["file"]).read_bytes())
    a_old = clf.analyse(FACES.joinpath(old["file"]).read_bytes())
    # The 81-way age distribution: a toddler's mass sits below 18, a 60-year-old's above it.
    assert a_young.faces[0].p_minor is not None and a_young.faces[0].p_minor > 0.9
    assert a_old.faces[0].p_minor is not None and a_old.faces[0].p_minor < 0.1
    assert a_young.faces[0].age is not None and a_young.faces[0].age < 12
    # Same bytes again: the stored analysis, not a second run of the face and age models.
    again = clf.analyse(FACES.joinpath(young["file"]).read_bytes())
    assert again is a_young and cache.stats()["hits"] >= 1
    assert "p(under 18)=" in clf.classify(Sample(image=Image(FACES.joinpath(old["file"]).read_bytes())))[0].rationale
