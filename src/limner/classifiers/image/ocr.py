"""Image classifiers, OCR text: is the text rendered inside an image unsafe.

Decides nothing. It reads the words drawn in the image with RapidOCR (PP-OCR det/rec/cls models bundled in the
wheel, Apache-2.0; only the default config is used, because any other model choice triggers a download) and hands
the text to a text classifier given in the constructor, re-emitting that classifier's scores with the OCR text in
the rationale. It catches prompts that smuggle unsafe words into the picture ("a sign that says ...") and outputs
that render text nobody asked for.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
from PIL import Image as PILImage

from limner.classifiers.base import ClassifierUnavailable
from limner.classifiers.image.synthetic import encode, procedural_scene, text_image
from limner.types import Image, Modality, Sample, Score

# Content labels a text classifier may report about rendered text (person/* and hash labels cannot come from text).
TEXT_CONTENT_LABELS: tuple[str, ...] = (
    "sexual", "sexual/suggestive", "sexual/minors", "violence/graphic", "violence/stylised_graphic", "self_harm",
    "self_harm/depiction", "hate", "hate/symbol_context", "harassment", "extremism", "extremism/context", "illicit",
    "deception", "living_artist", "public_figure",
)  # fmt: skip

MAX_SIDE = 1024


class TextClassifier(Protocol):
    def classify(self, sample: Sample) -> tuple[Score, ...]: ...


@dataclass(frozen=True)
class OcrResult:
    text: str  # recognised lines joined with spaces, in reading order
    lines: tuple[tuple[str, float], ...]  # (line, recogniser confidence)


class OcrReader:
    """Lazy RapidOCR engine (default bundled models); shared by `OcrTextClassifier` and the reasoning monitor."""

    def __init__(self, min_confidence: float = 0.5, threads: int = 1) -> None:
        self.min_confidence = min_confidence
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._engine is None:
                try:
                    from rapidocr import RapidOCR
                except ImportError as exc:
                    raise ClassifierUnavailable("ocr_text needs `pip install rapidocr onnxruntime`") from exc
                # Only log level and thread count differ from the default config; models stay the bundled ones.
                self._engine = RapidOCR(
                    params={
                        "Global.log_level": "error",
                        "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                    }
                )
            return self._engine

    def warm(self) -> None:
        self._load()

    def read(self, data: bytes) -> OcrResult:
        with PILImage.open(io.BytesIO(data)) as im:
            im.load()
            rgb = im.convert("RGB")
        if max(rgb.size) > MAX_SIDE:
            rgb.thumbnail((MAX_SIDE, MAX_SIDE), PILImage.Resampling.LANCZOS)
        out = self._load()(np.asarray(rgb))
        txts = out.txts or ()
        scores = out.scores or ()
        lines = tuple(
            (t.strip(), float(s)) for t, s in zip(txts, scores, strict=False) if t.strip() and s >= self.min_confidence
        )
        return OcrResult(" ".join(t for t, _ in lines), lines)


def default_text_classifier() -> TextClassifier:
    """The shipped prompt text head, built lazily when a policy names `ocr_text` without its own text classifier."""
    try:
        from limner.classifiers.text.embed_head import EmbedHeadTextClassifier
    except ImportError as exc:
        raise ClassifierUnavailable(f"ocr_text: the default text head cannot be loaded: {exc}") from exc
    clf: TextClassifier = EmbedHeadTextClassifier()
    return clf


def warm_text(clf: TextClassifier | None) -> None:
    warm = getattr(clf, "warm", None)
    if warm is not None:
        warm()


class OcrTextClassifier:
    """OCR the image, then score the text with the given text classifier (default: the shipped `text_head`)."""

    name: ClassVar[str] = "ocr_text"
    modality: ClassVar[Modality] = Modality.IMAGE
    labels: ClassVar[tuple[str, ...]] = TEXT_CONTENT_LABELS

    def __init__(
        self, text_classifier: TextClassifier | None = None, min_confidence: float = 0.5, threads: int = 1
    ) -> None:
        self.text_classifier = text_classifier
        self.reader = OcrReader(min_confidence=min_confidence, threads=threads)
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Load the OCR models and the text classifier now instead of on the first image with text."""
        self.reader.warm()
        warm_text(self._text())

    def _text(self) -> TextClassifier:
        with self._lock:
            if self.text_classifier is None:
                # Built only once text is found: most outputs have none, and the text head loads a sentence encoder.
                self.text_classifier = default_text_classifier()
            return self.text_classifier

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        if sample.image is None or not sample.image.data:
            return ()
        ocr = self.reader.read(sample.image.data)
        if not ocr.text:
            return ()
        inner = self._text().classify(Sample(text=ocr.text, tier=sample.tier))
        quoted = ocr.text if len(ocr.text) <= 200 else ocr.text[:197] + "..."
        return tuple(
            Score(s.label, s.value, f'ocr text "{quoted}"' + (f"; {s.rationale}" if s.rationale else ""))
            for s in inner
            if s.label in TEXT_CONTENT_LABELS
        )

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(image=Image(encode(procedural_scene(7)))), frozenset()),
            (Sample(image=Image(encode(text_image("HELLO WORLD")))), frozenset()),
        ]
