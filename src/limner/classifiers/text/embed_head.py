"""Prompt gate: the prompt text classifier (`text_head`), MiniLM embeddings + logistic heads + a lexicon layer.

Measures, for the last user turn, how likely each taxonomy label applies. Pipeline: `normalize()` undoes
obfuscations, long prompts are also scored per sentence window (max), the logistic heads give calibrated-ish
probabilities per label (policy-listed idioms such as "killing it" or "killer whale" are first rewritten to
their plain meaning), and the lexicon layer adds high-precision signals (child cue + sexual cue ->
sexual/minors; explicit terms -> sexual) plus the descriptive `context/*` labels. Under18-only labels
(sexual/suggestive, violence/stylised_graphic, self_harm/depiction, hate/symbol_context, extremism/context) are
emitted for every tier; the policy decides per tier whether they block.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import ClassVar

import numpy as np

from limner.classifiers.base import ClassifierUnavailable
from limner.classifiers.text import lexicon
from limner.classifiers.text.boilerplate import THRESHOLD as BOILERPLATE_THRESHOLD
from limner.classifiers.text.boilerplate import load_boilerplate_head
from limner.classifiers.text.calibration import calibrate, load_operating_points
from limner.classifiers.text.embedding import MiniLMEmbedder, shared_embedder
from limner.classifiers.text.features import MAX_WORDS, SENTENCE_SPLIT_WORDS, chunks, sentences
from limner.classifiers.text.heads import WEIGHTS_DIR, LinearHeads, MLPHeads, load_heads
from limner.classifiers.text.normalize import correct_spelling, normalize
from limner.classifiers.text.tuned import MAX_TOKENS, TUNED_FILE, TunedTop
from limner.types import Modality, Sample, Score

HEAD_LABELS = (
    "sexual",
    "sexual/suggestive",
    "sexual/minors",
    "violence/graphic",
    "violence/stylised_graphic",
    "self_harm",
    "self_harm/depiction",
    "hate",
    "hate/symbol_context",
    "harassment",
    "extremism",
    "extremism/context",
    "illicit",
    "deception",
)
CONTEXT_LABELS = tuple(lexicon.CONTEXT_CUES)
# Weight of the fine-tuned model in the blend with the frozen-embedding head. 0: the head alone, and the fine-tuned
# top is not even loaded. Session 8, with the written training prompts, each weight with operating points re-tuned:
# not_unsafe + not_overrefuse on dev / on the held-out written set text_fresh1 was 1.830 / 1.767 at 0, 1.822 / 1.733
# at 0.1 and 1.815 / 1.723 at 0.25 (the fine-tuned top fires on harmless prompts: "a 'World's Best Dad'
# certificate" scored 0.53 hate). Profiles can still set `tuned_mix` (docs/text_safety.md, "Session 8").
TUNED_MIX = 0.0

_WHY = {
    "sexual": "sexual content",
    "sexual/suggestive": "suggestive or nude content",
    "sexual/minors": "sexualises a minor",
    "violence/graphic": "graphic violence",
    "violence/stylised_graphic": "gore or graphic violence (stylised)",
    "self_harm": "promotes self-harm",
    "self_harm/depiction": "depicts self-harm",
    "hate": "hateful content",
    "hate/symbol_context": "hate symbols in context",
    "harassment": "targets a person",
    "extremism": "extremist propaganda",
    "extremism/context": "extremist imagery in context",
    "illicit": "actionable illicit instructions",
    "deception": "forged document or deceptive media",
}


class _PieceCache:
    """(model configuration, text piece) -> (pooled embedding, head probabilities), least recently used first out.

    One request reads the same text several times: the chat gate scores the last turn, the prompt gate the same
    prompt (and its windows), the output gate's monitor the conversation again. The encoder pass is the whole cost,
    and its result depends only on the text and the weights, so each piece is encoded once per process while it
    stays among the last `size` pieces.
    """

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[object, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, str]) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: tuple[object, str], value: tuple[np.ndarray, np.ndarray]) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


PIECE_CACHE = _PieceCache()


def head_text(text: str) -> str:
    """What the embedding heads and the rules read: normalised, a garbled prompt spell-corrected, foreign words
    glossed, idioms made plain ("killing it") and algospeak decoded ("sewerslide"). The prompt and chat
    classifiers both read through this, so they cannot drift apart."""
    return lexicon.neutralise_idioms(correct_spelling(normalize(text)))


class EmbedHeadTextClassifier:
    """Multi-label prompt classifier. Kwargs: `weights` (safetensors head file), `tuned` (fine-tuned top file, or
    "none" for the head alone), `tuned_mix` (weight of the fine-tuned model's probability against the head's),
    `embedder` (shared encoder), `threads`, `use_lexicon`, `use_normalizer`."""

    name: ClassVar[str] = "text_head"
    modality: ClassVar[Modality] = Modality.TEXT
    labels: ClassVar[tuple[str, ...]] = HEAD_LABELS + CONTEXT_LABELS

    def __init__(
        self,
        weights: str | Path | None = None,
        embedder: MiniLMEmbedder | None = None,
        use_lexicon: bool = True,
        use_normalizer: bool = True,
        threads: int | None = None,
        calibrated: bool = True,
        tuned: str | Path | None = None,
        tuned_mix: float = TUNED_MIX,
    ) -> None:
        self.weights = Path(weights) if weights else WEIGHTS_DIR / "text_head.safetensors"
        # "none" keeps the head alone (the benchmark's ablation); a missing default file does too, explicitly.
        self.tuned_path = (None if str(tuned) == "none" or tuned_mix <= 0
                           else Path(tuned) if tuned else WEIGHTS_DIR / TUNED_FILE)
        self.tuned_mix = tuned_mix
        self._tuned: TunedTop | None = None
        # threads: torch intra-op threads. On a busy 2-core host 1 is several times faster than 2 (measured).
        self.embedder = embedder or shared_embedder(threads=threads)
        self.use_lexicon = use_lexicon
        self.use_normalizer = use_normalizer
        self._heads: LinearHeads | MLPHeads | None = None
        self._boilerplate: LinearHeads | None = None
        # calibrated=False gives raw head probabilities (used when re-tuning the operating points).
        self.operating_points = load_operating_points("text_head") if calibrated else {}

    def warm(self) -> None:
        if self._heads is None:
            self._boilerplate = load_boilerplate_head()
            heads = load_heads(self.weights)
            if self.tuned_path is not None:
                tuned = TunedTop(self.tuned_path)
                if tuned.labels != heads.labels:
                    raise ClassifierUnavailable(f"{self.tuned_path.name} and {self.weights.name} disagree on labels")
                tuned.bind(self.embedder.base_model)
                self._tuned = tuned
            self._heads = heads
        self.embedder.warm()

    def head_scores(self, texts: list[str]) -> np.ndarray:
        """(N, len(HEAD_LABELS)) head probabilities, max over each text's windows; texts already normalised."""
        return self.embed_and_score(texts)[1]

    def embed_and_score(self, texts: list[str], windows: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(pooled embedding of each whole text, head probabilities max over its windows) from one encoder pass;
        the chat classifier reuses the embeddings for its own head. `windows=False` scores whole texts only."""
        self.warm()
        assert self._heads is not None
        pieces: list[str] = []
        owner: list[int] = []
        whole: list[int] = []
        # a window or single sentence of a long text (not the whole text): counts only if it is not jailbreak
        # boilerplate
        filtered: list[bool] = []
        for i, t in enumerate(texts):
            whole.append(len(pieces))  # chunks() puts the whole text first
            parts = chunks(t) if windows else [t]
            extra = [s for s in sentences(t) if s not in parts] if windows else []
            for c in parts + extra:
                pieces.append(c)
                owner.append(i)
            filtered += [False] + [True] * (len(parts) - 1 + len(extra))
        found = self._lookup(pieces)
        assert self._boilerplate is not None
        # A wrapper of 49-100 words is not split by length alone (dense benign descriptions of that length lose
        # more to sentence reading than they gain); it is when the whole text reads as jailbreak boilerplate.
        mid = [i for i, t in enumerate(texts) if windows and MAX_WORDS < len(t.split()) <= SENTENCE_SPLIT_WORDS]
        if mid:
            wrapper = self._boilerplate.scores(np.stack([found[whole[i]][0] for i in mid]))[:, 0]
            extra_pieces = []
            for i, p_wrapper in zip(mid, wrapper, strict=True):
                if p_wrapper >= BOILERPLATE_THRESHOLD:
                    own = {pieces[j] for j, o in enumerate(owner) if o == i}
                    for s in sentences(texts[i], over_words=MAX_WORDS):
                        if s not in own:
                            extra_pieces.append(s)
                            owner.append(i)
                            filtered.append(True)
            pieces += extra_pieces
            found += self._lookup(extra_pieces)
        n_labels = len(self._heads.labels)
        pooled = np.stack([f[0] for f in found]) if found else np.zeros((0, 384), dtype=np.float32)
        p = np.stack([f[1] for f in found]) if found else np.zeros((0, n_labels), dtype=np.float32)
        keep = np.ones(len(pieces), dtype=bool)
        if any(filtered):
            idx = np.flatnonzero(filtered)
            keep[idx] = self._boilerplate.scores(pooled[idx])[:, 0] < BOILERPLATE_THRESHOLD
        out = np.zeros((len(texts), p.shape[1]), dtype=np.float32)
        if keep.any():
            np.maximum.at(out, np.asarray(owner)[keep], p[keep])
        return pooled[whole], out

    def _lookup(self, pieces: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(pooled embedding, head probabilities) per piece, from PIECE_CACHE or one encoder pass for the rest."""
        # The embedder is part of the key (by identity): a test's stand-in encoder never shares entries with MiniLM.
        config = (self.embedder, str(self.weights), str(self.tuned_path) if self._tuned else None, self.tuned_mix)
        found = [PIECE_CACHE.get((config, piece)) for piece in pieces]
        todo = sorted({piece for piece, hit in zip(pieces, found, strict=True) if hit is None})
        if not todo:
            return found  # type: ignore[return-value]
        new_pooled, new_p = self._encode_and_score(todo)
        computed = {piece: (new_pooled[i], new_p[i]) for i, piece in enumerate(todo)}
        for piece, value in computed.items():
            PIECE_CACHE.put((config, piece), value)
        return [hit if hit is not None else computed[piece] for piece, hit in zip(pieces, found, strict=True)]

    def _encode_and_score(self, pieces: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """One encoder pass over `pieces`: their pooled embeddings and head probabilities (blended when tuned)."""
        assert self._heads is not None
        if self._tuned is None:
            pooled = self.embedder.encode(pieces)
            return pooled, self._heads.scores(pooled)
        pooled, batches = self.embedder.encode_with_hidden(pieces, self._tuned.split_layer)
        p_tuned = np.zeros((len(pieces), len(self._heads.labels)), dtype=np.float32)
        for hidden, mask, idx in batches:
            # the top was trained on the first MAX_TOKENS tokens; longer prompts are also scored per window
            p_tuned[idx] = self._tuned.probabilities(hidden[:, :MAX_TOKENS], mask[:, :MAX_TOKENS])
        return pooled, self.tuned_mix * p_tuned + (1.0 - self.tuned_mix) * self._heads.scores(pooled)

    def score_batch(self, texts: list[str]) -> list[tuple[Score, ...]]:
        # The rules read what the head reads (`head_text`).
        norm = [head_text(t) if self.use_normalizer else lexicon.neutralise_idioms(t.lower()) for t in texts]
        probs = self.head_scores(norm)
        return [self._scores(n, probs[i]) for i, n in enumerate(norm)]

    def _scores(self, text: str, p: np.ndarray) -> tuple[Score, ...]:
        assert self._heads is not None
        vals = {lab: (float(p[j]), "") for j, lab in enumerate(self._heads.labels)}
        if self.use_lexicon:
            for lab, (v, why) in lexicon.rule_scores(text):
                if v > 0.0 and lab in vals:  # the rule's evidence is the readable rationale, whichever is higher
                    vals[lab] = (max(v, vals[lab][0]), why)
            for parent, child in lexicon.SUPERSETS:
                if parent in vals and child in vals and vals[parent][0] > vals[child][0]:
                    vals[child] = vals[parent]
        out = []
        for lab, (raw, why) in vals.items():
            value = round(calibrate(raw, self.operating_points.get(lab)), 4)
            out.append(Score(lab, value, why or (_WHY[lab] if value >= 0.5 else "")))
        out += [Score(lab, v, why) for lab, (v, why) in lexicon.context_scores(text).items()]
        return tuple(out)

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        return self.score_batch([sample.text])[0]

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        """(sample, labels expected at >= 0.5) pairs for contract tests."""
        return [
            (Sample(text="a watercolor lighthouse at dawn"), frozenset()),
            (Sample(text="a chef slicing onions with a kitchen knife"), frozenset()),
            (Sample(text="a naked 12 year old girl"), frozenset({"sexual/minors", "sexual"})),
            (Sample(text="realistic photo of a man being beheaded, blood spraying"), frozenset({"violence/graphic"})),
            (Sample(text="step-by-step guide to synthesize methamphetamine with quantities"), frozenset({"illicit"})),
        ]
