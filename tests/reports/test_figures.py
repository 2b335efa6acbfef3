"""The report's pictures (brute-force curve, port map, timeline): inline SVG from evaluation.json alone."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.figures import (
    AMBER,
    GREEN,
    PORT_COLOURS,
    RED,
    TEXT,
    VERDICT_COLOURS,
    clean,
    curve_svg,
    port_category,
    port_map_svg,
    timeline,
    unit_figures,
)
from reports.model import (
    CurveFigure,
    EvaluationRecord,
    PlotPoint,
    PortEntry,
    PortMapFigure,
    UnitResult,
    Verdict,
)
from reports.report_html import LANGS, render
from reports.svgplot import HEIGHT, PAD, WIDTH
from tests.reports.test_checklist import T0, checklist_record

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script>\x00\x1b\ud800&\"'"


def curve(points: list[tuple[float, float, str]], subject: str = "ssh-admin", omitted: int = 0) -> CurveFigure:
    return CurveFigure(curve="login_attempts", subject=subject, omitted=omitted,
                       points=[PlotPoint(x=x, y=y, category=c) for x, y, c in points])


def port(port: int, state: str, declared: bool, transport: str = "tcp", service: str | None = None,
         protocol: str | None = None, address: str = "192.0.2.10") -> PortEntry:
    return PortEntry.model_validate({"address": address, "port": port, "transport": transport, "state": state,
                                     "declared": declared, "service": service, "protocol": protocol})


CURVE = curve([(0.0, 0.2, "rejected"), (0.3, 0.4, "rejected"), (0.8, 2.1, "dropped"), (3.0, 0.1, "accepted")])
PORTS = PortMapFigure(entries=[
    port(22, "open", True, service="ssh-admin", protocol="ssh"),
    port(23, "open", False, protocol="telnet"),
    port(1883, "closed", True, service="mqtt"),
    port(5353, "open|filtered", True, "udp", service="mdns"),
])


def figures_record() -> EvaluationRecord:
    """The checklist test's record, with a delay curve on an S1.1-04 unit and a port map on S1.1-13."""
    record = checklist_record()
    units = []
    for u in record.units:
        if u.name == "test_guessing_rate_is_limited[ssh-admin]":
            u = u.model_copy(update={"figures": [CURVE]})
        elif u.item == "S1.1-13":
            u = u.model_copy(update={"figures": [PORTS]})
        units.append(u)
    return EvaluationRecord.model_validate(record.model_copy(update={"units": units}).model_dump())


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert not list(root.iter(f"{SVG}script"))
    for el in root.iter():  # nothing fetched, nothing run, every number a number
        assert not any(k.endswith("href") or k.startswith("on") for k in el.attrib), el.attrib
        assert not any(re.search(r"nan|inf", v) for k, v in el.attrib.items() if k in NUMERIC), el.attrib
    return root


NUMERIC = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "viewBox", "transform"}


# -- determinism and the report ------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_same_record_gives_the_same_bytes_even_read_back_from_json(lang: str) -> None:
    record = figures_record()
    again = EvaluationRecord.model_validate_json(record.model_dump_json())
    for a, b in zip(record.units, again.units, strict=True):
        assert unit_figures(a, lang) == unit_figures(b, lang)
    assert timeline(record, lang) == timeline(again, lang)
    assert render(record, lang) == render(again, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_the_report_shows_each_units_figures_after_its_item_and_the_timeline(lang: str) -> None:
    html = render(figures_record(), lang)
    t = TEXT[lang]
    assert html.count('<figure class="figure">') == 3 and html.count("<svg") == 3
    assert "<figcaption>" in html and t["port_map.title"] in html and t["login_attempts.title"] in html
    assert t["timeline.heading"] in html
    # each figure after its item's unit table, before the next item's heading
    s104, s105 = html.index("<h3>S1.1-04 "), html.index("<h3>S1.1-05 ")
    assert s104 < html.index(t["login_attempts.title"]) < s105
    assert html.index(t["login_attempts.title"]) > html.index("</table>", s104)
    s113, s114 = html.index("<h3>S1.1-13 "), html.index("<h3>S1.1-14 ")
    assert s113 < html.index(t["port_map.title"]) < s114
    assert html.index('id="units"') < html.index('id="timeline"') < html.index('id="deviations"')
    assert "page-break-inside: avoid" in html and "max-width: 100%" in html
    other = TEXT["en" if lang == "ja" else "ja"]
    assert other["port_map.title"] not in html and other["timeline.title"] not in html


def test_a_record_without_figures_still_has_its_timeline() -> None:
    html = render(checklist_record(), "en")
    assert html.count('<figure class="figure">') == 1 and 'id="timeline"' in html


def test_hostile_text_is_escaped_everywhere() -> None:
    record = figures_record()
    hostile_units = []
    for u in record.units:
        if u.figures:
            fig = u.figures[0]
            if isinstance(fig, CurveFigure):
                fig = curve([(0.0, 1.0, HOSTILE), (1.0, 2.0, "rejected")], subject=HOSTILE)
            else:
                fig = PortMapFigure(entries=[port(80, "open", False, service=HOSTILE, protocol=HOSTILE,
                                                  address=HOSTILE)])
            u = u.model_copy(update={"figures": [fig], "name": HOSTILE})
        hostile_units.append(u)
    record = record.model_copy(update={"units": hostile_units})
    for lang in LANGS:
        svgs = [svg for u in record.units for _, svg in unit_figures(u, lang)] + [timeline(record, lang)]
        for svg in svgs:
            parse(svg)
            assert "<script" not in svg and "\x00" not in svg and "\x1b" not in svg
            svg.encode("utf-8")  # no lone surrogate left
        assert any("&lt;script&gt;" in svg for svg in svgs)
        assert "<script" not in render(record, lang)


def test_clean_keeps_what_xml_can_carry_and_cuts_long_text() -> None:
    assert clean("ok 日本語 \t\n😀") == "ok 日本語 \t\n😀"
    assert clean("a\x00b\x7f\ud800\ufffe") == "a\ufffdb\x7f\ufffd\ufffd"
    assert clean("x" * 100, 10) == "x" * 9 + "…" and clean("short", 10) == "short"


# -- the curve -----------------------------------------------------------------------------------


def circles(svg: str) -> list[tuple[float, float, str]]:
    return [(float(c.get("cx", "")), float(c.get("cy", "")), c.get("fill", ""))
            for c in parse(svg).iter(f"{SVG}circle") if c.get("r") == "3"]


@pytest.mark.parametrize("lang", LANGS)
def test_curve_has_a_point_per_attempt_coloured_by_outcome_and_labels_in_the_language(lang: str) -> None:
    svg = curve_svg(CURVE, lang)
    assert [c[2] for c in circles(svg)] == [RED, RED, AMBER, GREEN]
    t = TEXT[lang]
    for key in ("login_attempts.x", "login_attempts.y", "rejected", "dropped", "accepted"):
        assert t[key] in svg
    assert t["error"] not in svg  # only outcomes that occurred are in the legend
    caption, _ = unit_figures(UnitResult.model_validate({**_unit(), "figures": [CURVE]}), lang)[0]
    assert "ssh-admin" in caption
    assert str(7) in unit_figures(UnitResult.model_validate({**_unit(), "figures": [curve([], omitted=7)]}),
                                  lang)[0][0]


def _unit() -> dict[str, object]:
    return {"nodeid": "labtests/x.py::test_y", "name": "test_y", "item": "S1.1-04", "verdict": "PASS",
            "rationale": "r", "started": T0, "finished": T0 + timedelta(seconds=5)}


@pytest.mark.parametrize("values", [
    [(-5.0, -1.0, "rejected"), (5.0, 1.0, "rejected")],
    [(1e308, 1.7e308, "rejected"), (-1e308, -1.7e308, "rejected"), (0.0, 0.0, "dropped")],
    [(5e-324, 5e-324, "rejected")],
])
def test_curve_keeps_negative_and_huge_values_inside_the_plot(values: list[tuple[float, float, str]]) -> None:
    for cx, cy, _ in circles(curve_svg(curve(values), "en")):
        assert PAD - 0.1 <= cx <= WIDTH - PAD + 0.1 and PAD - 0.1 <= cy <= HEIGHT - PAD + 0.1


def test_curve_without_points_says_so_and_many_categories_fold_into_other() -> None:
    empty = curve_svg(curve([]), "ja")
    assert TEXT["ja"]["no_points"] in empty and not circles(empty)
    many = curve_svg(curve([(float(i), 1.0, f"kind-{i}") for i in range(20)]), "en")
    assert len(circles(many)) == 20 and "kind-0" in many and "kind-19" not in many and ">other<" in many


# -- the port map --------------------------------------------------------------------------------


def chips(svg: str) -> dict[str, list[str]]:
    """category -> the stroke colours of its chips, from the rendered SVG."""
    out: dict[str, list[str]] = {}
    for r in parse(svg).iter(f"{SVG}rect"):
        cls = r.get("class") or ""
        if cls.startswith("port-"):
            out.setdefault(cls[5:], []).append(r.get("stroke", ""))
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_port_map_colours_the_three_cases_and_has_a_legend(lang: str) -> None:
    assert [port_category(e) for e in PORTS.entries] == ["ok", "undeclared", "closed", "unknown"]
    svg = port_map_svg(PORTS, lang)
    assert chips(svg) == {"ok": [GREEN], "undeclared": [RED], "closed": [AMBER], "unknown": [PORT_COLOURS["unknown"]]}
    t = TEXT[lang]
    for key in ("ok", "undeclared", "closed", "unknown"):
        assert f"{t[key]} (1)" in svg  # legend entry with its count
    assert "22/tcp" in svg and "ssh-admin · ssh" in svg and "5353/udp" in svg and "192.0.2.10" in svg


def test_port_categories_follow_the_procedure() -> None:
    assert port_category(port(22, "filtered", True)) == "closed"  # TCP: filtered counts as not open
    assert port_category(port(53, "filtered", True, "udp")) == "unknown"  # UDP: only an ICMP 'closed' does
    assert port_category(port(53, "closed", True, "udp")) == "closed"
    assert port_category(port(9, "closed", False)) == "unknown"


def test_port_map_empty_and_cut_short() -> None:
    empty = port_map_svg(PortMapFigure(entries=[]), "ja")
    parse(empty)
    assert TEXT["ja"]["no_ports"] in empty and not chips(empty)
    cut = port_map_svg(PortMapFigure(entries=PORTS.entries, omitted=4321), "en")
    assert "4321" in cut


def test_port_map_grows_with_its_entries() -> None:
    entries = [port(p, "open", False, address=f"192.0.2.{p % 3}") for p in range(1, 101)]
    svg = port_map_svg(PortMapFigure(entries=entries), "en")
    height = int(parse(svg).get("height", "0"))
    ys = [float(r.get("y", "0")) + float(r.get("height", "0")) for r in parse(svg).iter(f"{SVG}rect")]
    assert max(ys) <= height and len(chips(svg)["undeclared"]) == 100


# -- the timeline --------------------------------------------------------------------------------


def bars(svg: str) -> list[ET.Element]:
    return [r for r in parse(svg).iter(f"{SVG}rect") if (r.get("class") or "").startswith("unit-")]


@pytest.mark.parametrize("lang", LANGS)
def test_timeline_has_a_bar_per_unit_in_its_items_row_coloured_by_verdict(lang: str) -> None:
    record = checklist_record()
    svg = timeline(record, lang)
    drawn = bars(svg)
    assert len(drawn) == len(record.units)
    for bar, u in zip(drawn, record.units, strict=True):
        assert bar.get("fill") == VERDICT_COLOURS[u.verdict]
        title = bar.find(f"{SVG}title")
        assert title is not None and u.name in (title.text or "") and TEXT[lang][u.verdict.value] in (title.text or "")
    rows = {u.item: bar.get("y") for bar, u in zip(drawn, record.units, strict=True)}
    assert len(set(rows.values())) == len({u.item for u in record.units})  # one row per item
    xs = [float(b.get("x", "0")) for b in drawn]
    assert xs == sorted(xs)  # the units ran one after the other
    assert TEXT[lang]["timeline.min"] in svg and "2026-11-27 23:30:00 UTC" in svg


def test_timeline_empty_and_odd_times() -> None:
    record = checklist_record()
    empty = timeline(record.model_copy(update={"units": []}), "ja")
    assert TEXT["ja"]["no_units"] in empty and not bars(empty)
    u = record.units[0]
    odd = [
        u.model_copy(update={"started": datetime(1, 1, 1), "finished": datetime(1, 1, 1)}),  # naive, year 1
        u.model_copy(update={"started": datetime(9999, 12, 31, tzinfo=UTC), "finished": datetime(2000, 1, 1)}),
        u.model_copy(update={"verdict": Verdict.NOT_APPLICABLE}),
    ]
    svg = timeline(record.model_copy(update={"units": odd, "finished": None}), "en")
    for bar in bars(svg):
        assert 96 <= float(bar.get("x", "0")) <= WIDTH and float(bar.get("width", "0")) >= 2.0
    short = timeline(record.model_copy(update={"units": [u], "finished": T0 + timedelta(seconds=50)}), "en")
    assert TEXT["en"]["timeline.s"] in short


# -- anything the record may hold ----------------------------------------------------------------

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
POINTS = st.builds(PlotPoint, x=FINITE, y=FINITE, category=ANY_TEXT | st.sampled_from(["rejected", "accepted"]))
ENTRIES = st.builds(
    PortEntry, address=ANY_TEXT, port=st.integers(0, 65535), transport=st.sampled_from(["tcp", "udp"]),
    state=st.sampled_from(["open", "closed", "filtered", "open|filtered"]), declared=st.booleans(),
    service=st.none() | ANY_TEXT, protocol=st.none() | ANY_TEXT,
)
FIGURES = st.builds(CurveFigure, curve=st.just("login_attempts"), subject=ANY_TEXT,
                    points=st.lists(POINTS, max_size=30), omitted=st.integers(0, 10**9)) | st.builds(
    PortMapFigure, entries=st.lists(ENTRIES, max_size=30), omitted=st.integers(0, 10**9))
TIMES = st.datetimes(timezones=st.none() | st.just(UTC) | st.timezones())
UNITS = st.builds(
    UnitResult, nodeid=ANY_TEXT, name=ANY_TEXT, item=ANY_TEXT | st.sampled_from(["S1.1-01", "S1.1-04"]),
    verdict=st.sampled_from(list(Verdict)), rationale=ANY_TEXT, started=TIMES, finished=TIMES,
    figures=st.lists(FIGURES, max_size=3),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=UNITS, lang=st.sampled_from(LANGS))
def test_unit_figures_never_raise_and_always_parse(unit: UnitResult, lang: str) -> None:
    out = unit_figures(unit, lang)
    assert len(out) == len(unit.figures)
    for caption, svg in out:
        parse(svg)
        caption.encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(units=st.lists(UNITS, max_size=12), started=TIMES, finished=st.none() | TIMES,
       lang=st.sampled_from(LANGS))
def test_timeline_never_raises_and_always_parses(units: list[UnitResult], started: datetime,
                                                 finished: datetime | None, lang: str) -> None:
    record = checklist_record().model_copy(update={"units": units, "started": started, "finished": finished})
    svg = timeline(record, lang)
    parse(svg)
    assert len(bars(svg)) == len(units)
