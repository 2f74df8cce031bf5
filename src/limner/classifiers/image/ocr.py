"""Image classifiers, OCR text: is the text rendered inside an image unsafe.

Decides nothing. It reads the words drawn in the image with RapidOCR (PP-OCR det/rec/cls models bundled in the
wheel, Apache-2.0; only the default config is used, because any other model choice triggers a download) and hands
the text to a text classifier given in the constructor, re-emitting that classifier's scores with the OCR text in
the rationale. It catches prompts that smuggle unsafe words into the picture ("a sign that says ...") and outputs
that render text nobody asked for.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
from PIL import Image as PILImage

from limner.classifiers.base import ClassifierUnavailable
from limner.classifiers.image.cache import cached
from limner.classifiers.image.synthetic import encode, procedural_scene, text_image
from limner.types import Image, Modality, Sample, Score

# Content labels a text classifier may report about rendered text (person/* and hash labels cannot come from text).
TEXT_CONTENT_LABELS: tuple[str, ...] = (
    "sexual", "sexual/suggestive", "sexual/minors", "violence/graphic", "violence/stylised_graphic", "self_harm",
    "self_harm/depiction", "hate", "hate/symbol_context", "harassment", "extremism", "extremism/context", "illicit",
    "deception", "living_artist", "public_figure",
)  # fmt: skip

MAX_SIDE = 1024
MIN_SIDE = 256  # smaller images are upscaled to this before OCR
DET_MAX_SIDE = 736  # the text detector sees the image at its own size, capped at this (RapidOCR's default side)


_WORD = re.compile(r"[A-Za-z0-9']+")


MIN_WORD_CHARS = 2  # OCR "words" shorter than this are dropped before the text classifier (see `meaningful_text`)


def meaningful_text(ocr_text: str) -> str:
    """The OCR text without single-character tokens.

    On procedural renders with no text at all, the reader's false reads were single glyphs ("5", "A", "Q"); one
    character carries nothing a text policy can act on, and each false read would otherwise cost a text-classifier
    call and risk a false positive (measured in docs/benchmarks/image_classifiers.md).
    """
    return " ".join(w for w in _WORD.findall(ocr_text) if len(w) >= MIN_WORD_CHARS)


def unrequested_text(ocr_text: str, conversation: str) -> str:
    """The OCR words that appear nowhere in the conversation (compared case-insensitively), in reading order.

    The reader sometimes splits a letter-spaced word ("B E L L" -> "BE LL"), so the whole reading also counts as asked
    for when, spaces removed, it equals a run of whole conversation words ("bell"). Whole words only: "KILL" is not
    asked for by a prompt about "skills".
    """
    convo = [w.lower() for w in _WORD.findall(conversation)]
    words = _WORD.findall(ocr_text)
    joined = "".join(words).lower()
    if joined and any(
        "".join(convo[i:j]) == joined for i in range(len(convo)) for j in range(i + 1, min(len(convo), i + 8) + 1)
    ):
        return ""
    asked = set(convo)
    return " ".join(w for w in words if w.lower() not in asked)


class TextClassifier(Protocol):
    def classify(self, sample: Sample) -> tuple[Score, ...]: ...


@dataclass(frozen=True)
class OcrResult:
    text: str  # recognised lines joined with spaces, in reading order
    lines: tuple[tuple[str, float], ...]  # (line, recogniser confidence)


class OcrReader:
    """Lazy RapidOCR engine (default bundled models); shared by `OcrTextClassifier` and the reasoning monitor."""

    def __init__(
        self,
        min_confidence: float = 0.5,
        threads: int = 1,
        det_max_side: int = DET_MAX_SIDE,
        use_cls: bool = True,
        det_limit_type: str = "max",
        det_box_thresh: float = 0.6,
    ) -> None:
        self.min_confidence = min_confidence
        self.threads = threads
        self.det_max_side = det_max_side
        self.det_limit_type = det_limit_type  # "min" is RapidOCR's default (kept for the benchmark's comparison)
        # Detector boxes scoring under this are not recognised. RapidOCR's 0.5 let shapes (stars, diamonds) through
        # to the recogniser, which then read nothing: 0.6 cut the p95 OCR time on world renders by ~25% with the
        # same word accuracy on every benchmark set, faint (10% contrast) text included.
        self.det_box_thresh = det_box_thresh
        self.use_cls = use_cls
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._engine is None:
                try:
                    from rapidocr import RapidOCR
                except ImportError as exc:
                    raise ClassifierUnavailable("ocr_text needs `pip install rapidocr onnxruntime`") from exc
                # Models stay the bundled ones (any other model choice downloads). Besides log level and threads,
                # only the detector's input size changes: RapidOCR's default ("min" side 736) upscales a 256 px
                # output almost 3x before the text detector, which made OCR ~350 ms of CPU per image; "max" keeps
                # images at their own size up to `det_max_side`; weak detector boxes are dropped (`det_box_thresh`).
                # Measured in docs/benchmarks/image_classifiers.md.
                self._engine = RapidOCR(
                    params={
                        "Global.log_level": "error",
                        "Global.use_cls": self.use_cls,
                        "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                        "Det.limit_type": self.det_limit_type,
                        "Det.limit_side_len": self.det_max_side,
                        "Det.box_thresh": self.det_box_thresh,
                    }
                )
            return self._engine

    def warm(self) -> None:
        self._load()

    def read(self, data: bytes) -> OcrResult:
        """OCR the image; the result is shared (by content) with every other reader of the same bytes."""
        params = (self.min_confidence, self.det_max_side, self.use_cls, self.det_limit_type, self.det_box_thresh)
        return cached("ocr", params, data, lambda: self._read(data))

    def _read(self, data: bytes) -> OcrResult:
        with PILImage.open(io.BytesIO(data)) as im:
            im.load()
            rgb = im.convert("RGB")
        if max(rgb.size) > MAX_SIDE:
            rgb.thumbnail((MAX_SIDE, MAX_SIDE), PILImage.Resampling.LANCZOS)
        elif max(rgb.size) < MIN_SIDE:
            # Small images keep a floor: the detector needs a few pixels of stroke width to see text at all.
            scale = MIN_SIDE / max(rgb.size)
            rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), PILImage.Resampling.BICUBIC)
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
        self,
        text_classifier: TextClassifier | None = None,
        min_confidence: float = 0.5,
        threads: int = 1,
        skip_requested: bool = True,
    ) -> None:
        self.text_classifier = text_classifier
        self.skip_requested = skip_requested
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
        text = meaningful_text(ocr.text)
        if text and self.skip_requested:
            # Words the prompt asked for ("a sign that says WELCOME") were already scored by the prompt and chat
            # gates, inside the prompt, which is what the text head was trained on. Scored again on their own, one
            # or two words out of context, the head flags many harmless ones (measured in the benchmark), so only
            # the words nobody asked for are scored here.
            convo = "\n".join([*(t.content for t in sample.turns), sample.text or ""])
            text = unrequested_text(text, convo)
        if not text:
            return ()
        inner = self._text().classify(Sample(text=text, tier=sample.tier))
        quoted = text if len(text) <= 200 else text[:197] + "..."
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
