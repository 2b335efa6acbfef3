#!/usr/bin/env bash
# Installs what the harness needs on Debian 12, as root: Debian packages (tshark, iproute2, the
# reference bench's QEMU and firmware packages), a virtual environment in .venv, and the harness
# itself with its development extras. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[install] %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "run as root: the reference bench needs network namespaces and Debian packages"; exit 1
fi

# Debian packages: the harness's own, plus the reference bench's list (refbench/apt-packages.txt).
# tshark and nmap for the procedures; openssh-server, dropbear-bin, testssl.sh and ssh-audit are the
# real servers and reference tools the test suite compares against.
# snmp and snmpd: the PDU and switch drivers' tests run a real Net-SNMP agent; libsystemd-dev and
# pkg-config build systemd-python, which pdudaemon (the real server its driver is tested against) needs.
# chromium prints the PDF report, fonts-noto-cjk gives it Japanese glyphs, and poppler-utils
# (pdftotext, pdftoppm) reads the PDF back for verification and for the reader tests.
packages=(python3 python3-venv python3-dev gcc iproute2 tshark nmap procps git
          openssh-server dropbear-bin testssl.sh ssh-audit snmp snmpd libsystemd-dev pkg-config
          chromium fonts-noto-cjk poppler-utils)
if [ -f refbench/apt-packages.txt ]; then
  while read -r p; do [ -n "$p" ] && [ "${p:0:1}" != "#" ] && packages+=("$p"); done < refbench/apt-packages.txt
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; the lab runs as root, so: no.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  # Never start a service while installing (openssh-server would start an sshd on the host):
  # policy-rc.d exit 101 tells the maintainer scripts "not allowed".
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; own_policy=1; fi
  status=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi
  if [ "$status" != 0 ]; then say "apt-get install failed (status $status)"; exit "$status"; fi
fi

# The virtual environment, with Debian's Python 3.11 when present.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if [ ! -x .venv/bin/python ]; then
  say "creating the virtual environment .venv"
  "$py" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing the harness into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$stamp"
fi
