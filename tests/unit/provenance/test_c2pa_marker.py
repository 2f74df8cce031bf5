"""C2PA marker: sign and read back (Trusted / Valid), tamper -> Invalid, strip -> Absent, dev cert properties."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from PIL import Image

from limner.provenance.base import C2paState, ProvenanceManifest, WatermarkPayload
from limner.provenance.c2pa import C2paMarker
from limner.provenance.certs import DevCertPaths
from limner.provenance.robustness import jpeg, strip_metadata
from tests.unit.provenance.conftest import encode

MANIFEST = ProvenanceManifest(
    generator="tiny_ar",
    generator_version="sha256:abc123",
    audit_id="req-42",
    payload=WatermarkPayload(3, 99),
    ingredient_sha256=("ab" * 32,),
)


@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_signed_output_reads_back_trusted(cert_dir: Path, scene: Image.Image, fmt: str, mime: str) -> None:
    marker = C2paMarker(dev_cert_dir=cert_dir)
    signed = marker.mark(encode(scene, fmt), MANIFEST)
    report = marker.detect(signed)
    assert report.c2pa_state == C2paState.TRUSTED
    assert report.found and report.failures == ()
    assert "C2PA signer" in report.signer
    assertion = json.loads(report.detail)
    assert assertion["audit_id"] == "req-42"
    assert assertion["generator"] == "tiny_ar"
    assert assertion["ingredients"] == [{"sha256": "ab" * 32}]
    definition = marker.manifest_definition(MANIFEST)
    action = definition["assertions"][0]["data"]["actions"][0]
    assert action["action"] == "c2pa.created"
    assert action["digitalSourceType"].endswith("/trainedAlgorithmicMedia")


def test_without_trust_anchor_reads_valid_untrusted(cert_dir: Path, scene: Image.Image, tmp_path: Path) -> None:
    signed = C2paMarker(dev_cert_dir=cert_dir).mark(encode(scene), MANIFEST)
    report = C2paMarker(dev_cert_dir=tmp_path / "no-certs-here").detect(signed)
    assert report.c2pa_state == C2paState.VALID
    assert "signingCredential.untrusted" in report.failures


def test_tampered_pixels_read_invalid(cert_dir: Path, scene: Image.Image) -> None:
    marker = C2paMarker(dev_cert_dir=cert_dir)
    signed = bytearray(marker.mark(encode(scene, "JPEG"), MANIFEST))
    # Flip a byte of entropy-coded scan data, just before the EOI marker: the manifest stays, the hash breaks.
    signed[-10] ^= 0x55
    report = marker.detect(bytes(signed))
    assert report.c2pa_state == C2paState.INVALID
    assert report.found and report.failures


@pytest.mark.parametrize("strip", [strip_metadata, jpeg(90)])
def test_reencode_strips_manifest(cert_dir: Path, scene: Image.Image, strip: object) -> None:
    marker = C2paMarker(dev_cert_dir=cert_dir)
    signed = marker.mark(encode(scene), MANIFEST)
    report = marker.detect(strip(signed))  # type: ignore[operator]
    assert report.c2pa_state == C2paState.ABSENT and not report.found


def test_missing_certs_are_created_on_first_sign(tmp_path: Path, scene: Image.Image) -> None:
    target = tmp_path / "data" / "certs"
    marker = C2paMarker(dev_cert_dir=target)
    assert not target.exists()  # lazily: constructing a verifier writes nothing
    signed = marker.mark(encode(scene), MANIFEST)
    assert (target / "signer-chain.pem").exists() and (target / "signer-key.pem").stat().st_mode & 0o777 == 0o600
    assert marker.detect(signed).c2pa_state == C2paState.TRUSTED


def test_configured_certificate_is_used(dev_certs: DevCertPaths, scene: Image.Image, tmp_path: Path) -> None:
    marker = C2paMarker(cert_chain=dev_certs.chain, private_key=dev_certs.key, trust_anchor=dev_certs.ca)
    assert marker.detect(marker.mark(encode(scene), MANIFEST)).c2pa_state == C2paState.TRUSTED
    assert not (tmp_path / "certs").exists()
    with pytest.raises(ValueError, match="together"):
        C2paMarker(cert_chain=dev_certs.chain)


def test_dev_leaf_has_c2pa_key_usages_and_long_validity(dev_certs: DevCertPaths) -> None:
    leaf, ca = x509.load_pem_x509_certificates(dev_certs.chain.read_bytes())
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.issuer == ca.subject
    # No timestamp authority: the manifest turns Invalid when the leaf expires, so it must outlive the images.
    assert leaf.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=365 * 20)


def test_non_image_is_absent(cert_dir: Path) -> None:
    report = C2paMarker(dev_cert_dir=cert_dir).detect(b"not an image")
    assert report.c2pa_state == C2paState.ABSENT
