"""Generator protocol: the stage that turns an allowed request into image bytes."""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

from limner.types import Capability, GeneratedImage, GenerationRequest


class GeneratorError(RuntimeError):
    """The generator cannot serve this request (unsupported capability, missing weights...)."""


@runtime_checkable
class Generator(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]

    def generate(self, request: GenerationRequest) -> GeneratedImage:
        """Text-to-image when `request.uploads` is empty, an edit with one upload, composition with several.

        Deterministic for a given `request.seed`. Returns an image at least `request.size` pixels square.
        """
        ...
