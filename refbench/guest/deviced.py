"""Device daemon of the reference bench's emulated product ("RB-100"), run inside the guest.

It owns everything a small embedded Linux product's vendor application would: network setup,
accounts and their lockout, the SSH server (OpenSSH, restricted to modern algorithms), the HTTPS
web admin and REST API, firmware update verification, factory reset, telemetry, and the CLI
back end used by the SSH/console shell (``devcli``).  Deliberate defects are read at boot from the
OTP/strap disk (``/run/otp.json``, written by ``/init``) and switch individual behaviours.

Standard library only: the guest has a trimmed CPython and no site-packages.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import html
import http.server
import json
import os
import re
import secrets
import shlex
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # why: the guest verifies SHA-512-crypt hashes that also /etc/shadow (sshd, login) uses

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwformat  # type: ignore[import-not-found,unused-ignore]

FACTORY = "/factory"
FWDIR = "/fw"
DATA = "/data"
RUN = "/run/device"
OTP_FILE = "/run/otp.json"
FW_INFO = "/etc/device/firmware.json"
FW_PUBKEY = "/etc/device/fw-signing.pub.pem"
TELEMETRY_CA = "/etc/device/telemetry-ca.pem"
CLI_SOCKET = "/run/device/cli.sock"
ADMIN_UID = 1000
LOG_FILE = "/run/device/deviced.log"
IFACE = "eth0"

# Brute-force policy (hardened): lock the account after MAX_FAILURES consecutive failed network
# logins; each further lockout doubles the duration up to LOCK_MAX_S.  A success resets everything.
MAX_FAILURES = 5
LOCK_BASE_S = 30.0
LOCK_MAX_S = 300.0
SESSION_TTL_S = 900.0
MAX_BODY = 16 * 1024 * 1024
COMMON_PASSWORDS = {"admin", "password", "12345678", "123456789", "1234567890", "qwerty123", "letmein123"}

# security.txt (RFC 9116): the vendor's vulnerability contacts, as its disclosure policy gives them
# (refbench/documents/vulnerability-disclosure-policy.md, section 3.1).  Expires moves with the clock.
SECURITY_TXT_PATH = "/.well-known/security.txt"
SECURITY_TXT_VALID_S = 180 * 86400
SECURITY_TXT = """# RB-100 (JC-STAR Reference Bench): how to report a security vulnerability
Contact: mailto:security@rb100.example
Contact: https://rb100.example/security/report
Expires: {expires}
Encryption: https://rb100.example/security/pgp-key.asc
Policy: https://rb100.example/security/vdp
Preferred-Languages: ja, en
Canonical: https://{host}/.well-known/security.txt
"""
HOST_HEADER = re.compile(r"(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,253})(:[0-9]{1,5})?")

_log_lock = threading.Lock()


def log(msg: str) -> None:
    """Append a timestamped line to the device log (tmpfs, lost at power off like a RAM log)."""
    with _log_lock, open(LOG_FILE, "a", encoding="utf-8") as fh:
        fh.write(f"{time.monotonic():10.3f} {msg}\n")


def run(cmd: list[str], *, check: bool = True, input_: bytes | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a helper program (busybox applets, openssl) and log failures."""
    proc = subprocess.run(cmd, input=input_, capture_output=True, env=env, check=False)
    if check and proc.returncode != 0:
        log(f"command failed {cmd[:3]}: rc={proc.returncode} {proc.stderr[:300]!r}")
        raise RuntimeError(f"{cmd[0]} failed")
    return proc


def read_json(path: str, default: Any = None) -> Any:
    """Read a JSON file, returning ``default`` if it is missing or corrupt (e.g. after power loss)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return default


def write_durable(path: str, data: bytes) -> None:
    """Write a file atomically and durably (tmp + fsync + rename + fsync dir): survives power loss."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def write_json(path: str, obj: Any) -> None:
    """Durable JSON write."""
    write_durable(path, json.dumps(obj, indent=1, sort_keys=True).encode())


class Device:
    """State and behaviour of one unit."""

    def __init__(self) -> None:
        self.otp: dict[str, Any] = read_json(OTP_FILE, {})
        self.defects: set[str] = set(self.otp.get("defects", []))
        self.factory: dict[str, Any] = read_json(os.path.join(FACTORY, "factory.json"), {})
        self.fwinfo: dict[str, Any] = read_json(FW_INFO, {})
        self.huk = bytes.fromhex(str(self.otp.get("huk", "00")))
        self.lock = threading.RLock()
        self.failures = 0
        self.lock_count = 0
        self.locked_until = 0.0
        self.sessions: dict[str, float] = {}
        self.boot_time = time.monotonic()
        self.settings_dir = os.path.join(RUN, "volatile") if self.has("settings_lost_on_power_loss") \
            else os.path.join(DATA, "config")
        self.reset_started = False
        self.telemetry_seq = 0

    def has(self, defect: str) -> bool:
        """True if the named defect is switched on for this boot."""
        return defect in self.defects

    # ---- secrets protection -------------------------------------------------------------
    def derived_pass(self, label: str) -> str:
        """Passphrase for one protected item, derived from the hardware unique key (never on flash)."""
        return hmac.new(self.huk, label.encode(), hashlib.sha256).hexdigest()

    def seal(self, label: str, plain: bytes) -> str:
        """Encrypt a small secret for flash storage (AES-256-CBC, PBKDF2 key from the HUK)."""
        env = {"RBPASS": self.derived_pass(label), "PATH": "/usr/bin:/bin"}
        out = run(["openssl", "enc", "-aes-256-cbc", "-pbkdf2", "-iter", "10000", "-md", "sha256",
                   "-salt", "-a", "-A", "-pass", "env:RBPASS"], input_=plain, env=env).stdout
        return out.decode().strip()

    def unseal(self, label: str, blob: str) -> bytes:
        """Inverse of :meth:`seal`."""
        env = {"RBPASS": self.derived_pass(label), "PATH": "/usr/bin:/bin"}
        return run(["openssl", "enc", "-d", "-aes-256-cbc", "-pbkdf2", "-iter", "10000", "-md", "sha256",
                    "-a", "-A", "-pass", "env:RBPASS"], input_=blob.encode() + b"\n", env=env).stdout

    def factory_secret_file(self, name: str, dest: str) -> str:
        """Materialise a factory key in tmpfs: decrypt ``name.enc`` or copy a plaintext ``name``."""
        src = os.path.join(FACTORY, name)
        if os.path.exists(src + ".enc"):
            with open(src + ".enc", encoding="ascii") as fh:
                data = self.unseal(name, fh.read())
        else:
            with open(src, "rb") as fh:
                data = fh.read()
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return dest

    # ---- firmware / model ---------------------------------------------------------------
    def firmware_version(self) -> str:
        """Installed firmware version: the last installed update, else the image's own version."""
        inst = read_json(os.path.join(FWDIR, "installed.json"), None)
        if isinstance(inst, dict) and inst.get("version"):
            return str(inst["version"])
        return str(self.fwinfo.get("version", "0.0.0"))

    def model_number(self) -> str | None:
        """Model number the device displays (None with the ``no_model_number`` defect)."""
        return None if self.has("no_model_number") else str(self.factory.get("model", ""))

    # ---- settings & user data -----------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """Current settings, with defaults filled in."""
        cur = read_json(os.path.join(self.settings_dir, "settings.json"), {}) or {}
        base = {"hostname": "refbench", "ntp_server": "", "telemetry_interval": 10, "description": ""}
        base.update({k: v for k, v in cur.items() if k in base})
        return base

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Validate and store new settings; raises ValueError with a message on bad input."""
        cur = self.settings()
        for key, val in changes.items():
            if key == "hostname":
                if not isinstance(val, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}", val):
                    raise ValueError("hostname: 1-63 letters, digits or '-'")
            elif key == "ntp_server":
                if not isinstance(val, str) or len(val) > 253 or not re.fullmatch(r"[A-Za-z0-9.:-]*", val):
                    raise ValueError("ntp_server: host name or address")
            elif key == "telemetry_interval":
                try:
                    val = int(val)
                except (TypeError, ValueError) as exc:
                    raise ValueError("telemetry_interval: integer seconds") from exc
                if not 5 <= val <= 3600:
                    raise ValueError("telemetry_interval: 5..3600")
            elif key == "description":
                if not isinstance(val, str) or len(val) > 200:
                    raise ValueError("description: text up to 200 characters")
            else:
                raise ValueError(f"unknown setting {key!r}")
            cur[key] = val
        if self.has("settings_lost_on_power_loss"):
            os.makedirs(self.settings_dir, exist_ok=True)
            with open(os.path.join(self.settings_dir, "settings.json"), "w", encoding="utf-8") as fh:
                json.dump(cur, fh)  # why (defect): kept in RAM only, gone at the next power loss
        else:
            write_json(os.path.join(self.settings_dir, "settings.json"), cur)
        self.apply_hostname(str(cur["hostname"]))
        log(f"settings changed: {sorted(changes)}")
        return cur

    def apply_hostname(self, name: str) -> None:
        """Set the kernel host name (shown in the console login prompt)."""
        with contextlib.suppress(OSError), open("/proc/sys/kernel/hostname", "w", encoding="ascii") as fh:
            fh.write(name)

    def userdata(self) -> dict[str, str]:
        """User data (notes and the Wi-Fi passphrase), secrets unsealed."""
        raw = read_json(os.path.join(DATA, "user", "userdata.json"), {}) or {}
        out = {"notes": str(raw.get("notes", "")), "wifi_ssid": str(raw.get("wifi_ssid", "")), "wifi_psk": ""}
        if raw.get("wifi_psk_sealed"):
            try:
                out["wifi_psk"] = self.unseal("wifi_psk", str(raw["wifi_psk_sealed"])).decode()
            except (RuntimeError, UnicodeDecodeError):
                out["wifi_psk"] = ""
        elif raw.get("wifi_psk"):
            out["wifi_psk"] = str(raw["wifi_psk"])
        return out

    def update_userdata(self, changes: dict[str, Any]) -> dict[str, str]:
        """Store user data; the Wi-Fi passphrase is sealed unless ``plaintext_secrets``."""
        cur = self.userdata()
        for key, val in changes.items():
            if key not in ("notes", "wifi_ssid", "wifi_psk") or not isinstance(val, str) or len(val) > 4096:
                raise ValueError(f"bad user data field {key!r}")
            cur[key] = val
        stored: dict[str, str] = {"notes": cur["notes"], "wifi_ssid": cur["wifi_ssid"]}
        if self.has("plaintext_secrets"):
            stored["wifi_psk"] = cur["wifi_psk"]
        elif cur["wifi_psk"]:
            stored["wifi_psk_sealed"] = self.seal("wifi_psk", cur["wifi_psk"].encode())
        write_json(os.path.join(DATA, "user", "userdata.json"), stored)
        return cur

    # ---- credentials --------------------------------------------------------------------
    def credentials(self) -> dict[str, Any]:
        """Stored admin credentials: the user's changed password, else the factory one."""
        cred = read_json(os.path.join(DATA, "config", "credentials.json"), None)
        if isinstance(cred, dict) and cred.get("admin_hash"):
            return cred
        return {"admin_hash": self.factory.get("admin_hash", "!"),
                "admin_password": self.factory.get("admin_password")}

    def check_password(self, user: str, password: str) -> bool:
        """Constant-time comparison against the stored SHA-512-crypt hash."""
        if user != "admin" or not password or len(password) > 256:
            return False
        stored = str(self.credentials().get("admin_hash", "!"))
        if not stored.startswith("$"):
            return False
        return hmac.compare_digest(crypt.crypt(password, stored) or "", stored)

    def set_password(self, current: str, new: str) -> None:
        """Change the admin password (raises PermissionError / ValueError)."""
        if self.has("no_password_change"):
            raise NotImplementedError("password change is not supported on this device")
        if not self.check_password("admin", current):
            raise PermissionError("current password is wrong")
        if len(new) < 10 or new.lower() in COMMON_PASSWORDS or new == current or "admin" in new.lower():
            raise ValueError("new password must have at least 10 characters, differ from the old one "
                             "and not contain 'admin'")
        cred: dict[str, Any] = {"admin_hash": crypt.crypt(new, crypt.mksalt(crypt.METHOD_SHA512))}
        if self.has("plaintext_secrets"):
            cred["admin_password"] = new  # why (defect): cleartext credential on flash
        write_json(os.path.join(DATA, "config", "credentials.json"), cred)
        self.write_shadow()
        log("admin password changed")

    def write_shadow(self) -> None:
        """Regenerate /etc/shadow (tmpfs) from the stored hash; '!' prefix while locked out."""
        h = str(self.credentials().get("admin_hash", "!"))
        if self.lock_remaining() > 0:
            h = "!" + h
        lines = ["root:*:19000:0:99999:7:::", f"admin:{h}:19000:0:99999:7:::", "sshd:*:19000:0:99999:7:::"]
        tmp = "/etc/shadow.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, "/etc/shadow")

    # ---- brute-force protection ---------------------------------------------------------
    def lock_remaining(self) -> float:
        """Seconds left in the current lockout (0 if none)."""
        return max(0.0, self.locked_until - time.monotonic())

    def login_failed(self, source: str) -> None:
        """Count a failed network login; lock the account when the threshold is reached."""
        log(f"login failure from {source}")
        if self.has("no_bruteforce_protection"):
            return
        with self.lock:
            self.failures += 1
            if self.failures >= MAX_FAILURES:
                self.failures = 0
                self.lock_count += 1
                dur = min(LOCK_BASE_S * 2 ** (self.lock_count - 1), LOCK_MAX_S)
                self.locked_until = time.monotonic() + dur
                log(f"admin account locked for {dur:.0f} s")
                self.write_shadow()

    def login_ok(self, source: str) -> None:
        """A successful login resets the failure counters."""
        log(f"login ok from {source}")
        with self.lock:
            self.failures = 0
            self.lock_count = 0

    def authenticate(self, user: str, password: str, source: str) -> tuple[bool, float]:
        """Network login: returns (ok, lock seconds remaining)."""
        with self.lock:
            remaining = 0.0 if self.has("no_bruteforce_protection") else self.lock_remaining()
            if remaining > 0:
                return False, remaining
        if self.check_password(user, password):
            self.login_ok(source)
            return True, 0.0
        self.login_failed(source)
        return False, 0.0 if self.has("no_bruteforce_protection") else self.lock_remaining()

    def ticker(self) -> None:
        """Background housekeeping: lift expired lockouts, expire sessions."""
        was_locked = False
        while True:
            time.sleep(0.5)
            locked = self.lock_remaining() > 0
            if was_locked and not locked:
                log("admin account lockout expired")
                with self.lock:
                    self.write_shadow()
            was_locked = locked
            now = time.monotonic()
            with self.lock:
                for tok in [t for t, exp in self.sessions.items() if exp < now]:
                    del self.sessions[tok]

    # ---- sessions -----------------------------------------------------------------------
    def new_session(self) -> str:
        """Issue a random session token (cookie or bearer)."""
        tok = secrets.token_urlsafe(32)
        with self.lock:
            self.sessions[tok] = time.monotonic() + SESSION_TTL_S
        return tok

    def session_valid(self, tok: str | None) -> bool:
        """True for a live token."""
        if not tok:
            return False
        with self.lock:
            exp = self.sessions.get(tok)
            return exp is not None and exp > time.monotonic()

    def end_session(self, tok: str | None) -> None:
        """Log out."""
        with self.lock:
            self.sessions.pop(tok or "", None)

    # ---- firmware update ----------------------------------------------------------------
    def install_update(self, data: bytes) -> tuple[int, dict[str, Any]]:
        """Verify and install an update image; returns (HTTP-like status, JSON body)."""
        try:
            img = fwformat.parse(data)
        except fwformat.FormatError as exc:
            log(f"update rejected: {exc}")
            return 400, {"error": f"rejected: {exc}"}
        skip_checks = self.has("unsigned_update_accepted")
        if not skip_checks:
            if img.signature is None:
                return 400, {"error": "rejected: image is not signed"}
            if not self.verify_signature(img.signed_part, img.signature):
                log("update rejected: bad signature")
                return 400, {"error": "rejected: signature verification failed"}
            if not img.payload_digest_ok():
                return 400, {"error": "rejected: payload digest mismatch"}
        if img.model != str(self.factory.get("model", "")):
            return 400, {"error": f"rejected: image is for model {img.model!r}"}
        cur = self.firmware_version()
        if not self.has("rollback_accepted") and \
                fwformat.version_tuple(img.version) <= fwformat.version_tuple(cur):
            log(f"update rejected: {img.version} is not newer than {cur}")
            return 409, {"error": f"rejected: version {img.version} is not newer than installed {cur}"}
        write_durable(os.path.join(FWDIR, "image.bin"), data)
        write_json(os.path.join(FWDIR, "installed.json"), {"version": img.version, "previous": cur})
        log(f"update installed: {cur} -> {img.version}")
        return 200, {"installed_version": img.version, "previous_version": cur}

    def verify_signature(self, signed: bytes, sig: bytes) -> bool:
        """Ed25519 check with openssl against the vendor key baked into the firmware."""
        os.makedirs(os.path.join(RUN, "upd"), exist_ok=True)
        body, sigf = os.path.join(RUN, "upd", "body"), os.path.join(RUN, "upd", "sig")
        with open(body, "wb") as fh:
            fh.write(signed)
        with open(sigf, "wb") as fh:
            fh.write(sig)
        try:
            proc = run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", FW_PUBKEY, "-rawin",
                        "-in", body, "-sigfile", sigf], check=False)
            return proc.returncode == 0 and b"Signature Verified Successfully" in proc.stdout
        finally:
            for f in (body, sigf):
                with contextlib.suppress(OSError):
                    os.unlink(f)

    # ---- factory reset ------------------------------------------------------------------
    def factory_reset(self) -> None:
        """Erase user data and settings, then reboot (runs in a thread after the reply is sent)."""
        if self.reset_started:
            return
        self.reset_started = True

        def work() -> None:
            time.sleep(1.0)
            log("factory reset")
            os.sync()
            if self.has("reset_leaves_data"):
                # why (defect): only unlinks; the blocks keep the old contents
                for sub in ("config", "user"):
                    run(["rm", "-rf", os.path.join(DATA, sub)], check=False)
                os.sync()
            else:
                # Overwrite the whole data partition, so nothing is recoverable from a raw dump;
                # /init recreates an empty ext4 file system on the next boot.
                if run(["umount", DATA], check=False).returncode != 0:
                    run(["umount", "-l", DATA], check=False)
                run(["dd", "if=/dev/zero", "of=/dev/vda3", "bs=1M", "conv=fsync"], check=False)
                os.sync()
            run(["reboot", "-f"], check=False)

        threading.Thread(target=work, daemon=True).start()

    # ---- info ---------------------------------------------------------------------------
    def public_model(self) -> dict[str, Any]:
        """What the unauthenticated model page shows."""
        return {"model_number": self.model_number(), "manufacturer": "JC-STAR Reference Bench",
                "product_name": "Reference IoT Device"}

    def version_info(self) -> dict[str, Any]:
        """Version report (authenticated)."""
        out: dict[str, Any] = {"firmware_version": self.firmware_version()}
        if self.model_number():
            out["model_number"] = self.model_number()
        return out

    def device_info(self) -> dict[str, Any]:
        """Serial, MAC and uptime (authenticated)."""
        return {"serial": self.factory.get("serial"), "mac": self.factory.get("mac"),
                "uptime_s": round(time.monotonic() - self.boot_time, 1), **self.version_info()}

    # ---- CLI back end -------------------------------------------------------------------
    def cli(self, line: str) -> tuple[bool, str]:
        """Execute one devcli command line for an already logged-in admin."""
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            return False, str(exc)
        if not argv:
            return True, ""
        cmd, args = argv[0], argv[1:]
        try:
            if cmd == "help":
                return True, CLI_HELP
            if cmd == "show" and args[:1] == ["version"]:
                return True, f"firmware_version: {self.firmware_version()}"
            if cmd == "show" and args[:1] == ["model"]:
                m = self.model_number()
                return (True, f"model_number: {m}") if m else (False, "model number not available")
            if cmd == "show" and args[:1] == ["settings"]:
                return True, "\n".join(f"{k}: {v}" for k, v in sorted(self.settings().items()))
            if cmd == "show" and args[:1] == ["device"]:
                return True, "\n".join(f"{k}: {v}" for k, v in self.device_info().items())
            if cmd == "set" and len(args) == 2:
                self.update_settings({args[0]: args[1]})
                return True, "ok"
            if cmd == "passwd" and len(args) == 2:
                self.set_password(args[0], args[1])
                return True, "password changed"
            if cmd == "factory-reset" and args == ["--yes"]:
                self.factory_reset()
                return True, "factory reset started; the device reboots"
        except (ValueError, PermissionError, NotImplementedError) as exc:
            return False, str(exc)
        return False, f"unknown or incomplete command: {line!r} (try 'help')"


CLI_HELP = """commands:
  show version | show model | show settings | show device
  set <hostname|ntp_server|telemetry_interval|description> <value>
  passwd <current-password> <new-password>     (or 'passwd' alone to be prompted)
  factory-reset --yes
  exit"""

DEV: Device


# ======================================================================================
# HTTP(S): web admin + REST API
# ======================================================================================
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>{body}</body></html>"""

LOGIN_FORM = """<form method="post" action="/login">
<label>User <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Log in</button></form><p><a href="/model">Model information</a></p>"""


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes for the web admin (HTML forms, session cookie) and the REST API (JSON, bearer token)."""

    server_version = "RB-100-httpd"
    sys_version = ""

    def version_string(self) -> str:
        # why: the banner is all a vulnerability scanner sees of the web server's version
        return "RomPager/4.07 UPnP/1.0" if DEV.has("outdated_web_server") else self.server_version
    protocol_version = "HTTP/1.1"

    # Seconds for the request line and headers, counted from the start of each request (like Apache's
    # mod_reqtimeout). why: a per-read timeout alone lets a client hold a thread forever by sending a header
    # line now and then (slowloris, CVE-2007-6750); below the 20 s per-read timeout so it always decides.
    HEAD_DEADLINE = 15.0

    def log_message(self, format: str, *args: Any) -> None:
        log("http " + (format % args))

    def handle_one_request(self) -> None:
        self._head_timer = threading.Timer(self.HEAD_DEADLINE, cut_connection, args=(self.connection,))
        self._head_timer.daemon = True
        self._head_timer.start()
        try:
            super().handle_one_request()
        finally:
            self._head_timer.cancel()

    def parse_request(self) -> bool:
        ok = super().parse_request()  # reads the headers
        self._head_timer.cancel()
        return ok

    # -- helpers --
    def send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        """Send a full response with security headers."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        if isinstance(self.connection, ssl.SSLSocket):
            self.send_header("Strict-Transport-Security", "max-age=31536000")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        """JSON response."""
        self.send(status, json.dumps(obj).encode(), "application/json", headers)

    def send_page(self, status: int, title: str, body: str, headers: dict[str, str] | None = None) -> None:
        """HTML response."""
        self.send(status, PAGE.format(title=html.escape(title), body=body).encode(),
                  "text/html; charset=utf-8", headers)

    def redirect(self, where: str, headers: dict[str, str] | None = None) -> None:
        """303 See Other."""
        self.send(303, b"", "text/plain", {"Location": where, **(headers or {})})

    def body(self) -> bytes:
        """Read the request body (bounded)."""
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(n) if n > 0 else b""

    def form(self) -> dict[str, str]:
        """Parse an urlencoded form body."""
        q = urllib.parse.parse_qs(self.body().decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in q.items()}

    def json_body(self) -> dict[str, Any]:
        """Parse a JSON object body."""
        try:
            obj = json.loads(self.body() or b"{}")
        except ValueError as exc:
            raise ValueError("body is not JSON") from exc
        if not isinstance(obj, dict):
            raise ValueError("body must be a JSON object")
        return obj

    def cookie_token(self) -> str | None:
        """Session cookie value."""
        for part in (self.headers.get("Cookie") or "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "rbsession":
                return v
        return None

    def bearer(self) -> str | None:
        """Bearer token from the Authorization header."""
        auth = self.headers.get("Authorization") or ""
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    def source(self) -> str:
        """Client address for the log."""
        return str(self.client_address[0])

    def own_host(self) -> str:
        """The host the client asked for (Host header), else the address it connected to, for URLs."""
        host = (self.headers.get("Host") or "").strip()
        if HOST_HEADER.fullmatch(host):
            return host
        addr = str(self.connection.getsockname()[0]).split("%")[0].removeprefix("::ffff:")
        return f"[{addr}]" if ":" in addr else addr

    def security_txt(self) -> bytes:
        """The RFC 9116 file, valid for SECURITY_TXT_VALID_S from now (device clock, UTC)."""
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + SECURITY_TXT_VALID_S))
        return SECURITY_TXT.format(expires=expires, host=self.own_host()).encode()

    # -- dispatch --
    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_HEAD(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def dispatch(self, method: str) -> None:
        """Route a request; all errors become 4xx/5xx responses, never a traceback."""
        path = urllib.parse.urlsplit(self.path).path
        try:
            if path.startswith("/api/"):
                self.api(method, path)
            else:
                self.web(method, path)
        except ValueError as exc:
            if path.startswith("/api/"):
                self.send_json(400, {"error": str(exc)})
            else:
                self.send_page(400, "Bad request", f"<p>{html.escape(str(exc))}</p>")
        except (ConnectionError, ssl.SSLError, TimeoutError):
            raise
        except Exception as exc:  # why: a device must answer, not crash, on unexpected input
            log(f"http error {type(exc).__name__}: {exc}")
            self.send_json(500, {"error": "internal error"})

    # -- REST API --
    def api(self, method: str, path: str) -> None:
        """REST API under /api/v1."""
        d = DEV
        if path == "/api/v1/login" and method == "POST":
            req = self.json_body()
            ok, remaining = d.authenticate(str(req.get("username", "")), str(req.get("password", "")),
                                           "rest:" + self.source())
            if ok:
                self.send_json(200, {"token": d.new_session(), "expires_in": int(SESSION_TTL_S)})
            elif remaining > 0:
                self.send_json(429, {"error": "account locked", "retry_after": int(remaining) + 1},
                               {"Retry-After": str(int(remaining) + 1)})
            else:
                self.send_json(401, {"error": "invalid credentials"})
            return
        if path == "/api/v1/model" and method == "GET":
            if d.model_number() is None:
                self.send_json(404, {"error": "not found"})
            else:
                self.send_json(200, d.public_model())
            return
        open_admin = d.has("unauthenticated_admin") and path == "/api/v1/settings"
        if not open_admin and not d.session_valid(self.bearer()):
            self.send_json(401, {"error": "authentication required"}, {"WWW-Authenticate": "Bearer"})
            return
        if path == "/api/v1/logout" and method == "POST":
            d.end_session(self.bearer())
            self.send(204, b"", "text/plain")
        elif path == "/api/v1/version" and method == "GET":
            self.send_json(200, d.version_info())
        elif path == "/api/v1/device" and method == "GET":
            self.send_json(200, d.device_info())
        elif path == "/api/v1/settings" and method == "GET":
            self.send_json(200, d.settings())
        elif path == "/api/v1/settings" and method == "PUT":
            self.send_json(200, d.update_settings(self.json_body()))
        elif path == "/api/v1/userdata" and method == "GET":
            self.send_json(200, d.userdata())
        elif path == "/api/v1/userdata" and method == "PUT":
            self.send_json(200, d.update_userdata(self.json_body()))
        elif path == "/api/v1/password" and method == "POST":
            req = self.json_body()
            try:
                d.set_password(str(req.get("current_password", "")), str(req.get("new_password", "")))
            except NotImplementedError as exc:
                self.send_json(501, {"error": str(exc)})
                return
            except PermissionError as exc:
                self.send_json(403, {"error": str(exc)})
                return
            self.send(204, b"", "text/plain")
        elif path == "/api/v1/factory-reset" and method == "POST":
            d.factory_reset()
            self.send_json(202, {"status": "factory reset started; the device reboots"})
        elif path == "/api/v1/firmware" and method == "POST":
            status, obj = d.install_update(self.body())
            self.send_json(status, obj)
        else:
            self.send_json(404, {"error": "not found"})

    # -- web admin --
    def web(self, method: str, path: str) -> None:
        """HTML web admin."""
        d = DEV
        logged_in = d.session_valid(self.cookie_token())
        secure = "; Secure" if isinstance(self.connection, ssl.SSLSocket) else ""
        if path in ("/", "/login") and method == "GET":
            if logged_in:
                self.redirect("/admin")
            else:
                self.send_page(200, "RB-100 login", LOGIN_FORM)
            return
        if path == "/login" and method == "POST":
            f = self.form()
            ok, remaining = d.authenticate(f.get("username", ""), f.get("password", ""), "web:" + self.source())
            if ok:
                tok = d.new_session()
                self.redirect("/admin", {"Set-Cookie": f"rbsession={tok}; Path=/; HttpOnly; SameSite=Strict"
                                                       f"{secure}"})
            elif remaining > 0:
                self.send_page(429, "Account locked", f"<p>Too many failed logins. Try again in "
                               f"{int(remaining) + 1} s.</p>", {"Retry-After": str(int(remaining) + 1)})
            else:
                self.send_page(401, "Login failed", "<p>Wrong user name or password.</p>" + LOGIN_FORM)
            return
        if path == SECURITY_TXT_PATH and method == "GET":
            self.send(200, self.security_txt(), "text/plain; charset=utf-8")
            return
        if path == "/model" and method == "GET":
            m = d.model_number()
            if m is None:
                self.send_page(404, "Not found", "")
            else:
                self.send_page(200, "Model information", f"<p>Model number: <b id='model'>{html.escape(m)}"
                               "</b></p><p>Manufacturer: JC-STAR Reference Bench</p>")
            return
        if not logged_in:
            self.redirect("/login")
            return
        if path == "/logout" and method == "POST":
            d.end_session(self.cookie_token())
            self.redirect("/login", {"Set-Cookie": f"rbsession=; Path=/; Max-Age=0{secure}"})
        elif path == "/admin" and method == "GET":
            self.send_page(200, "RB-100 administration", self.dashboard())
        elif path == "/admin/version" and method == "GET":
            self.send(200, (json.dumps(d.version_info()) + "\n").encode(), "text/plain")
        elif path == "/admin/settings" and method == "POST":
            f = self.form()
            d.update_settings({k: v for k, v in f.items() if k in d.settings()})
            self.redirect("/admin")
        elif path == "/admin/userdata" and method == "POST":
            f = self.form()
            d.update_userdata({k: v for k, v in f.items() if k in ("notes", "wifi_ssid", "wifi_psk")})
            self.redirect("/admin")
        elif path == "/admin/password" and method == "POST":
            f = self.form()
            try:
                d.set_password(f.get("current_password", ""), f.get("new_password", ""))
            except NotImplementedError as exc:
                self.send_page(501, "Not supported", f"<p>{html.escape(str(exc))}</p>")
                return
            except PermissionError as exc:
                self.send_page(403, "Password not changed", f"<p>{html.escape(str(exc))}</p>")
                return
            self.send_page(200, "Password changed", "<p>The password was changed.</p>")
        elif path == "/admin/factory-reset" and method == "POST":
            if self.form().get("confirm") != "RESET":
                raise ValueError("type RESET to confirm")
            d.factory_reset()
            self.send_page(202, "Factory reset", "<p>Factory reset started; the device reboots.</p>")
        elif path == "/admin/update" and method == "POST":
            data = multipart_file(self.headers.get("Content-Type") or "", self.body(), "firmware")
            status, obj = d.install_update(data)
            self.send_page(status, "Firmware update", f"<pre>{html.escape(json.dumps(obj))}</pre>")
        else:
            self.send_page(404, "Not found", "")

    def dashboard(self) -> str:
        """Admin page listing the forms (field names are part of the bench's documented interface)."""
        d = DEV
        s = d.settings()
        info = "".join(f"<tr><th>{html.escape(k)}</th><td id='{html.escape(k)}'>{html.escape(str(v))}</td></tr>"
                       for k, v in d.device_info().items())
        sets = "".join(f"<label>{k} <input name='{k}' value='{html.escape(str(v))}'></label>" for k, v in s.items())
        return (f"<table>{info}</table>"
                f"<h2>Settings</h2><form method='post' action='/admin/settings'>{sets}"
                "<button>Save</button></form>"
                "<h2>User data</h2><form method='post' action='/admin/userdata'>"
                "<label>Notes <input name='notes'></label><label>Wi-Fi SSID <input name='wifi_ssid'></label>"
                "<label>Wi-Fi passphrase <input name='wifi_psk' type='password'></label><button>Save</button></form>"
                "<h2>Password</h2><form method='post' action='/admin/password'>"
                "<input name='current_password' type='password'><input name='new_password' type='password'>"
                "<button>Change</button></form>"
                "<h2>Firmware update</h2><form method='post' action='/admin/update' enctype='multipart/form-data'>"
                "<input type='file' name='firmware'><button>Upload</button></form>"
                "<h2>Factory reset</h2><form method='post' action='/admin/factory-reset'>"
                "<input name='confirm' placeholder='type RESET'><button>Reset</button></form>"
                "<form method='post' action='/logout'><button>Log out</button></form>")


def multipart_file(ctype: str, body: bytes, field: str) -> bytes:
    """Extract one file field from a multipart/form-data body (minimal parser)."""
    m = re.search(r'boundary="?([^";]+)"?', ctype)
    if not ctype.startswith("multipart/form-data") or not m:
        return body  # why: also accept a raw upload
    sep = b"--" + m.group(1).encode()
    for part in body.split(sep):
        head, _, content = part.partition(b"\r\n\r\n")
        if f'name="{field}"'.encode() in head:
            return content[:-2] if content.endswith(b"\r\n") else content
    raise ValueError(f"no {field!r} file in the upload")


def cut_connection(conn: socket.socket) -> None:
    """Shut a connection down from another thread, so that the handler's blocked read ends."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(conn, socket.SHUT_RDWR)  # the OS socket, also under TLS


class DualStackServer(http.server.ThreadingHTTPServer):
    """IPv4+IPv6 listener; optional TLS with the handshake done in the handler thread."""

    address_family = socket.AF_INET6
    daemon_threads = True
    request_queue_size = 32

    def __init__(self, port: int, ctx: ssl.SSLContext | None) -> None:
        self.ctx = ctx
        super().__init__(("::", port), Handler, bind_and_activate=False)
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        self.server_bind()
        self.server_activate()

    def get_request(self) -> tuple[Any, Any]:
        conn, addr = self.socket.accept()
        conn.settimeout(20)
        if self.ctx is not None:
            conn = self.ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        log(f"connection error from {client_address}: {sys.exc_info()[1]!r}")


def tls_context() -> ssl.SSLContext:
    """Server TLS context: strong by default; TLS 1.0 / static-RSA CBC-SHA1 / RSA-1024 with ``weak_tls``."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    key = DEV.factory_secret_file("tls.key", os.path.join(RUN, "tls.key"))
    if DEV.has("weak_tls"):
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("AES128-SHA:AES256-SHA:@SECLEVEL=0")
        ctx.load_cert_chain(os.path.join(FACTORY, "tls-weak.crt"),
                            DEV.factory_secret_file("tls-weak.key", os.path.join(RUN, "tls-weak.key")))
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
        # why: OpenSSL's default TLS 1.3 groups include ffdhe2048 (112-bit strength), which CRYPTREC allows
        # only until 2030, and security updates are promised until 2031-03-31. P-256 alone (128-bit), the
        # curve of the certificate too; with OpenSSL 3 this sets the group list for TLS 1.2 and 1.3.
        ctx.set_ecdh_curve("prime256v1")
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
        ctx.load_cert_chain(os.path.join(FACTORY, "tls.crt"), key)
    for f in ("tls.key", "tls-weak.key"):
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(RUN, f))  # why: OpenSSL holds the key in memory now
    return ctx


# ======================================================================================
# Other services
# ======================================================================================
def sshd_config() -> str:
    """sshd_config: password login for 'admin' only, modern algorithms only, no forwarding."""
    return "\n".join([
        "Port 22", "AddressFamily any", "ListenAddress 0.0.0.0", "ListenAddress ::",
        "HostKey /run/ssh/ssh_host_ed25519_key", "HostKeyAlgorithms ssh-ed25519",
        "KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org",
        "Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com",
        "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
        "PermitRootLogin no", "AllowUsers admin", "PasswordAuthentication yes",
        "KbdInteractiveAuthentication no", "PubkeyAuthentication no", "UsePAM no", "PermitEmptyPasswords no",
        "MaxAuthTries 3", "MaxStartups 10:30:60", "LoginGraceTime 20",
        "AllowTcpForwarding no", "AllowStreamLocalForwarding no", "AllowAgentForwarding no",
        "X11Forwarding no", "PermitTunnel no", "GatewayPorts no", "PermitUserEnvironment no",
        "PrintMotd no", "PrintLastLog no", "PidFile /run/sshd.pid", "LogLevel INFO", "",
    ])


SSH_FAIL = re.compile(r"Failed password for (invalid user )?(\S+) from (\S+)")
SSH_OK = re.compile(r"Accepted password for (\S+) from (\S+)")


def run_sshd() -> None:
    """Run sshd in the foreground, restart it if it dies, and feed its log to the lockout logic."""
    os.makedirs("/run/ssh", exist_ok=True)
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    DEV.factory_secret_file("ssh_host_ed25519_key", "/run/ssh/ssh_host_ed25519_key")
    with open("/run/ssh/sshd_config", "w", encoding="utf-8") as fh:
        fh.write(sshd_config())
    while True:
        proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", "/run/ssh/sshd_config"],
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").strip()
            log("sshd: " + line)
            m = SSH_FAIL.search(line)
            if m and m.group(2) == "admin" and not m.group(1):
                DEV.login_failed("ssh:" + m.group(3))
            m2 = SSH_OK.search(line)
            if m2 and m2.group(1) == "admin":
                DEV.login_ok("ssh:" + m2.group(2))
        proc.wait()
        log(f"sshd exited rc={proc.returncode}; restarting")
        time.sleep(1)


def run_telnetd() -> None:
    """Defect ``telnet_enabled``: cleartext telnet login on port 23."""
    while True:
        subprocess.run(["telnetd", "-F", "-p", "23", "-l", "/bin/login"], check=False)
        time.sleep(1)


def run_debug_service() -> None:
    """Defect ``undeclared_service``: an unauthenticated 'debug console' on TCP and UDP 9999."""

    def info() -> bytes:
        return (f"RB-100 debug console (no authentication)\n{json.dumps(DEV.device_info())}\n"
                f"{json.dumps(DEV.settings())}\n").encode()

    def udp() -> None:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", 9999))
        while True:
            _, addr = s.recvfrom(2048)
            s.sendto(info(), addr)

    threading.Thread(target=udp, daemon=True).start()
    t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("::", 9999))
    t.listen(8)
    while True:
        conn, _ = t.accept()
        with contextlib.suppress(OSError), conn:
            conn.settimeout(5)
            conn.sendall(info() + b"debug> ")


def run_telemetry() -> None:
    """Send a small JSON status to the lab collector periodically (TLS unless ``cleartext_telemetry``)."""
    host = str(DEV.otp.get("lab_ipv4", ""))
    port = int(DEV.otp.get("telemetry_port", 9443))
    ctx = ssl.create_default_context(cafile=TELEMETRY_CA)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    time.sleep(3)
    while host:
        DEV.telemetry_seq += 1
        msg = json.dumps({"serial": DEV.factory.get("serial"), "model": DEV.model_number(),
                          "firmware_version": DEV.firmware_version(), "seq": DEV.telemetry_seq,
                          "uptime_s": round(time.monotonic() - DEV.boot_time, 1)}).encode() + b"\n"
        try:
            with socket.create_connection((host, port), timeout=3) as raw:
                if DEV.has("cleartext_telemetry"):
                    raw.sendall(msg)
                else:
                    with ctx.wrap_socket(raw, server_hostname=host) as tls:
                        tls.sendall(msg)
        except (OSError, ssl.SSLError) as exc:
            log(f"telemetry: {type(exc).__name__}")
        interval = int(DEV.settings().get("telemetry_interval", 10))
        time.sleep(max(5, interval))


def run_cli_socket() -> None:
    """Unix socket for devcli; only the logged-in admin (uid 1000) or root may use it."""
    with contextlib.suppress(OSError):
        os.unlink(CLI_SOCKET)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(CLI_SOCKET)
    os.chmod(CLI_SOCKET, 0o666)
    srv.listen(8)

    def serve(conn: socket.socket) -> None:
        with conn:
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
            uid = int.from_bytes(creds[4:8], "little")
            if uid not in (0, ADMIN_UID):
                conn.sendall(b'{"ok": false, "output": "permission denied"}\n')
                return
            req = json.loads(conn.makefile("rb").readline() or b"{}")
            ok, out = DEV.cli(str(req.get("line", "")))
            conn.sendall(json.dumps({"ok": ok, "output": out}).encode() + b"\n")

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def console(msg: str, level: int = 3) -> None:
    """Log a line to the device log and the kernel log, so it shows on the UART.

    Level 3 (error) stays visible after the console log level drops to warnings at the end of boot.
    """
    log(msg)
    with contextlib.suppress(OSError), open("/dev/kmsg", "w", encoding="utf-8") as km:
        km.write(f"<{level}>rb100: {msg}\n")


def _net_sysctl(path: str, value: str) -> bool:
    try:
        with open(path, "w", encoding="ascii") as fh:
            fh.write(value)
        return True
    except OSError as exc:
        console(f"network setup: cannot set {path} = {value}: {exc}")
        return False


def _net_ip(*args: str) -> bool:
    proc = run(["ip", *args], check=False)
    if proc.returncode == 0 or b"File exists" in proc.stderr:  # why: deviced respawned, already set
        return True
    err = proc.stderr.decode("utf-8", "replace").strip()[:200]
    console(f"network setup: 'ip {' '.join(args)}' failed (rc={proc.returncode}): {err}")
    return False


def _address_usable(addr: str) -> bool:
    """True if a socket can bind to ``addr``: it is assigned and (IPv6) not tentative or failed DAD."""
    with socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((addr, 0))
            return True
        except OSError:
            return False


def _address_state(addr: str) -> str:
    """Why an address is not usable, for the console (IPv6 flags from /proc/net/if_inet6)."""
    if ":" not in addr:
        return "not assigned"
    want = socket.inet_pton(socket.AF_INET6, addr).hex()
    try:
        with open("/proc/net/if_inet6", encoding="ascii") as fh:
            rows = [line.split() for line in fh]
    except OSError as exc:
        return f"no IPv6 in the kernel? ({exc})"
    for row in rows:
        if len(row) >= 6 and row[0] == want:
            flags = int(row[4], 16)
            if flags & 0x08:
                return f"duplicate address detection failed on {row[5]}"
            if flags & 0x40:
                return f"tentative on {row[5]} (duplicate address detection still running)"
            return f"on {row[5]} with flags 0x{flags:02x}"
    return "not assigned"


def setup_network(timeout: float = 5.0) -> bool:
    """Static addresses from the strap disk; no default route: the device only knows its bench link.

    The addresses must answer as soon as the services are up, on every boot: duplicate address
    detection is switched off (busybox ``ip`` has no ``nodad``, and the kernel runs DAD if *either*
    ``all`` or the interface asks for it), and the end result is checked by binding to each address.
    Every failing step is written to the console.  Returns True if all addresses are usable.
    """
    v4 = str(DEV.otp.get("ipv4") or "")
    v6 = str(DEV.otp.get("ipv6") or "")
    deadline = time.monotonic() + timeout
    while not os.path.isdir(f"/sys/class/net/{IFACE}") and time.monotonic() < deadline:
        time.sleep(0.05)  # why: /init loads virtio_net; never race the interface's registration
    if not os.path.isdir(f"/sys/class/net/{IFACE}"):
        console(f"network setup: interface {IFACE} missing after {timeout:.0f} s (virtio_net not loaded?)")
        return False
    ok = True
    if v6:
        conf = "/proc/sys/net/ipv6/conf"
        for path, val in ((f"{conf}/{IFACE}/disable_ipv6", "0"), (f"{conf}/all/accept_dad", "0"),
                          (f"{conf}/{IFACE}/accept_dad", "0"), (f"{conf}/{IFACE}/accept_ra", "0"),
                          (f"{conf}/{IFACE}/autoconf", "0")):
            ok &= _net_sysctl(path, val)
    ok &= _net_ip("link", "set", "lo", "up")
    ok &= _net_ip("link", "set", IFACE, "up")
    if v4:
        ok &= _net_ip("addr", "add", v4, "dev", IFACE)
    if v6:
        ok &= _net_ip("-6", "addr", "add", v6, "dev", IFACE)
    wanted = [a.split("/")[0] for a in (v4, v6) if a]
    while True:
        missing = [a for a in wanted if not _address_usable(a)]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for addr in missing:
        console(f"network setup: address {addr} is not usable: {_address_state(addr)}")
    if ok and not missing:
        console(f"network: {IFACE} up with {' '.join(a for a in (v4, v6) if a)}", level=6)
    return ok and not missing


def spawn(name: str, fn: Callable[[], None]) -> None:
    """Start a service thread that logs (instead of dying silently) on an exception."""

    def wrapper() -> None:
        try:
            fn()
        except Exception as exc:
            log(f"service {name} crashed: {exc!r}")

    threading.Thread(target=wrapper, name=name, daemon=True).start()


def main() -> None:
    """Boot sequence of the vendor application."""
    global DEV
    os.makedirs(RUN, exist_ok=True)
    DEV = Device()
    log(f"deviced starting, defects={sorted(DEV.defects)}")
    if not setup_network():
        console("network setup incomplete: the device may not answer on every address")
    DEV.apply_hostname(str(DEV.settings()["hostname"]))
    DEV.write_shadow()
    spawn("sshd", run_sshd)
    spawn("cli", run_cli_socket)
    ctx = tls_context()
    https = DualStackServer(443, ctx)
    spawn("https", https.serve_forever)
    if DEV.has("http_cleartext_admin"):
        http_srv = DualStackServer(80, None)
        spawn("http", http_srv.serve_forever)
    if DEV.has("telnet_enabled"):
        spawn("telnetd", run_telnetd)
    if DEV.has("undeclared_service"):
        spawn("debug", run_debug_service)
    spawn("telemetry", run_telemetry)
    log("deviced ready")
    with contextlib.suppress(OSError), open("/dev/kmsg", "w", encoding="utf-8") as km:
        km.write(f"<4>rb100: services up (firmware {DEV.firmware_version()})\n")
    with contextlib.suppress(OSError), open("/proc/sys/kernel/printk", "w", encoding="ascii") as pk:
        pk.write("4")  # why: full boot log on the UART, then only warnings so a console session stays readable
    DEV.ticker()


if __name__ == "__main__":
    main()
