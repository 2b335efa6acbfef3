"""Fixed names and numbers of the reference bench (one bench per machine)."""

from __future__ import annotations

import os
from pathlib import Path

MODEL_NUMBER = "RB-100"
FIRMWARE_VERSION = "1.0.0"
ADMIN_USER = "admin"

# Bench network.  192.0.2.0/24 is the host's own eth0 on these machines: never a candidate.
SUBNET_CANDIDATES: tuple[str, ...] = ("203.0.113.0/24", "198.51.100.0/24")
IPV6_CANDIDATES: tuple[str, ...] = ("2001:db8:4a53:1::/64", "2001:db8:4a53:2::/64")
DEVICE_HOST = 10
LAB_HOST = 1
# IPv6 hosts: ::10 and ::1, the same digits as .10 and .1 (what FACTS.md and the device profiles
# declare).  Not DEVICE_HOST: network_address + 10 is ::a, an address nobody declares or probes.
DEVICE_HOST6 = 0x10
LAB_HOST6 = 0x1
TELEMETRY_PORT = 9443

LAB_NETNS = "jcsrb-lab"
DUT_NETNS = "jcsrb-dut"
NETNS_PREFIX = "jcsrb-"
LAB_IF = "rb-lab0"
DUT_VETH = "rb-dut0"
BRIDGE = "rb-br0"
TAP = "rb-tap0"

PDU_PORT = 161
PDU_OUTLET = 1
PDU_OUTLETS = 8
PDU_COMMUNITY = "private"
PDU_V3_USER = "pduadmin"
APC_OUTLET_CTL_OID = ".1.3.6.1.4.1.318.1.1.4.4.2.1.3"

GUEST_MEMORY_MB = 256


def repo_root() -> Path:
    """The checkout this package lives in."""
    return Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Firmware/key cache: $JCSTAR_BENCH_CACHE or <repo>/.refbench (git-ignored)."""
    env = os.environ.get("JCSTAR_BENCH_CACHE")
    return Path(env) if env else repo_root() / ".refbench"


def run_root() -> Path:
    """Machine-wide state of the running bench (state file, sockets, flash image): $JCSTAR_BENCH_RUN."""
    return Path(os.environ.get("JCSTAR_BENCH_RUN", "/run/jcsrb"))


def lab_config_into(folder: Path) -> Path:
    """The project's lab config, copied into ``folder`` with runs and the report register written there
    (bench runs for validation, fault injection and tests, kept apart from the lab's runs/)."""
    text = (repo_root() / "lab_config.toml").read_text(encoding="utf-8")
    text = text.replace('output_dir = "runs"', f'output_dir = "{folder}"').replace(
        'register_db = "runs/register.sqlite3"', f'register_db = "{folder}/register.sqlite3"')
    path = folder / "lab_config.toml"
    path.write_text(text, encoding="utf-8")
    return path
