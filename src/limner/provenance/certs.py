"""Provenance stage: the signing credentials the C2PA marker uses (development CA, ES256 leaf, loading).

Decides nothing about content. A fresh install has no certificate, so `create_dev_certs` builds a local development
CA and an ES256 leaf with the extensions the C2PA trust model checks (see docs/provenance.md). Production deployments
point the marker at a certificate issued by a CA on the C2PA trust list instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CHAIN_FILE = "signer-chain.pem"  # leaf then CA, the order c2pa expects
KEY_FILE = "signer-key.pem"  # PKCS#8 PEM
CA_FILE = "dev-ca.pem"  # trust anchor for local verification
CA_KEY_FILE = "dev-ca-key.pem"


def default_cert_dir() -> Path:
    """Per-user data dir, never the repo: keys must not end up in a checkout."""
    return Path.home() / ".local" / "share" / "limner" / "certs"


@dataclass(frozen=True)
class SigningMaterial:
    chain_pem: bytes
    key_pem: bytes
    trust_anchor_pem: bytes | None  # None: read-back can reach Valid but never Trusted


@dataclass(frozen=True)
class DevCertPaths:
    chain: Path
    key: Path
    ca: Path


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def create_dev_certs(
    directory: Path,
    organisation: str = "limner development",
    validity_days: int = 365 * 30,
    overwrite: bool = False,
) -> DevCertPaths:
    """Write a development CA and an ES256 C2PA signing leaf into `directory`.

    The leaf is long-lived on purpose: with no timestamp authority, a manifest reads Invalid
    (`signingCredential.expired`) as soon as the leaf expires.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = DevCertPaths(chain=directory / CHAIN_FILE, key=directory / KEY_FILE, ca=directory / CA_FILE)
    if paths.chain.exists() and paths.key.exists() and not overwrite:
        return paths
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # tolerate small clock skew between hosts
    until = now + dt.timedelta(days=validity_days)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{organisation} root CA", organisation)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organisation} C2PA signer", organisation))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # C2PA requires digitalSignature and an EKU it accepts (emailProtection is one); a leaf without them, or a
        # self-signed leaf, is refused at signing time.
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    nocrypt = serialization.NoEncryption()
    ca_pem = ca_cert.public_bytes(pem)
    _write_private(paths.key, leaf_key.private_bytes(pem, pkcs8, nocrypt))
    _write_private(directory / CA_KEY_FILE, ca_key.private_bytes(pem, pkcs8, nocrypt))
    paths.chain.write_bytes(leaf_cert.public_bytes(pem) + ca_pem)
    paths.ca.write_bytes(ca_pem)
    return paths


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


def load_signing_material(chain: Path, key: Path, trust_anchor: Path | None) -> SigningMaterial:
    anchor = trust_anchor.read_bytes() if trust_anchor is not None and trust_anchor.exists() else None
    return SigningMaterial(chain_pem=chain.read_bytes(), key_pem=key.read_bytes(), trust_anchor_pem=anchor)
