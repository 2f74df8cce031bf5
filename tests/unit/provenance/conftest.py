from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from limner.provenance.certs import DevCertPaths, create_dev_certs
from limner.provenance.robustness import render_natural, render_scene


def encode(im: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
    return buf.getvalue()


@pytest.fixture(scope="session")
def dev_certs(tmp_path_factory: pytest.TempPathFactory) -> DevCertPaths:
    return create_dev_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def cert_dir(dev_certs: DevCertPaths) -> Path:
    return dev_certs.chain.parent


@pytest.fixture
def scene() -> Image.Image:
    return render_scene(np.random.default_rng(7))


@pytest.fixture
def natural() -> Image.Image:
    return render_natural(np.random.default_rng(11))
