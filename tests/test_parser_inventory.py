"""docs/parsers.md is the inventory of parsers of outside data and their fuzz tests; this keeps it true.

Every row's parser imports, every row's test exists and is a hypothesis test (read with ast, not run), and
every parser-named public function of fixtures/, reports/ and criteria/ is in the table or in the doc's
"Not parsers of outside data" list: a new parser cannot arrive without a fuzz test or a stated reason.
"""

from __future__ import annotations

import ast
import importlib
import re
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "parsers.md"
DISCOVERED_IN = ("fixtures", "reports", "criteria")
# The naming rule docs/parsers.md states.
PARSER_NAME = re.compile(r"^(parse|decode|read|load|from|scan|verify|analyse|analyze|classify)(_|$)")
_ROW = re.compile(r"^\|\s*`(?P<parser>[\w.]+:[\w.]+)`\s*\|.*\|\s*`(?P<test>[\w/.]+\.py::\w+)`[^|]*\|\s*$")
_EXEMPT = re.compile(r"^- `(?P<parser>[\w.]+:[\w.]+)` — \S")


def _doc_lines() -> list[str]:
    return DOC.read_text(encoding="utf-8").splitlines()


def rows() -> list[tuple[str, str]]:
    found = [(m["parser"], m["test"]) for line in _doc_lines() if (m := _ROW.match(line))]
    assert found, "docs/parsers.md has no table rows"
    return found


def exempt() -> list[str]:
    lines = _doc_lines()
    start = lines.index("## Not parsers of outside data")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [m["parser"] for line in lines[start:end] if (m := _EXEMPT.match(line))]


def test_every_table_line_is_a_row() -> None:
    """A table line the row pattern misses would silently drop out of every check below."""
    table = [line for line in _doc_lines() if line.startswith("| `")]
    assert len(table) == len(rows()), [line for line in table if not _ROW.match(line)]


@pytest.mark.parametrize("parser", sorted({p for p, _ in rows()}))
def test_every_parser_imports(parser: str) -> None:
    module, qualname = parser.split(":")
    obj: object = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    assert callable(obj), parser


@cache
def _tree(path: str) -> ast.Module:
    return ast.parse((REPO / path).read_text(encoding="utf-8"))


def _is_given(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "given") or (
        isinstance(target, ast.Attribute) and target.attr == "given")


@pytest.mark.parametrize("test", sorted({t for _, t in rows()}))
def test_every_fuzz_test_exists_and_uses_hypothesis(test: str) -> None:
    path, name = test.split("::")
    assert (REPO / path).is_file(), f"{path} does not exist"
    defs = [n for n in ast.walk(_tree(path)) if isinstance(n, ast.FunctionDef) and n.name == name]
    assert defs, f"{path} has no test {name}"
    assert any(_is_given(d) for d in defs[0].decorator_list), f"{test} is not decorated with hypothesis' @given"


def discovered() -> set[str]:
    """module:qualname of every function the naming rule calls a parser."""
    found: set[str] = set()
    for top in DISCOVERED_IN:
        for path in sorted((REPO / top).rglob("*.py")):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            for node in _tree(str(path.relative_to(REPO))).body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and PARSER_NAME.match(node.name):
                    found.add(f"{module}:{node.name}")
                elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    for m in node.body:
                        if (isinstance(m, ast.FunctionDef) and PARSER_NAME.match(m.name) and any(
                                isinstance(d, ast.Name) and d.id in ("classmethod", "staticmethod")
                                for d in m.decorator_list)):
                            found.add(f"{module}:{node.name}.{m.name}")
    return found


def test_every_parser_named_function_is_fuzzed_or_exempted_with_a_reason() -> None:
    listed = {p for p, _ in rows()} | set(exempt())
    missing = sorted(discovered() - listed)
    assert not missing, ("parsers without a row in docs/parsers.md (add a hypothesis test and a row, or a line "
                         f"under 'Not parsers of outside data' saying why): {missing}")


def test_the_exemptions_are_real_and_not_also_fuzzed() -> None:
    names = exempt()
    assert names and len(names) == len(set(names))
    assert not set(names) & {p for p, _ in rows()}
    gone = sorted(set(names) - discovered())
    assert not gone, f"exempted in docs/parsers.md but no longer found by the naming rule: {gone}"


def test_the_rule_finds_what_it_should() -> None:
    """Guard against a rule that finds nothing (a broken walk would pass the check above vacuously)."""
    found = discovered()
    for known in ("fixtures.profile:load_profile", "reports.signing:read_envelope", "criteria._data:parse_toml",
                  "fixtures.net.tls_records:parse_server_flight", "reports.verify:verify"):
        assert known in found
