"""Reproducible firmware build: Debian packages -> kernel + initramfs of the RB-100 device.

The initramfs is a newc cpio written by this module (sorted entries, fixed mtimes and owners, gzip
without a timestamp), so the same inputs give the same bytes.  Inputs: the installed
``linux-image-cloud-amd64`` kernel and its virtio modules, ``busybox-static``, Debian's CPython 3.11
(a subset of the standard library found by importing the device programs), ``openssl``, ``e2fsprogs``'
mke2fs, and ``sshd`` from the ``openssh-server`` package (extracted from its .deb, which is fetched
with ``apt-get download`` when the package is not installed — installing it would start an sshd on
the host).  The result is cached under ``<cache>/firmware/<key>/`` where the key hashes every input.
"""

from __future__ import annotations

import fcntl
import glob
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from refbench.config import FIRMWARE_VERSION, MODEL_NUMBER, cache_dir
from refbench.errors import BenchError
from refbench.vendorkeys import ensure_vendor_keys

GUEST_DIR = Path(__file__).resolve().parent / "guest"
DEBIAN_PYTHON = "/usr/bin/python3.11"
MTIME = 1704067200  # 2024-01-01: fixed so the cpio is reproducible
MODULES = ("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci",
           "failover", "net_failover", "virtio_net", "virtio_blk", "virtio-rng")
BINARIES = ("/usr/bin/openssl", "/usr/sbin/mke2fs")
# Debian packages whose versions enter the cache key (and the build manifest).
INPUT_PACKAGES = ("busybox-static", "python3.11-minimal", "libpython3.11-stdlib", "openssl", "libssl3",
                  "e2fsprogs", "libc6", "openssh-server")
GUEST_IMPORTS = ("deviced", "devcli", "fwformat", "encodings.idna", "encodings.latin_1", "encodings.ascii")


@dataclass(frozen=True)
class Firmware:
    """A built firmware: kernel and initramfs paths plus the build manifest."""

    kernel: Path
    initrd: Path
    version: str
    key: str
    manifest: dict[str, object]


def _need(path: str, package: str) -> None:
    if not os.path.exists(path):
        raise BenchError(f"{path} is missing: the firmware build needs the Debian package '{package}'. "
                         f"Install it with: apt-get install --no-install-recommends {package}")


def find_kernel() -> tuple[Path, Path, str]:
    """Newest installed cloud kernel: (vmlinuz, modules dir, release)."""
    kernels = sorted(glob.glob("/boot/vmlinuz-*-cloud-amd64"), key=_version_key)
    if not kernels:
        raise BenchError("no /boot/vmlinuz-*-cloud-amd64: install the kernel with "
                         "'apt-get install --no-install-recommends linux-image-cloud-amd64'")
    vmlinuz = Path(kernels[-1])
    release = vmlinuz.name.removeprefix("vmlinuz-")
    moddir = Path("/lib/modules") / release
    if not moddir.is_dir():
        raise BenchError(f"kernel modules for {release} are missing under {moddir}: reinstall "
                         "linux-image-cloud-amd64")
    if not os.access(vmlinuz, os.R_OK):
        raise BenchError(f"{vmlinuz} is not readable: run the bench as root")
    return vmlinuz, moddir, release


def _version_key(path: str) -> list[int | str]:
    return [int(p) if p.isdigit() else p for p in re.split(r"[.-]", path)]


def _pkg_version(name: str) -> str:
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _sshd_binary(cache: Path) -> Path:
    """Path of a Debian sshd binary: the installed one, else extracted from the downloaded .deb."""
    if os.path.exists("/usr/sbin/sshd"):
        return Path("/usr/sbin/sshd")
    debdir = cache / "debs"
    extracted = debdir / "openssh-server" / "usr" / "sbin" / "sshd"
    if extracted.exists():
        return extracted
    debdir.mkdir(parents=True, exist_ok=True)
    debs = sorted(debdir.glob("openssh-server_*.deb"))
    if not debs:
        if not shutil.which("apt-get"):
            raise BenchError("sshd for the firmware is missing and apt-get is not available: "
                             "put an openssh-server .deb into " + str(debdir))
        proc = subprocess.run(["apt-get", "download", "-q", "openssh-server"], cwd=debdir, capture_output=True,
                              text=True, check=False)
        debs = sorted(debdir.glob("openssh-server_*.deb"))
        if not debs:
            raise BenchError("could not fetch openssh-server with 'apt-get download' (run 'apt-get update' "
                             f"first): {proc.stderr.strip()[-300:]}")
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(debdir / "openssh-server")], check=True)
    return extracted


class Tree:
    """In-memory file tree that becomes the initramfs."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[int, bytes]] = {}  # path -> (mode, data or link target)

    def dir(self, path: str, mode: int = 0o755) -> None:
        """Add a directory (and its parents)."""
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p and p not in self.entries:
                self.entries[p] = (stat.S_IFDIR | (mode if i == len(parts) else 0o755), b"")

    def file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        """Add a regular file."""
        p = path.strip("/")
        self.dir(os.path.dirname(p))
        self.entries[p] = (stat.S_IFREG | mode, data)

    def symlink(self, path: str, target: str) -> None:
        """Add a symbolic link."""
        p = path.strip("/")
        self.dir(os.path.dirname(p))
        self.entries[p] = (stat.S_IFLNK | 0o777, target.encode())

    def host_file(self, host_path: str, dest: str | None = None, mode: int | None = None) -> None:
        """Copy a file from the host (following symlinks)."""
        with open(host_path, "rb") as fh:
            data = fh.read()
        m = mode if mode is not None else (0o755 if os.access(host_path, os.X_OK) else 0o644)
        self.file(dest or os.path.realpath(host_path), data, m)

    def cpio(self) -> bytes:
        """Serialise as a newc cpio archive with deterministic metadata."""
        out = io.BytesIO()
        ino = 1000
        for path in sorted(self.entries):
            mode, data = self.entries[path]
            ino += 1
            _cpio_entry(out, path, mode, data, ino)
        _cpio_entry(out, "TRAILER!!!", 0, b"", 0)
        return out.getvalue()


def _cpio_entry(out: io.BytesIO, name: str, mode: int, data: bytes, ino: int) -> None:
    nb = name.encode() + b"\0"
    nlink = 2 if stat.S_ISDIR(mode) else 1
    fields = (ino, mode, 0, 0, nlink, MTIME if name != "TRAILER!!!" else 0, len(data), 0, 0, 0, 0, len(nb), 0)
    out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + nb)
    out.write(b"\0" * ((4 - out.tell() % 4) % 4))
    out.write(data)
    out.write(b"\0" * ((4 - out.tell() % 4) % 4))


def _usr(path: str) -> str:
    """Map a host path onto the usrmerged guest layout (/lib/x -> /usr/lib/x)."""
    for top in ("/lib64/", "/lib/", "/bin/", "/sbin/"):
        if path.startswith(top):
            return "/usr" + path
    return path


def _ldd(paths: list[str]) -> set[str]:
    """Shared libraries (and the dynamic loader) the given ELF files need."""
    libs: set[str] = set()
    for p in paths:
        proc = subprocess.run(["ldd", p], capture_output=True, text=True, check=False)
        for line in proc.stdout.splitlines():
            m = re.search(r"(/\S+)\s+\(0x", line)
            if m:
                libs.add(m.group(1))
    return libs


def _python_files() -> list[str]:
    """Standard-library files the device programs import, found by importing them with Debian's python."""
    script = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(GUEST_DIR)!r})\n"
        f"for m in {GUEST_IMPORTS!r}: __import__(m)\n"
        "import ssl, http.server, socketserver, crypt, getpass, shlex, urllib.parse\n"
        "print(json.dumps(sorted({getattr(m, '__file__', None) or '' for m in list(sys.modules.values())})))\n"
    )
    proc = subprocess.run([DEBIAN_PYTHON, "-I", "-S", "-W", "ignore", "-c", script], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise BenchError(f"Debian's python3.11 could not import the device programs: {proc.stderr[-500:]}")
    files = [f for f in json.loads(proc.stdout) if f.startswith("/usr/lib/python3.11/")]
    return sorted(set(files))


def _inputs_digest(vmlinuz: Path, release: str, sshd: Path, pubkey: bytes) -> tuple[str, dict[str, object]]:
    h = hashlib.sha256()
    manifest: dict[str, object] = {"model": MODEL_NUMBER, "firmware_version": FIRMWARE_VERSION,
                                   "kernel": release}
    pkgs = {p: _pkg_version(p) for p in INPUT_PACKAGES}
    pkgs["linux-image"] = _pkg_version(f"linux-image-{release}")
    pkgs["openssh-server (sshd)"] = pkgs.get("openssh-server") or sshd.parent.parent.parent.name
    manifest["packages"] = pkgs
    h.update(json.dumps(manifest, sort_keys=True).encode())
    for f in sorted(GUEST_DIR.iterdir()):
        if f.is_file() and f.suffix in (".py", ".sh"):
            h.update(f.name.encode() + f.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(pubkey)
    h.update(hashlib.sha256(vmlinuz.read_bytes()).digest())
    h.update(hashlib.sha256(sshd.read_bytes()).digest())
    return h.hexdigest()[:16], manifest


def build_firmware(cache: Path | None = None, *, force: bool = False) -> Firmware:
    """Build (or reuse from the cache) the device firmware; raises BenchError on a missing input."""
    cache = cache or cache_dir()
    _need("/bin/busybox", "busybox-static")
    _need(DEBIAN_PYTHON, "python3.11-minimal")
    _need("/usr/bin/openssl", "openssl")
    _need("/usr/sbin/mke2fs", "e2fsprogs")
    vmlinuz, moddir, release = find_kernel()
    keydir = cache / "keys"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".build.lock", "w") as lockfh:
        fcntl.flock(lockfh, fcntl.LOCK_EX)  # why: two benches/tests may build at once
        ensure_vendor_keys(keydir)
        sshd = _sshd_binary(cache)
        pubkey = (keydir / "fw-signing.pub.pem").read_bytes()
        key, manifest = _inputs_digest(vmlinuz, release, sshd, pubkey)
        outdir = cache / "firmware" / key
        if not force and (outdir / "build.json").exists():
            return _load(outdir)
        t0 = time.monotonic()
        initrd = _build_initrd(moddir, sshd, keydir)
        tmp = Path(tempfile.mkdtemp(dir=cache, prefix=".fw-"))
        shutil.copyfile(vmlinuz, tmp / "vmlinuz")
        (tmp / "initrd.img").write_bytes(initrd)
        manifest.update({"key": key, "initrd_sha256": hashlib.sha256(initrd).hexdigest(),
                         "initrd_bytes": len(initrd), "build_seconds": round(time.monotonic() - t0, 2)})
        (tmp / "build.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        if outdir.exists():
            shutil.rmtree(outdir)
        outdir.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(outdir)
        _prune(outdir.parent, keep=outdir)
        return _load(outdir)


def _prune(fwroot: Path, keep: Path, max_builds: int = 3) -> None:
    """Keep only the newest few builds (each is ~30 MB)."""
    builds = sorted((d for d in fwroot.iterdir() if d.is_dir() and d != keep), key=lambda d: d.stat().st_mtime)
    for old in builds[: max(0, len(builds) - (max_builds - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def _load(outdir: Path) -> Firmware:
    manifest = json.loads((outdir / "build.json").read_text())
    return Firmware(kernel=outdir / "vmlinuz", initrd=outdir / "initrd.img",
                    version=str(manifest["firmware_version"]), key=str(manifest["key"]), manifest=manifest)


def _build_initrd(moddir: Path, sshd: Path, keydir: Path) -> bytes:
    t = Tree()
    # usrmerge layout like Debian, so ldd's paths are valid in the guest
    for d in ("usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "proc", "sys", "dev", "run", "tmp", "etc",
              "home/admin", "root", "var/empty", "opt/device", "etc/device"):
        t.dir(d)
    t.entries["tmp"] = (stat.S_IFDIR | 0o1777, b"")
    t.entries["root"] = (stat.S_IFDIR | 0o700, b"")
    for link, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"), ("lib64", "usr/lib64")):
        t.symlink(link, target)
    # busybox and its applets (never an applet link onto busybox itself: ELOOP)
    t.host_file("/bin/busybox", "/usr/bin/busybox", 0o755)
    applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True, check=True).stdout.split()
    for a in applets:
        if a == "busybox":
            continue
        where = "usr/sbin" if a in ("init", "getty", "insmod", "telnetd", "reboot", "poweroff", "halt",
                                    "modprobe", "ifconfig", "route", "sulogin") else "usr/bin"
        t.symlink(f"{where}/{a}", "/usr/bin/busybox")
    # init
    t.file("init", (GUEST_DIR / "init.sh").read_bytes(), 0o755)
    # kernel modules (flat directory; /init insmods them in dependency order)
    for m in MODULES:
        found = glob.glob(str(moddir / "kernel" / "**" / f"{m}.ko"), recursive=True)
        if not found:
            raise BenchError(f"kernel module {m}.ko not found under {moddir}")
        t.host_file(found[0], f"/usr/lib/modules/rb/{m}.ko", 0o644)
    # ELF programs + libraries
    elves = [DEBIAN_PYTHON, *BINARIES]
    t.host_file(DEBIAN_PYTHON, DEBIAN_PYTHON, 0o755)
    t.symlink("usr/bin/python3", "python3.11")
    for b in BINARIES:
        t.host_file(b, b, 0o755)
    t.symlink("usr/sbin/mkfs.ext4", "mke2fs")
    t.host_file(str(sshd), "/usr/sbin/sshd", 0o755)
    elves.append(str(sshd))
    py_files = _python_files()
    dyn = [f for f in py_files if f.endswith(".so")]
    elves += dyn
    for lib in sorted(_ldd(elves)):
        real = os.path.realpath(lib)
        t.host_file(real, _usr(real), 0o755)
        if _usr(lib) != _usr(real):
            t.symlink(_usr(lib), _usr(real))
    # python standard-library subset, precompiled (unchecked-hash pycs need no source mtime checks)
    with tempfile.TemporaryDirectory() as td:
        for f in py_files:
            dest = Path(td) / f.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
        appdir = Path(td) / "opt" / "device"
        appdir.mkdir(parents=True)
        for name in ("deviced.py", "devcli.py", "fwformat.py"):
            shutil.copyfile(GUEST_DIR / name, appdir / name)
        subprocess.run([DEBIAN_PYTHON, "-I", "-S", "-m", "compileall", "-q", "-j", "1", "--invalidation-mode",
                        "unchecked-hash", "-d", "/", td], check=True, capture_output=True,
                       env={"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": str(MTIME)})
        for p in sorted(Path(td).rglob("*")):
            if p.is_file():
                rel = "/" + str(p.relative_to(td))
                mode = 0o755 if rel in ("/opt/device/devcli.py",) else 0o644
                t.file(rel, p.read_bytes(), mode)
    t.symlink("usr/bin/devcli", "/opt/device/devcli.py")
    # device identity baked into the firmware
    t.file("etc/device/firmware.json", json.dumps({"model": MODEL_NUMBER, "version": FIRMWARE_VERSION}).encode())
    t.file("etc/device/fw-signing.pub.pem", (keydir / "fw-signing.pub.pem").read_bytes())
    t.file("etc/device/telemetry-ca.pem", (keydir / "telemetry-ca.pem").read_bytes())
    t.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nadmin:x:1000:1000:admin:/home/admin:/usr/bin/devcli\n"
                         b"sshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n")
    t.file("etc/group", b"root:x:0:\nadmin:x:1000:\nnogroup:x:65534:\n")
    t.file("etc/shadow", b"root:*:19000:0:99999:7:::\nadmin:!:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\n",
           0o600)
    t.file("etc/shells", b"/bin/sh\n/usr/bin/devcli\n")
    t.file("etc/issue", f"JC-STAR reference device {MODEL_NUMBER} (firmware {FIRMWARE_VERSION})\n\n".encode())
    t.file("etc/profile", b"export PATH=/usr/sbin:/usr/bin:/sbin:/bin\nexport PS1='\\h:\\w\\$ '\n")
    t.file("etc/hostname", b"refbench\n")
    t.file("etc/nsswitch.conf", b"passwd: files\ngroup: files\nshadow: files\n")
    t.entries["home/admin"] = (stat.S_IFDIR | 0o755, b"")
    return gzip.compress(t.cpio(), compresslevel=6, mtime=0)
