"""The "vendor's" long-lived keys: firmware signing key and telemetry CA.

They are generated once per cache directory (never committed) and baked into the firmware: the
public signing key verifies updates, the CA certificate pins the telemetry collector.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from refbench.config import SUBNET_CANDIDATES

_NOT_BEFORE = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
_NOT_AFTER = datetime.datetime(2044, 1, 1, tzinfo=datetime.UTC)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def signing_key_path(keydir: Path) -> Path:
    """Where the vendor's Ed25519 firmware signing key (PKCS#8 PEM) is kept."""
    return keydir / "fw-signing.pem"


def ensure_vendor_keys(keydir: Path) -> None:
    """Create the signing key, a wrong (attacker) key, and the telemetry CA + collector cert if missing."""
    keydir.mkdir(parents=True, exist_ok=True)
    for name in ("fw-signing.pem", "wrong-signing.pem"):
        p = keydir / name
        if not p.exists():
            key = ed25519.Ed25519PrivateKey.generate()
            _write_private(p, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    pub = keydir / "fw-signing.pub.pem"
    if not pub.exists():
        pub.write_bytes(load_signing_key(signing_key_path(keydir)).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    if not (keydir / "collector.crt").exists():
        _make_telemetry_pki(keydir)


def load_signing_key(path: Path) -> ed25519.Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return key


def _make_telemetry_pki(keydir: Path) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RB-100 Telemetry CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(_NOT_BEFORE).not_valid_after(_NOT_AFTER)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    # why: the collector runs at the lab-side address of whichever candidate subnet the bench picks
    sans: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address(str(next(ipaddress.ip_network(n).hosts()))))
        for n in SUBNET_CANDIDATES
    ]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "telemetry-collector")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(_NOT_BEFORE).not_valid_after(_NOT_AFTER)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (keydir / "telemetry-ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    _write_private(keydir / "collector.key", key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (keydir / "collector.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
