"""Fine-tuned top of MiniLM: one forward pass feeds both the head and the top, pinned weights, blend."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from limner.classifiers.base import ClassifierUnavailable
from limner.classifiers.text.embed_head import EmbedHeadTextClassifier
from limner.classifiers.text.embedding import MiniLMEmbedder, shared_embedder
from limner.classifiers.text.heads import WEIGHTS_DIR
from limner.classifiers.text.tuned import TUNED_FILE, TunedTop
from limner.types import Sample

TEXTS = ["a watercolor lighthouse at dawn", "ok", "a much longer sentence about a dog running in a park " * 3]


def test_encode_with_hidden_pools_exactly_like_encode(embedder: MiniLMEmbedder) -> None:
    pooled, batches = embedder.encode_with_hidden(TEXTS, layer=4)
    assert np.allclose(pooled, embedder.encode(TEXTS), atol=1e-5)
    seen = sorted(i for _, _, idx in batches for i in idx)
    assert seen == list(range(len(TEXTS)))
    hidden, mask, _ = batches[0]
    assert hidden.shape[:2] == mask.shape and hidden.shape[2] == 384


def test_shared_embedder_is_one_instance_per_settings() -> None:
    assert shared_embedder(threads=1) is shared_embedder(threads=1)
    assert shared_embedder(threads=1) is not shared_embedder(threads=2)


def test_tuned_top_changes_the_scores_and_stays_in_range(embedder: MiniLMEmbedder) -> None:
    blended = EmbedHeadTextClassifier(embedder=embedder, calibrated=False, tuned_mix=0.25)
    head_only = EmbedHeadTextClassifier(embedder=embedder, calibrated=False, tuned="none")
    a = blended.head_scores(TEXTS)
    b = head_only.head_scores(TEXTS)
    assert a.shape == b.shape and ((a >= 0) & (a <= 1)).all()
    assert not np.allclose(a, b)  # the fine-tuned model is really in the path
    unsafe = blended.classify(Sample(text="realistic photo of a man being beheaded, blood spraying"))
    assert max(s.value for s in unsafe if s.label.startswith("violence")) > 0.5


def test_the_default_head_runs_alone_and_never_loads_the_fine_tuned_top(embedder: MiniLMEmbedder) -> None:
    default = EmbedHeadTextClassifier(embedder=embedder, calibrated=False)
    assert default.tuned_mix == 0 and default.tuned_path is None
    head_only = EmbedHeadTextClassifier(embedder=embedder, calibrated=False, tuned="none")
    assert np.allclose(default.head_scores(TEXTS), head_only.head_scores(TEXTS))


def test_tampered_tuned_weights_are_refused(tmp_path: Path) -> None:
    shutil.copy(WEIGHTS_DIR / TUNED_FILE, tmp_path / TUNED_FILE)
    manifest = json.loads((WEIGHTS_DIR / "manifest.json").read_text())
    manifest[TUNED_FILE]["sha256"] = "0" * 64
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ClassifierUnavailable, match="sha256"):
        TunedTop(tmp_path / TUNED_FILE)


def test_missing_tuned_weights_fail_closed(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    clf = EmbedHeadTextClassifier(embedder=embedder, tuned=tmp_path / TUNED_FILE, tuned_mix=0.25)
    with pytest.raises(ClassifierUnavailable):
        clf.classify(Sample(text="a red bicycle"))
