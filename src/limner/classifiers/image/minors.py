"""Image classifiers, sexual content involving minors: does one image (upload or output) combine nudity with a child.

Decides nothing; emits `sexual/minors` = min(nudity score, child-face score), where the child-face score is the
age-based child score of the youngest detected face in any style (drawn faces count too: the policy forbids
sexualising drawn minors). Both parts come from the other image classifiers, passed in or built lazily.

It only sees what is in one image. It cannot tell that a drawn adult-looking character was *said* to be a minor, and
it has no signal when no face is visible; the prompt gate and the reasoning monitor read the conversation for that.
Its recall on real positives is not, and cannot be, measured offline (no such data is held, by design).
"""

from __future__ import annotations

from typing import Any, ClassVar

from limner.classifiers.image.nudity import OpenNsfwClassifier, decode_pil
from limner.classifiers.image.person import PhotorealPersonClassifier
from limner.classifiers.image.synthetic import cartoon_face, encode, procedural_scene
from limner.types import Image, Modality, Sample, Score


class SexualMinorsImageClassifier:
    """min(open_nsfw, youngest-face child score): nudity and a child-aged face in the same image."""

    name: ClassVar[str] = "sexual_minors_image"
    modality: ClassVar[Modality] = Modality.IMAGE
    labels: ClassVar[tuple[str, ...]] = ("sexual/minors",)

    def __init__(self, nsfw: Any = None, person: Any = None) -> None:
        self.nsfw = nsfw if nsfw is not None else OpenNsfwClassifier()
        self.person = person if person is not None else PhotorealPersonClassifier()

    def warm(self) -> None:
        for part in (self.nsfw, self.person):
            warm = getattr(part, "warm", None)
            if warm is not None:
                warm()

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        pil = decode_pil(sample)
        if pil is None or sample.image is None:
            return ()
        nsfw = float(self.nsfw.nsfw(pil))
        people = self.person.analyse(sample.image.data)
        child = float(people.youngest_face_any_style)
        ages = [round(f.age) for f in people.faces if f.age is not None]
        return (
            Score(
                "sexual/minors",
                min(nsfw, child),
                f"nsfw={nsfw:.2f}; youngest-face child score={child:.2f} "
                f"({len(people.faces)} face(s), estimated ages {ages or 'n/a'})",
            ),
        )

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(image=Image(encode(procedural_scene(31))), is_upload=True), frozenset()),
            (Sample(image=Image(encode(cartoon_face(32)))), frozenset()),
        ]
