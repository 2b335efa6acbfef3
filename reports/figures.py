"""The evaluation report's pictures, drawn from evaluation.json alone: inline SVG, no script, no external resource.

* :func:`unit_figures`: the pictures whose data a unit recorded (``UnitResult.figures``): the brute-force
  delay curve (S1.1-04) and the map of open ports against declared services (S1.1-13);
* :func:`timeline`: every unit of the run on a time axis, one row per item, coloured by verdict.

Pure and deterministic: the same record gives the same bytes, so ``python -m reports.verify`` can render the
report again and compare. Every text from the record (device data among it) is cleaned of characters XML
cannot carry and escaped; empty data and huge values give a picture, never an exception.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape

from reports.model import CurveFigure, EvaluationRecord, PortEntry, PortMapFigure, UnitResult, Verdict
from reports.svgplot import scatter

TEXT: dict[str, dict[str, str]] = {
    "ja": {
        "login_attempts.title": "ログイン試行の応答時間",
        "login_attempts.x": "最初の試行からの時間（秒）",
        "login_attempts.y": "応答時間（秒）",
        "login_attempts.caption": "図：{subject} へのログイン試行ごとの開始時刻と応答時間（結果別）",
        "omitted_points": "（記録を小さく保つため {n} 点を均等に間引いた。全点は証拠の measurement.json にある）",
        "no_points": "試行の記録なし",
        "other": "その他",
        "accepted": "受理",
        "rejected": "拒否",
        "dropped": "切断",
        "error": "応答なし・エラー",
        "port_map.title": "開いているポートと申告されたサービス",
        "port_map.caption": "図：アドレスごとの開いているポートと製品プロファイルで申告されたサービス",
        "omitted_ports": "ほかに申告されていない開いたポートが {n} 件ある（記録を小さく保つため省略。証拠の "
        "discovery.json にある）",
        "no_ports": "開いているポートも申告されたサービスも見つからなかった",
        "ok": "申告どおり開いている",
        "undeclared": "申告されていないのに開いている",
        "closed": "申告されているのに開いていない",
        "unknown": "応答なし（UDP）・不明",
        "unidentified": "未識別",
        "timeline.heading": "評価の経過（タイムライン）",
        "timeline.title": "評価の経過",
        "timeline.caption": "図：評価単位ごとの実施時間（評価項目ごと、判定で色分け）",
        "timeline.start": "開始",
        "timeline.min": "開始からの経過時間（分）",
        "timeline.s": "開始からの経過時間（秒）",
        "no_units": "記録された評価単位なし",
        "PASS": "適合",
        "FAIL": "非適合",
        "INCONCLUSIVE": "判定不能",
        "NOT_APPLICABLE": "該当なし",
    },
    "en": {
        "login_attempts.title": "Response time of login attempts",
        "login_attempts.x": "time since the first attempt (s)",
        "login_attempts.y": "response time (s)",
        "login_attempts.caption": "Figure: each login attempt on {subject}, its start against its response "
        "time, by outcome",
        "omitted_points": " ({n} points evenly left out to keep the record small; measurement.json in the "
        "evidence has them all)",
        "no_points": "no attempt recorded",
        "other": "other",
        "accepted": "accepted",
        "rejected": "rejected",
        "dropped": "dropped",
        "error": "no answer / error",
        "port_map.title": "Open ports and declared services",
        "port_map.caption": "Figure: open ports per address against the services the device profile declares",
        "omitted_ports": "{n} more undeclared open ports are left out to keep the record small (discovery.json "
        "in the evidence has them)",
        "no_ports": "no open port and no declared service found",
        "ok": "declared and open",
        "undeclared": "open but not declared",
        "closed": "declared but not open",
        "unknown": "no answer (UDP) or unclear",
        "unidentified": "unidentified",
        "timeline.heading": "Timeline of the evaluation",
        "timeline.title": "Course of the evaluation",
        "timeline.caption": "Figure: when each test unit ran, per item, coloured by verdict",
        "timeline.start": "started",
        "timeline.min": "time since the start (min)",
        "timeline.s": "time since the start (s)",
        "no_units": "no unit recorded",
        "PASS": "PASS",
        "FAIL": "FAIL",
        "INCONCLUSIVE": "INCONCLUSIVE",
        "NOT_APPLICABLE": "NOT APPLICABLE",
    },
}

GREEN, RED, AMBER, GREY = "#1a7f37", "#cf222e", "#9a6700", "#8c959f"
OUTCOME_COLOURS = {"accepted": GREEN, "rejected": RED, "dropped": AMBER, "error": "#57606a"}
VERDICT_COLOURS = {Verdict.PASS: GREEN, Verdict.FAIL: RED, Verdict.INCONCLUSIVE: AMBER, Verdict.NOT_APPLICABLE: GREY}
PORT_COLOURS = {"ok": GREEN, "undeclared": RED, "closed": AMBER, "unknown": GREY}
PORT_FILLS = {"ok": "#dafbe1", "undeclared": "#ffebe9", "closed": "#fff8c5", "unknown": "#f6f8fa"}
PORT_MARKS = {"ok": "✓", "undeclared": "!", "closed": "×", "unknown": "?"}  # not by colour alone
PALETTE = ("#0969da", "#8250df", "#bf3989", "#1b7c83", "#953800", "#4d2d00")  # categories not named above
MAX_LEGEND = 8
FONT = 'font-family="sans-serif" font-size="12"'
WIDTH = 720


def clean(text: str, limit: int | None = None) -> str:
    """Text XML can carry (control characters, surrogates and non-characters become U+FFFD), at most
    ``limit`` characters (cut with an ellipsis). Not escaped: :func:`_t` escapes."""
    out = "".join(
        c if c in "\t\n\r" or "\x20" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000" else "\ufffd"
        for c in (text if limit is None else text[: limit + 1])
    )
    return out if limit is None or len(out) <= limit else out[: max(limit - 1, 0)] + "…"


def _t(text: str, limit: int | None = None) -> str:
    """Record text, cleaned and escaped for SVG content and attributes."""
    return escape(clean(text, limit), quote=True)


def _svg(width: int, height: int, body: Iterable[str]) -> str:
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" {FONT}>',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        *body,
        "</svg>",
    ]) + "\n"


def _legend(x: int, y: int, entries: list[tuple[str, str]]) -> tuple[list[str], int]:
    """A row of (colour, already escaped label) swatches, wrapped within the picture's width; the lines
    and the baseline of the last row."""
    out: list[str] = []
    cx = x
    for colour, label in entries:
        width = 24 + sum(12 if unicodedata.east_asian_width(c) in "WF" else 7 for c in label)  # roughly
        if cx + width > WIDTH - 16 and cx > x:
            cx, y = x, y + 16
        out.append(f'<rect x="{cx}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{cx + 14}" y="{y}">{label}</text>')
        cx += width
    return out, y


# -- the brute-force delay curve ------------------------------------------------------------------


def curve_svg(fig: CurveFigure, lang: str) -> str:
    t = TEXT[lang]
    present = dict.fromkeys(p.category for p in fig.points)
    known = [c for c in OUTCOME_COLOURS if c in present]
    shown = (known + [c for c in present if c not in OUTCOME_COLOURS])[: MAX_LEGEND - 1]
    # Keys for the chart, not the categories themselves: any text can be a category.
    key = {cat: f"c{n}" for n, cat in enumerate(shown)}
    colours = {key[cat]: OUTCOME_COLOURS.get(cat) or PALETTE[n % len(PALETTE)] for n, cat in enumerate(shown)}
    labels = {key[cat]: t[cat] if cat in OUTCOME_COLOURS else clean(cat, 24) for cat in shown}
    points = [(p.x, p.y, key.get(p.category, "other")) for p in fig.points]
    if len(present) > len(shown):
        colours["other"], labels["other"] = GREY, t["other"]
    return scatter(
        points, title=f"{t[fig.curve + '.title']}: {clean(fig.subject, 60)}", x_label=t[fig.curve + ".x"],
        y_label=t[fig.curve + ".y"], colours=colours, labels=labels, note=None if points else t["no_points"],
    )


def curve_caption(fig: CurveFigure, lang: str) -> str:
    t = TEXT[lang]
    caption = t[fig.curve + ".caption"].format(subject=clean(fig.subject, 200))
    return caption + (t["omitted_points"].format(n=fig.omitted) if fig.omitted else "")


# -- the port map --------------------------------------------------------------------------------


def port_category(entry: PortEntry) -> str:
    """ok (declared, open), undeclared (open, not declared), closed (declared, and closed, or filtered on TCP:
    what S1.1-13 finds wrong with the scan), unknown (a declared UDP port that did not answer, or else)."""
    if entry.state == "open":
        return "ok" if entry.declared else "undeclared"
    if entry.declared and (entry.state == "closed" or (entry.transport == "tcp" and entry.state == "filtered")):
        return "closed"
    return "unknown"


COLUMNS, CHIP_W, CHIP_H, GAP, MARGIN = 4, 166, 34, 8, 16


def port_map_svg(fig: PortMapFigure, lang: str) -> str:
    t = TEXT[lang]
    cats = [port_category(e) for e in fig.entries]
    legend = [(PORT_COLOURS[c], f"{PORT_MARKS[c]} {escape(t[c])} ({cats.count(c)})") for c in PORT_COLOURS]
    swatches, y = _legend(MARGIN, 44, legend)
    body = [f'<text x="{WIDTH / 2:.0f}" y="20" text-anchor="middle" font-size="14">{escape(t["port_map.title"])}'
            "</text>", *swatches]
    y += 14
    groups: dict[str, list[tuple[PortEntry, str]]] = {}
    for e, c in zip(fig.entries, cats, strict=True):
        groups.setdefault(e.address, []).append((e, c))
    if not groups:
        body.append(f'<text x="{MARGIN}" y="{y + 12}">{escape(t["no_ports"])}</text>')
        y += 24
    for address, entries in groups.items():
        body.append(f'<text x="{MARGIN}" y="{y + 12}" font-weight="bold">{_t(address, 80)}</text>')
        y += 20
        for n, (e, c) in enumerate(entries):
            x = MARGIN + (n % COLUMNS) * (CHIP_W + GAP)
            top = y + (n // COLUMNS) * (CHIP_H + GAP)
            names = [s for s in (e.service, e.protocol) if s]
            label = " · ".join(dict.fromkeys(names)) or t["unidentified"]
            hover = f"{e.address} {e.port}/{e.transport} {e.state}: {t[c]}"
            hover += f" ({', '.join(names)})" if names else ""
            body += [
                f'<g><title>{_t(hover, 300)}</title>',
                f'<rect x="{x}" y="{top}" width="{CHIP_W}" height="{CHIP_H}" rx="4" fill="{PORT_FILLS[c]}" '
                f'stroke="{PORT_COLOURS[c]}" stroke-width="1.5" class="port-{c}"/>',
                f'<text x="{x + 6}" y="{top + 14}" font-weight="bold" fill="{PORT_COLOURS[c]}">{PORT_MARKS[c]} '
                f"{e.port}/{e.transport}</text>",
                f'<text x="{x + 6}" y="{top + 28}" font-size="11">{_t(label, 24)}</text></g>',
            ]
        y += math.ceil(len(entries) / COLUMNS) * (CHIP_H + GAP) + 4
    if fig.omitted:
        body.append(f'<text x="{MARGIN}" y="{y + 12}" font-size="11">'
                    f"{escape(t['omitted_ports'].format(n=fig.omitted))}</text>")
        y += 20
    return _svg(WIDTH, y + 8, body)


def port_map_caption(fig: PortMapFigure, lang: str) -> str:
    return TEXT[lang]["port_map.caption"]


def unit_figures(unit: UnitResult, lang: str) -> list[tuple[str, str]]:
    """(caption, SVG markup) for each picture the unit recorded; the caption is plain text (escape it)."""
    out = []
    for fig in unit.figures:
        if isinstance(fig, CurveFigure):
            out.append((curve_caption(fig, lang), curve_svg(fig, lang)))
        else:
            out.append((port_map_caption(fig, lang), port_map_svg(fig, lang)))
    return out


# -- the run's timeline --------------------------------------------------------------------------


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _nice(step: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at least ``step`` (> 0)."""
    base = 10.0 ** math.floor(math.log10(step))
    return next((m * base for m in (1, 2, 5) if m * base >= step), 10 * base)


LEFT, ROW, BAR = 96, 18, 12


def timeline(record: EvaluationRecord, lang: str) -> str:
    """Every unit of the record as a bar from its start to its finish, one row per item (in the order of the
    record's items, then any other), coloured by verdict; the time axis starts when the run started."""
    t = TEXT[lang]
    legend = [(VERDICT_COLOURS[v], escape(t[v.value])) for v in VERDICT_COLOURS]
    head = [f'<text x="{WIDTH / 2:.0f}" y="20" text-anchor="middle" font-size="14">{escape(t["timeline.title"])}'
            "</text>", *_legend(LEFT, 42, legend)[0]]
    if not record.units:
        return _svg(WIDTH, 80, [*head, f'<text x="{LEFT}" y="68">{escape(t["no_units"])}</text>'])
    t0 = min(_utc(record.started), *(_utc(u.started) for u in record.units))
    ends = [_utc(u.finished) for u in record.units] + [_utc(u.started) for u in record.units]
    t1 = max(_utc(record.finished) if record.finished else t0, *ends)
    span = max((t1 - t0).total_seconds(), 1.0)
    minutes = span > 120
    scale = 60.0 if minutes else 1.0
    with_units = {u.item for u in record.units}
    rows = {item: n for n, item in enumerate(dict.fromkeys(
        [i.id for i in record.items if i.id in with_units] + [u.item for u in record.units]))}
    top, plot_w = 56, WIDTH - LEFT - 24
    bottom = top + ROW * len(rows)
    try:
        when = t0.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except OverflowError:  # a time zone that takes year 1 below the calendar
        when = t0.isoformat()
    body = [*head, f'<text x="{WIDTH - 24}" y="42" text-anchor="end" font-size="11">{escape(t["timeline.start"])} '
            f"{escape(when)}</text>"]

    def sx(seconds: float) -> float:
        return LEFT + plot_w * min(max(seconds / span, 0.0), 1.0)

    for item, n in rows.items():
        if n % 2:
            body.append(f'<rect x="{LEFT}" y="{top + ROW * n}" width="{plot_w}" height="{ROW}" fill="#f6f8fa"/>')
        body.append(f'<text x="{LEFT - 6}" y="{top + ROW * n + ROW - 5}" text-anchor="end">{_t(item, 14)}</text>')
    for u in record.units:
        y = top + ROW * rows[u.item] + (ROW - BAR) // 2
        s = (_utc(u.started) - t0).total_seconds()
        f = max((_utc(u.finished) - t0).total_seconds(), s)
        x = sx(s)
        w = max(sx(f) - x, 2.0)
        verdict = t[u.verdict.value]
        body.append(f'<rect x="{x:.1f}" y="{y:.0f}" width="{w:.1f}" height="{BAR}" fill="{VERDICT_COLOURS[u.verdict]}" '
                    f'class="unit-{u.verdict.value}"><title>{_t(u.name, 200)}: {escape(verdict)} '
                    f"({f - s:.0f} s)</title></rect>")
    body.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + plot_w}" y2="{bottom}" stroke="black"/>')
    step = _nice(span / scale / 6)
    ticks = min(int(span / scale / step), 12)
    for i in range(ticks + 1):
        x = sx(i * step * scale)
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#d0d7de"/>')
        body.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{i * step:g}</text>')
    label = t["timeline.min" if minutes else "timeline.s"]
    body.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="{bottom + 34}" text-anchor="middle">{escape(label)}</text>')
    return _svg(WIDTH, bottom + 44, body)


def timeline_caption(lang: str) -> str:
    return TEXT[lang]["timeline.caption"]
