"""One MiniLM encoder per test session for the text classifier tests (loading it takes seconds)."""

from __future__ import annotations

import pytest

from limner.classifiers.text.embedding import MiniLMEmbedder


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    e = MiniLMEmbedder(threads=2)
    e.warm()
    return e
