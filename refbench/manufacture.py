"""Manufacturing of one unit: identity, admin password, keys, flash image, strap/OTP disk, label.

Run on the host when a bench comes up.  The unit's unique admin password comes from ``secrets``
(the OS CSPRNG) unless a password defect asks for a default, shared or derived one; only its
SHA-512-crypt hash goes to flash.  Private keys go to flash sealed with a key derived from the
unit's hardware unique key (HUK), which lives on the separate OTP disk, never on the flash.

Flash layout (MBR, 1 MiB aligned): p1 ``factory`` ext4 4 MiB (read-only at run time),
p2 ``fw`` ext4 8 MiB (installed update + version), p3 ``data`` ext4 16 MiB (settings, credentials,
user data; zeroed by a factory reset).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from pydantic import BaseModel, ConfigDict

from refbench.config import ADMIN_USER, FIRMWARE_VERSION, MODEL_NUMBER, TELEMETRY_PORT
from refbench.defects import device_defects
from refbench.errors import BenchError

SHARED_PASSWORD = "Rb100-Fleet-2024!"  # defect shared_password: the same on every unit
DEFAULT_PASSWORD = "admin"  # defect default_password
MIB = 1024 * 1024
PARTITIONS: tuple[tuple[str, int], ...] = (("factory", 4), ("fw", 8), ("data", 16))
OTP_SIZE = 4096
_PW_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O/1/l/I: printed label


class Unit(BaseModel):
    """What manufacturing produced for one unit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    serial: str
    mac: str
    admin_user: str
    admin_password: str
    flash_image: Path
    otp_image: Path
    label_file: Path


def mac_for_serial(serial: str) -> str:
    """Locally administered unicast MAC derived from the serial (stable per unit)."""
    d = hashlib.sha256(serial.encode()).digest()
    return "02:52:42:" + ":".join(f"{b:02x}" for b in d[:3])


def derived_password(serial: str, mac: str) -> str:
    """Defect derived_password: 'rb' + last 3 MAC bytes + last 4 serial characters (guessable)."""
    return "rb" + mac.replace(":", "")[-6:] + serial[-4:]


def choose_password(serial: str, mac: str, defects: frozenset[str]) -> str:
    """The unit's admin password: unique random unless a password defect says otherwise."""
    if "default_password" in defects:
        return DEFAULT_PASSWORD
    if "shared_password" in defects:
        return SHARED_PASSWORD
    if "derived_password" in defects:
        return derived_password(serial, mac)
    groups = ["".join(secrets.choice(_PW_ALPHABET) for _ in range(4)) for _ in range(4)]
    return "-".join(groups)  # 16 symbols from 56: ~93 bits from the OS CSPRNG


def sha512_crypt(password: str) -> str:
    """SHA-512-crypt hash via openssl (the same format /etc/shadow, sshd and busybox login use)."""
    proc = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password.encode(), capture_output=True,
                          check=False)
    if proc.returncode != 0:
        raise BenchError("'openssl passwd -6' failed: install the Debian package 'openssl'")
    return proc.stdout.decode().strip()


def seal(huk: bytes, label: str, plain: bytes) -> bytes:
    """Encrypt like the device does (openssl enc AES-256-CBC, PBKDF2 passphrase = HMAC(HUK, label))."""
    env = {"RBPASS": hmac.new(huk, label.encode(), hashlib.sha256).hexdigest(), "PATH": os.environ.get("PATH", "")}
    proc = subprocess.run(["openssl", "enc", "-aes-256-cbc", "-pbkdf2", "-iter", "10000", "-md", "sha256", "-salt",
                           "-a", "-A", "-pass", "env:RBPASS"], input=plain, capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        raise BenchError(f"openssl enc failed: {proc.stderr.decode()[-200:]}")
    return proc.stdout.strip()


def _pem_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _self_signed(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, serial: str, addrs: list[str]) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"rb100-{serial.lower()}"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JC-STAR Reference Bench")])
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    san: list[x509.GeneralName] = [x509.DNSName(f"rb100-{serial.lower()}.local")]
    san += [x509.IPAddress(ipaddress.ip_address(a)) for a in addrs]
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def mkfs_ext4(image: Path, size_mib: int, label: str, content: Path | None) -> None:
    """Create an ext4 file-system image (optionally populated from a directory)."""
    if not shutil.which("mke2fs"):
        raise BenchError("mke2fs is missing: install the Debian package 'e2fsprogs'")
    cmd = ["mke2fs", "-q", "-F", "-t", "ext4", "-L", label, "-E", "root_owner=0:0", "-b", "1024"]
    if content is not None:
        cmd += ["-d", str(content)]
    proc = subprocess.run([*cmd, str(image), f"{size_mib}M"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError(f"mke2fs failed: {proc.stderr.strip()}")


def mbr(parts: list[tuple[int, int]], disk_id: int) -> bytes:
    """A classic MBR with Linux (0x83) partitions given as (start_lba, sectors)."""
    sector = bytearray(512)
    struct.pack_into("<I", sector, 440, disk_id)
    for i, (start, count) in enumerate(parts):
        struct.pack_into("<B3sB3sII", sector, 446 + 16 * i, 0, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", start, count)
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def assemble_flash(dest: Path, images: list[Path]) -> None:
    """Concatenate partition images behind an MBR, each starting on a 1 MiB boundary."""
    parts: list[tuple[int, int]] = []
    offset = MIB
    for img in images:
        size = img.stat().st_size
        parts.append((offset // 512, size // 512))
        offset += -(-size // MIB) * MIB
    with open(dest, "wb") as out:
        out.write(mbr(parts, 0x52423130))
        for img, (start, _) in zip(images, parts, strict=True):
            out.seek(start * 512)
            with open(img, "rb") as src:
                shutil.copyfileobj(src, out)
        out.truncate(offset)


def manufacture(unit_dir: Path, serial: str, defects: frozenset[str], *, ipv4: str, ipv6: str | None,
                lab_ipv4: str) -> Unit:
    """Produce flash.img, otp.img and label.txt for one unit in ``unit_dir``."""
    unit_dir.mkdir(parents=True, exist_ok=True)
    mac = mac_for_serial(serial)
    password = choose_password(serial, mac, defects)
    huk = secrets.token_bytes(32)
    plaintext = "plaintext_secrets" in defects
    with tempfile.TemporaryDirectory(dir=unit_dir) as td:
        fac = Path(td) / "factory"
        fac.mkdir()
        factory: dict[str, object] = {"model": MODEL_NUMBER, "serial": serial, "mac": mac, "admin_user": ADMIN_USER,
                                      "admin_hash": sha512_crypt(password),
                                      "manufactured": datetime.date.today().isoformat()}
        if plaintext:
            factory["admin_password"] = password  # defect: cleartext credential on flash
        (fac / "factory.json").write_text(json.dumps(factory, indent=1, sort_keys=True))
        addrs = [ipv4.split("/")[0]] + ([ipv6.split("/")[0]] if ipv6 else [])
        secrets_out: dict[str, bytes] = {}
        tls_key = ec.generate_private_key(ec.SECP256R1())
        (fac / "tls.crt").write_bytes(_self_signed(tls_key, serial, addrs))
        secrets_out["tls.key"] = _pem_key(tls_key)
        if "weak_tls" in defects:
            weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
            (fac / "tls-weak.crt").write_bytes(_self_signed(weak, serial, addrs))
            secrets_out["tls-weak.key"] = _pem_key(weak)
        ssh_key = ed25519.Ed25519PrivateKey.generate()
        secrets_out["ssh_host_ed25519_key"] = ssh_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
        for name, data in secrets_out.items():
            if plaintext:
                (fac / name).write_bytes(data)
            else:
                (fac / (name + ".enc")).write_bytes(seal(huk, name, data))
        for f in fac.iterdir():
            f.chmod(0o600 if f.suffix in (".enc", ".key") or "key" in f.name else 0o644)
        images = []
        for (label, size), content in zip(PARTITIONS, (fac, None, None), strict=True):
            img = Path(td) / f"{label}.img"
            mkfs_ext4(img, size, label, content)
            images.append(img)
        flash = unit_dir / "flash.img"
        assemble_flash(flash, images)
    # Document defects (device=False) change nothing on the unit: only device defects reach the strap disk.
    otp = {"defects": sorted(device_defects(defects)), "huk": huk.hex(), "ipv4": ipv4, "ipv6": ipv6,
           "lab_ipv4": lab_ipv4, "telemetry_port": TELEMETRY_PORT}
    if "boot_log_secrets" in defects:
        otp["provisioning_password"] = password  # defect: the boot script prints it on the console
    blob = json.dumps(otp, sort_keys=True).encode()
    otp_path = unit_dir / "otp.img"
    otp_path.write_bytes(blob + b"\0" * (OTP_SIZE - len(blob)))
    otp_path.chmod(0o600)
    label_path = unit_dir / "label.txt"
    lines: list[str] = []
    if "no_model_number" not in defects:
        lines.append(f"Model: {MODEL_NUMBER}")
    lines += ["Product: JC-STAR reference IoT device", f"Serial: {serial}", f"MAC: {mac}",
              f"Admin user: {ADMIN_USER}", f"Admin password: {password}", f"Firmware: {FIRMWARE_VERSION}"]
    label_path.write_text("\n".join(lines) + "\n")
    label_path.chmod(0o600)
    return Unit(serial=serial, mac=mac, admin_user=ADMIN_USER, admin_password=password, flash_image=flash,
                otp_image=otp_path, label_file=label_path)


def read_label(path: Path) -> dict[str, str]:
    """Parse a label file into {field: value}."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        k, sep, v = line.partition(": ")
        if sep:
            out[k.strip()] = v.strip()
    return out
