"""Small, dependency-free SVG charts for evidence and reports (a reader would rather look than read)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 720, 360, 56


def _fraction(v: float, lo: float, hi: float) -> float:
    """Where ``v`` lies between ``lo`` and ``hi`` (0 to 1); halves first, so huge ranges do not overflow."""
    return (v / 2 - lo / 2) / (hi / 2 - lo / 2)


def scatter(
    points: Sequence[tuple[float, float, str]], *, title: str, x_label: str, y_label: str,
    colours: dict[str, str], hline: tuple[float, str] | None = None, labels: dict[str, str] | None = None,
    note: str | None = None,
) -> str:
    """A scatter chart: each point is (x, y, category); categories get a colour and a legend entry (the
    category itself, or its text in ``labels``). Axes start at 0 unless a value is negative. Values must
    be finite; huge ones are drawn to scale. ``note`` is written across the plot (e.g. 'no data')."""
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    x_min = min(min(xs), 0.0)
    x_max = max(max(xs), 1e-9)
    y_min = min(min(ys), hline[0] if hline else 0.0, 0.0)
    y_top = max(max(ys), hline[0] if hline else 0.0, 1e-9)
    y_max = y_top * 1.1 if y_top * 1.1 < math.inf else y_top

    def sx(x: float) -> float:
        return PAD + (WIDTH - 2 * PAD) * _fraction(x, x_min, x_max)

    def sy(y: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * _fraction(y, y_min, y_max)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="black"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="black"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 16}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="16" y="{HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 16 {HEIGHT / 2})">'
        f"{escape(y_label)}</text>",
    ]
    for i in range(5):
        xv, yv = x_min * (1 - i / 4) + x_max * (i / 4), y_min * (1 - i / 4) + y_max * (i / 4)
        parts.append(f'<text x="{sx(xv):.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle">{xv:.3g}</text>')
        parts.append(f'<text x="{PAD - 6}" y="{sy(yv) + 4:.1f}" text-anchor="end">{yv:.3g}</text>')
    if hline is not None:
        parts.append(f'<line x1="{PAD}" y1="{sy(hline[0]):.1f}" x2="{WIDTH - PAD}" y2="{sy(hline[0]):.1f}" '
                     f'stroke="#888" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{WIDTH - PAD}" y="{sy(hline[0]) - 4:.1f}" text-anchor="end" fill="#555">'
                     f"{escape(hline[1])}</text>")
    for x, y, cat in points:
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colours.get(cat, "black")}"/>')
    for n, (cat, colour) in enumerate(colours.items()):
        y = PAD + 16 * n
        parts.append(f'<circle cx="{WIDTH - PAD - 110}" cy="{y}" r="4" fill="{colour}"/>')
        parts.append(f'<text x="{WIDTH - PAD - 100}" y="{y + 4}">{escape((labels or {}).get(cat, cat))}</text>')
    if note is not None:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#555">{escape(note)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
