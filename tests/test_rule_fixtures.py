"""Every rule against its fixture files.

A fixture is ``tests/fixtures/rules/<CODE>*.py``; a line ending in
``# expect: CODE[, CODE]`` must get exactly those findings (of the codes the
file is about), and no other line may.  When the rule offers fixes,
``<fixture>.fixed`` holds the file after applying every fix of that code
(unsafe ones included); the fixed file must parse and must not be flagged
where a fix was applied.  Set ``LIME_UPDATE_SNAPSHOTS=1`` to rewrite the
``.fixed`` files after reviewing the change.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Applicability
from lime_task_lint.fixer import fix_text
from lime_task_lint.framework import all_rules
from lime_task_lint.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>LIME\d{3}(?:\s*,\s*LIME\d{3})*)")
FIXTURE_FILES = sorted(FIXTURES.glob("LIME*.py"))


def _code_of(path: Path) -> str:
    return path.name[:7]


def _expected(text: str) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            for code in re.split(r"\s*,\s*", match.group("codes")):
                found.add((number, code))
    return found


def test_every_rule_has_a_fixture():
    codes = {_code_of(p) for p in FIXTURE_FILES}
    missing = [rule.code for rule in all_rules() if rule.code not in codes]
    assert not missing, f"rules without a fixture in {FIXTURES}: {missing}"


def test_every_fixture_names_a_rule():
    registered = set(all_rules().codes())
    assert {_code_of(p) for p in FIXTURE_FILES} <= registered


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_findings(path: Path):
    text = path.read_text(encoding="utf-8")
    code = _code_of(path)
    codes = {code} | {c for _, c in _expected(text)}
    result = check(SourceDocument(text, str(path)), Settings(), codes=codes)
    assert not [n for n in result.notes if "failed" in n], result.notes
    index = result.document.index
    got = {(index.to_row_column(v.start)[0], v.code) for v in result.violations}
    expected = _expected(text)
    assert got == expected, (
        f"\nmissing (expected, not found): {sorted(expected - got)}"
        f"\nunexpected (found, not expected): {sorted(got - expected)}")


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_fixes(path: Path):
    text = path.read_text(encoding="utf-8")
    code = _code_of(path)
    before = check(SourceDocument(text, str(path)), Settings(), codes={code}).violations
    fixable = [v for v in before if v.fix is not None and v.fix.applicability is not Applicability.DISPLAY_ONLY]
    snapshot = path.with_name(path.name + ".fixed")
    if not fixable:
        assert not snapshot.exists(), f"{snapshot.name} exists but {code} offers no fix in {path.name}"
        return
    result = fix_text(text, Settings(), path=str(path), unsafe=True, codes={code})
    ast.parse(result.text)  # every fix must leave code that parses
    if os.environ.get("LIME_UPDATE_SNAPSHOTS"):
        snapshot.write_text(result.text, encoding="utf-8", newline="")
    assert snapshot.exists(), f"{code} offers fixes in {path.name}: add {snapshot.name} (LIME_UPDATE_SNAPSHOTS=1)"
    assert result.text == snapshot.read_text(encoding="utf-8"), f"{snapshot.name} differs from the fixed output"
    # A fix makes its own diagnostic disappear: what remains had no applicable fix.
    after = [v for v in result.remaining if v.code == code]
    assert len(after) <= len(before) - len(fixable) + sum(1 for v in after if v.fix is None), (
        f"fixes of {code} did not remove their diagnostics: {[(v.message) for v in after]}")
    for v in after:
        assert v.fix is None or v.fix.applicability is Applicability.DISPLAY_ONLY, (
            f"after fixing, {code} still offers a fix: {v.message}")
