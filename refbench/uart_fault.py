"""UART faults of the reference bench: what a bad serial line does to the device's output.

The daemon relays the emulated device's UART to the pty that plays the USB-serial adapter. With a fault
switched on, that relay is no longer a clean wire:

* ``clean``: bytes pass unchanged.
* ``garble``: each byte from the device is changed to another, random one with probability ``CORRUPT``,
  and a random byte is inserted after it with probability ``INSERT`` (noise, a loose ground).
* ``flood``: garbled as above, and random bytes pushed to the adapter at ``FLOOD_RATE`` bytes a second
  whatever the device does (a babbling line), never more than ``FLOOD_BURST`` at once.

Only the direction device -> adapter is touched; what the harness types reaches the device unchanged.
Pure: no I/O and no clock of its own (the caller passes the time), so it is tested without a bench. The
random bytes come from a seeded generator: the same seed gives the same fault again.
"""

from __future__ import annotations

import random
from typing import Literal, get_args

UartMode = Literal["clean", "garble", "flood"]
UART_MODES: tuple[UartMode, ...] = get_args(UartMode)
CORRUPT = 0.02  # share of the device's bytes changed
INSERT = 0.01  # share of the device's bytes followed by an extra random byte
FLOOD_RATE = 64 * 1024  # bytes a second in flood mode
FLOOD_BURST = 16 * 1024  # the most one call hands out: after a stall the flood does not catch up at once


def parse_mode(mode: object) -> UartMode:
    """``mode`` as a UART fault mode; a ``ValueError`` naming the modes if it is not one."""
    for m in UART_MODES:
        if mode == m:
            return m
    raise ValueError(f"unknown UART fault mode {mode!r}: use one of {', '.join(UART_MODES)}")


class UartFault:
    """The fault on the line from the device to the adapter, switched at run time."""

    def __init__(self, mode: UartMode = "clean", seed: int | None = None, rate: int = FLOOD_RATE) -> None:
        self._rnd = random.Random(seed)
        self.rate = rate
        self.mode: UartMode = "clean"
        self._owed = 0.0  # flood bytes due but not yet handed out (less than one, or capped at a burst)
        self._last: float | None = None  # time of the last flood() call
        self.set_mode(mode)

    def set_mode(self, mode: UartMode, seed: int | None = None) -> None:
        """Switch to ``mode``; a ``seed`` restarts the random bytes. The flood starts at the next call."""
        self.mode = parse_mode(mode)
        if seed is not None:
            self._rnd.seed(seed)
        self._owed, self._last = 0.0, None

    def mangle(self, data: bytes) -> bytes:
        """What the adapter receives when the device sends ``data``: at most twice as many bytes."""
        if self.mode == "clean" or not data:
            return data
        rnd = self._rnd
        out = bytearray()
        for b in data:
            # why: XOR with a non-zero byte, so a corrupted byte is always a different byte
            out.append(b ^ rnd.randrange(1, 256) if rnd.random() < CORRUPT else b)
            if rnd.random() < INSERT:
                out.append(rnd.randrange(256))
        return bytes(out)

    def flood(self, now: float) -> bytes:
        """The random bytes due at ``now`` (monotonic seconds) in flood mode, else nothing.

        Call it as often as you like: on average it gives ``rate`` bytes a second since the first call in
        flood mode, at most ``FLOOD_BURST`` bytes in one call, and nothing for time that runs backwards."""
        if self.mode != "flood":
            return b""
        if self._last is None:
            self._last = now
            return b""
        elapsed = max(0.0, now - self._last)
        self._last = max(self._last, now)
        self._owed = min(float(FLOOD_BURST), self._owed + elapsed * self.rate)
        n = int(self._owed)
        self._owed -= n
        return self._rnd.randbytes(n)
