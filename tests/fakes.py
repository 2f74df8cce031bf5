"""Test doubles for plugins: scripted classifiers, a fixed generator, a recording stamper.

They stand in for models so that every gate path can be driven by a policy file and exact scores; the real plugins
have their own tests.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any, ClassVar

from PIL import Image as PILImage

from limner.classifiers.base import ClassifierUnavailable
from limner.types import Capability, GeneratedImage, GenerationRequest, Image, Modality, Sample, Score


def png_bytes(colour: tuple[int, int, int] = (200, 30, 30), size: int = 64) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def scripted(name: str, modality: Modality, labels: tuple[str, ...],
             rule: Callable[[Sample], dict[str, float]]) -> type:
    """A classifier class whose scores come from `rule(sample)`; params from the policy go to `params`."""

    class ScriptedClassifier:
        def __init__(self, **params: Any) -> None:
            self.params = params
            self.calls = 0

        def classify(self, sample: Sample) -> tuple[Score, ...]:
            self.calls += 1
            return tuple(Score(label, value) for label, value in rule(sample).items())

    ScriptedClassifier.name = name  # type: ignore[attr-defined]
    ScriptedClassifier.modality = modality  # type: ignore[attr-defined]
    ScriptedClassifier.labels = labels  # type: ignore[attr-defined]
    return ScriptedClassifier


def _word_scores(sample: Sample) -> dict[str, float]:
    text = sample.text.lower()
    return {
        "violence/graphic": 0.9 if "gore" in text else 0.05,
        "sexual/suggestive": 0.8 if "lingerie" in text else 0.0,
        "context/fictional": 0.95 if "movie" in text else 0.0,
        "context/photoreal": 0.95 if "photo" in text else 0.0,
    }


ScriptedTextClassifier = scripted("scripted_text", Modality.TEXT,
                                  ("violence/graphic", "sexual/suggestive", "context/fictional", "context/photoreal"),
                                  _word_scores)
ScriptedChatClassifier = scripted(
    "scripted_chat", Modality.CONVERSATION, ("sexual/minors",),
    lambda s: {"sexual/minors": 0.9 if any("younger" in t.content for t in s.turns) else 0.0},
)
ScriptedImageClassifier = scripted(
    "scripted_image", Modality.IMAGE, ("csam/hash_match",),
    lambda s: {"csam/hash_match": 1.0 if s.image is not None and s.image.data == png_bytes((1, 2, 3)) else 0.0},
)
ScriptedOutputClassifier = scripted(
    "scripted_output", Modality.IMAGE, ("sexual",),
    lambda s: {"sexual": 0.99 if s.image is not None and s.image.data == png_bytes((250, 200, 180)) else 0.01},
)


class RaisingClassifier:
    name: ClassVar[str] = "raising"
    modality: ClassVar[Modality] = Modality.TEXT
    labels: ClassVar[tuple[str, ...]] = ()

    def __init__(self, error: str = "boom") -> None:
        self.error = error

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        if self.error == "unavailable":
            raise ClassifierUnavailable("model file missing: install the weights")
        raise RuntimeError(self.error)


class SlowClassifier:
    name: ClassVar[str] = "slow"
    modality: ClassVar[Modality] = Modality.TEXT
    labels: ClassVar[tuple[str, ...]] = ()

    def __init__(self, seconds: float = 2.0) -> None:
        self.seconds = seconds

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        time.sleep(self.seconds)
        return ()


class ColdClassifier:
    """Loads its "model" on first use unless warmed ahead, like the MiniLM-based classifiers."""

    name: ClassVar[str] = "cold"
    modality: ClassVar[Modality] = Modality.TEXT
    labels: ClassVar[tuple[str, ...]] = ()

    def __init__(self, load_seconds: float = 1.0, fail: bool = False) -> None:
        self.load_seconds = load_seconds
        self.fail = fail
        self.loaded = False

    def warm(self) -> None:
        if self.fail:
            raise ClassifierUnavailable("weights missing")
        if not self.loaded:
            time.sleep(self.load_seconds)
            self.loaded = True

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        self.warm()
        return ()


class FixedGenerator:
    name: ClassVar[str] = "fixed"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.TEXT_TO_IMAGE, Capability.EDIT})

    def __init__(self, png: bytes | None = None, error: str | None = None) -> None:
        self.png = png or png_bytes()
        self.error = error

    def generate(self, request: GenerationRequest) -> GeneratedImage:
        if self.error:
            raise RuntimeError(self.error)
        return GeneratedImage(Image(self.png), "fixed", "test", request.seed or 0)


class RecordingStamper:
    def __init__(self, error: str | None = None) -> None:
        self.stamped: list[str] = []
        self.error = error

    def stamp(self, generated: GeneratedImage, request: GenerationRequest, request_id: str) -> Image:
        if self.error:
            raise RuntimeError(self.error)
        self.stamped.append(request_id)
        return Image(generated.image.data + b"")


def _with_modality(base: type, modality: Modality) -> type:
    return type(f"{base.__name__}{modality.value.title()}", (base,), {"modality": modality})


EXTRA_CLASSIFIERS: dict[str, Any] = {
    **{f"{base.name}_{m.value}": _with_modality(base, m) for base in (RaisingClassifier, SlowClassifier)
       for m in (Modality.CONVERSATION, Modality.IMAGE)},
    "scripted_text": ScriptedTextClassifier,
    "scripted_chat": ScriptedChatClassifier,
    "scripted_image": ScriptedImageClassifier,
    "scripted_output": ScriptedOutputClassifier,
    "raising": RaisingClassifier,
    "cold": ColdClassifier,
    "slow": SlowClassifier,
}
