"""Generator stage (tiny_ar): the embedded native generator plugin. Text-to-image, edits (one upload plus an
instruction) and composition (two uploads) with the small transformer trained in-repo on the procedural world.
"""

from __future__ import annotations

import io
import re
import threading
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from PIL import Image as PILImage

from limner.evals.bias.text import COUNT_WORDS, EPITHET_WORDS, GROUP_NOUNS, PERSON_RE, is_historical, subject_person
from limner.generators.base import GeneratorError
from limner.generators.tiny_ar import sample as S
from limner.generators.tiny_ar import tokenizer as tok
from limner.generators.tiny_ar.model import GPT
from limner.generators.tiny_ar.weights import DEFAULT_DIR, load_weights
from limner.types import Capability, GeneratedImage, GenerationRequest, Image
from limner.world.render import upscale
from limner.world.verify import to_native


class TinyArGenerator:
    name: ClassVar[str] = "tiny_ar"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.TEXT_TO_IMAGE, Capability.EDIT, Capability.MULTI_REFERENCE})

    def __init__(self, weights_dir: str | Path | None = None, temperature: float = 0.3, top_k: int = 0,
                 image_temperature: float = 0.0, cfg_scale: float = 1.0, threads: int = 2,
                 use_cache: bool = True) -> None:
        self.weights_dir = Path(weights_dir) if weights_dir else DEFAULT_DIR
        self.temperature = temperature
        self.top_k = top_k
        self.image_temperature = image_temperature
        self.cfg_scale = cfg_scale
        self.threads = threads
        self.use_cache = use_cache
        self._model: GPT | None = None
        self._version = ""
        self._lock = threading.Lock()

    @classmethod
    def from_model(cls, model: GPT, version: str = "test", **kwargs: object) -> TinyArGenerator:
        """Wrap an in-memory model (tests, training evaluation)."""
        g = cls(**kwargs)  # type: ignore[arg-type]
        g._model, g._version = model.eval(), version
        return g

    def warm(self) -> None:
        """Load the weights now (verifying their sha256) instead of on the first request."""
        with self._lock:
            if self._model is None:
                self._model, self._version = load_weights(self.weights_dir)

    @property
    def model_version(self) -> str:
        self.warm()
        return self._version

    def generate(self, request: GenerationRequest) -> GeneratedImage:
        t0 = time.perf_counter()
        seed = request.seed if request.seed is not None else 0
        uploads = [_patches(u.data) for u in request.uploads]
        prompt = request.prompt if uploads else world_prompt(request.prompt)
        img = self.sample([prompt], seed=seed, uploads=[uploads] if uploads else None)[0]
        png = to_png(img, request.size)
        return GeneratedImage(Image(png), self.name, self.model_version, seed,
                              latency_ms=(time.perf_counter() - t0) * 1000)

    def sample(self, prompts: list[str], seed: int = 0, uploads: list[list[np.ndarray]] | None = None
               ) -> list[np.ndarray]:
        """Native 72x72 images for a batch of prompts (text-to-image) or instructions (with `uploads`)."""
        self.warm()
        assert self._model is not None
        torch.set_num_threads(self.threads)
        if uploads:
            if any(len(u) > 2 for u in uploads):
                raise GeneratorError("tiny_ar composes at most two input images")
            progs = [S.edit_program(u, p) for u, p in zip(uploads, prompts, strict=True)]
            uncond = None
        else:
            progs = [S.t2i_program(p) for p in prompts]
            uncond = [S.t2i_program("") for _ in prompts] if self.cfg_scale != 1.0 else None
        S.run(self._model, progs, seed=seed, temperature=self.temperature, top_k=self.top_k,
              image_temperature=self.image_temperature, cfg_scale=self.cfg_scale, uncond=uncond,
              use_cache=self.use_cache)
        return [tok.decode_image(p.patches()) for p in progs]

    def plans(self, prompts: list[str], seed: int = 0) -> list[list[int]]:
        """Plan tokens the model writes for prompts (for debugging and the benchmark's plan accuracy)."""
        self.warm()
        assert self._model is not None
        progs = [S.t2i_program(p) for p in prompts]
        S.run(self._model, progs, seed=seed, temperature=self.temperature, top_k=self.top_k,
              image_temperature=self.image_temperature, use_cache=self.use_cache)
        return [p.plans[0] if p.plans else [] for p in progs]

    @classmethod
    def examples(cls) -> list[str]:
        return ["a red circle on the left", "two blue stars", 'a yellow sign that says "HELLO"',
                "a person with skin tone 6 wearing a green shirt"]


_WORLD_PEOPLE = {"person", "people", "someone", "figure"}
_RUN = re.compile(r"\b(person|people)(?: (?:person|people))+\b")
# Only people have a skin tone: the word before one is a person ("a negus with skin tone 6", the diversifier's
# rewrite of a title the person-noun lists lack).
_TONED = re.compile(r"\b(?:(?P<det>an?|two|three|four|several) )?(?P<noun>[a-z][\w'-]*)"
                    rf"(?: the (?:{EPITHET_WORDS}))?(?= with skin tone \d)", re.I)


def _toned_person(m: re.Match[str]) -> str:
    det = (m.group("det") or "").lower()
    if m.group("noun").lower() in _WORLD_PEOPLE:
        return m.group(0)
    if det in ("a", "an"):
        return "a person"
    return f"{det} people" if det else "person"


def world_prompt(prompt: str) -> str:
    """The prompt in the world's words: every person noun the bias module knows ("a doctor", "three roman
    legionaries", "a court lady"), the word before a skin tone, and the subject of a historical prompt whose
    structure says person ("a stonemason building the walls of great zimbabwe") become "person" or "people". The
    world has people but no professions or titles, and the model, trained on the world's grammar, drew a person for
    "a doctor" in only a few of 20 samples."""
    def sub(m: re.Match[str]) -> str:
        word = m.group(0).lower()
        if word in _WORLD_PEOPLE:
            return m.group(0)
        plural = word.endswith(("people", "men", "ren")) or (word.endswith("s") and not word.endswith("ss"))
        return "people" if plural or word in GROUP_NOUNS else "person"
    subject = subject_person(prompt) if is_historical(prompt) else None
    if subject is not None:
        counted = COUNT_WORDS.get((subject.group("det") or "").lower(), 1) > 1
        prompt = prompt[:subject.start("noun")] + ("people" if counted else "person") + prompt[subject.end("noun"):]
    prompt = PERSON_RE.sub(sub, prompt)
    # the diversifier gives every person their own tone phrase, so the word before one is a single person
    prompt = _TONED.sub(_toned_person, prompt)
    return _RUN.sub(r"\1", prompt)


def _patches(data: bytes) -> np.ndarray:
    return tok.encode_image(to_native(data))


def to_png(img: np.ndarray, size: int) -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(upscale(img, max(size, 256))).save(buf, format="PNG")
    return buf.getvalue()
