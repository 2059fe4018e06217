"""Inputs at the edges: huge files, absurd nesting, odd characters and line endings.

The 100,000-line file and the 1 MB line run in the default CI run; their time
bound is the normal one scaled by size (see :func:`.properties.bound_for`).
"""

from __future__ import annotations

import time

import pytest

from lime_task_lint.analysis import analyse
from lime_task_lint.document import SourceDocument
from lime_task_lint.settings import Settings

from .properties import BOUND_S, bound_for, check_document

TASK = '''from lime_task import task


@task
def count_companies(app: LimeApplication) -> int:
    """Count companies."""
    return len(list(app.limetypes.company.get_all()))
'''


def _timed_analysis(text: str):
    start = time.perf_counter()
    analysis = analyse("file:///big.py", text, Settings())
    return analysis, time.perf_counter() - start


def test_hundred_thousand_lines():
    body = "".join(f"value_{i} = {i}  # 会社 {i}\n" for i in range(100_000 - TASK.count("\n")))
    text = TASK + body
    assert text.count("\n") == 100_000
    report = check_document(text, fixes=1, hovers=3, actions=1, fix_all=False)
    assert report.timings["analyse"] <= bound_for(text)
    assert [v.code for v in report.analysis.violations] == ["LIME104"]  # found at the top of a huge file


@pytest.mark.slow
def test_hundred_thousand_lines_with_a_syntax_error():
    """A huge file mid-edit: the recovery path (parso + per-statement parse).  Slow
    (~10-15 s on an idle machine, within the scaled bound of 20 s, but minutes on
    a loaded CI runner), so it runs with LIME_SLOW=1; see docs/reliability.md."""
    half = "".join(f"value_{i} = {i}\n" for i in range(50_000))
    text = TASK + half + "def broken(:\n" + half + TASK.replace("count_companies", "again")
    report = check_document(text, fixes=0, hovers=2, actions=1, fix_all=False)
    assert len([v for v in report.analysis.violations if v.code == "LIME104"]) == 2


def test_one_megabyte_line():
    line = "blob = '" + "x😀" * 350_000 + "'\n"
    assert len(line.encode("utf-8")) > 1_000_000
    text = TASK + line + TASK.replace("count_companies", "after_the_blob")
    report = check_document(text, fixes=2, hovers=4, actions=2)
    assert len(report.analysis.violations) == 2
    # The finding after the long line: its UTF-16 position is counted correctly.
    last = report.analysis.violations[-1]
    line_no, _ = report.analysis.document.index.to_lsp(last.start)
    assert line_no == text[:last.start].count("\n")


def test_one_megabyte_line_of_code():
    text = "total = " + " + ".join(f"v{i}" for i in range(120_000)) + "\n" + TASK
    assert len(text) > 1_000_000
    check_document(text, fixes=1, hovers=3, actions=1, fix_all=False)


NESTING = {
    "parentheses": lambda n: "x = " + "(" * n + "1" + ")" * n + "\n",
    "open parentheses": lambda n: "x = " + "(" * n + "\n",
    "lists": lambda n: "x = " + "[" * n + "]" * n + "\n",
    "dicts": lambda n: "x = " + "{'a': " * n + "1" + "}" * n + "\n",
    "calls": lambda n: "x = f" + "(g" * n + ")" * n + "\n",
    "chained calls": lambda n: "x = app" + ".f()" * n + "\n",
    "attributes": lambda n: "x = a" + ".b" * n + "\n",
    "binary operators": lambda n: "x = " + " + ".join(["1"] * n) + "\n",
    "unary operators": lambda n: "x = " + "-" * n + "1\n",
    "not": lambda n: "x = " + "not " * n + "y\n",
    "lambdas": lambda n: "f = " + "lambda: " * n + "1\n",
    "comparisons": lambda n: "x = " + " < ".join(["a"] * n) + "\n",
    "ternaries": lambda n: "x = " + "1 if a else " * n + "2\n",
    "indented blocks": lambda n: "".join(" " * i + "if x:\n" for i in range(n)) + " " * n + "pass\n",
    "nested functions": lambda n: "".join(" " * i + f"def f{i}(app):\n" for i in range(n)) + " " * n
    + "return len(list(app.limetypes.company.get_all()))\n",
    "for loops": lambda n: "def t(app):\n" + "".join(" " * (i + 1) + f"for x{i} in app.limetypes.company.get_all():\n"
                                                  for i in range(n)) + " " * (n + 1) + "x = 1\n",
    "subscripts": lambda n: "x = a" + "[0]" * n + "\n",
    "f-strings": lambda n: "x = " + "f'{" * n + "1" + "}'" * n + "\n",
    "strings concatenated": lambda n: "x = " + " ".join(["'a'"] * n) + "\n",
}


INDENTED = {"indented blocks", "nested functions", "for loops"}


@pytest.mark.parametrize("depth", [50, 99, 200, 1_000, 30_000])
@pytest.mark.parametrize("shape", sorted(NESTING))
def test_deep_nesting(shape, depth):
    """ast raises RecursionError, MemoryError or 'too many nested parentheses'; the analysis must not."""
    if shape in INDENTED:
        depth = min(depth, 3_000)  # 30,000 indented lines would be a 450 MB file
    text = NESTING[shape](depth) + TASK
    report = check_document(text, fixes=1, hovers=3, actions=1, fix_all=depth <= 200)
    assert report.timings["analyse"] <= bound_for(text)


ODD = {
    "empty": "",
    "only a newline": "\n",
    "only a BOM": "\ufeff",
    "BOM and task": "\ufeff" + TASK,
    "CRLF": TASK.replace("\n", "\r\n"),
    "lone CR": TASK.replace("\n", "\r"),
    "mixed line endings": TASK.replace("\n", "\r\n", 3).replace("\n", "\r", 2),
    "no final newline": TASK.rstrip("\n"),
    "tabs": TASK.replace("    ", "\t"),
    "tabs and spaces mixed": TASK.replace("    return", "\t    return"),
    "form feed": "\x0c" + TASK.replace("\n\n@task", "\n\x0c\n@task"),
    "NUL byte": TASK.replace("Count", "Co\x00unt"),
    "lone surrogate": TASK.replace("Count", "\ud800Count"),
    "unicode line separator": TASK.replace('"""Count', '"""Count\u2028and\x85'),
    "CJK identifiers": TASK.replace("count_companies", "会社を数える").replace("app", "アプリ"),
    "emoji strings": TASK.replace('"""Count companies."""', '"""😀 Count 🏢 companies 𝔘."""\n    x = "😀" * 3'),
    "combining characters": TASK.replace("Count", "Cou\u0301nt"),
    "right-to-left text": TASK.replace("Count", "\u202eCount\u202c"),
    "zero-width joiner in name": TASK.replace("count_companies", "count\u200dcompanies"),
    "encoding cookie": "# -*- coding: latin-1 -*-\n" + TASK,
    "backslash continuation": TASK.replace("return len(", "return \\\n        len("),
    "backslash at end of file": TASK + "\\",
    "unterminated triple quote": TASK + '"""never closed\n' * 3,
    "only comments": "# a\n# b  # noqa\n",
    "file-level noqa": "# lime-task-lint: noqa\n" + TASK,
    "bare noqa on the line": TASK.replace("get_all()))", "get_all()))  # noqa"),
    "py2 print": "print 'hello'\n" + TASK,
    "walrus and match": "if (n := 1):\n    match n:\n        case 1:\n            pass\n" + TASK,
    "type parameters (3.12 syntax)": "def f[T](x: T) -> T:\n    return x\n" + TASK,
    "dedent mismatch": TASK.replace("    return", "  return"),
    "trailing whitespace only lines": TASK.replace("\n\n", "\n    \t  \n"),
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_text(name):
    check_document(ODD[name], fixes=3, hovers=10, actions=4)


@pytest.mark.parametrize("name", ["BOM and task", "CRLF", "lone CR", "tabs", "CJK identifiers", "emoji strings",
                                  "mixed line endings", "no final newline", "form feed"])
def test_odd_text_still_gets_its_finding(name):
    """Odd but valid files are analysed, not just survived."""
    report = check_document(ODD[name])
    assert [v.code for v in report.analysis.violations] == ["LIME104"], name


def test_time_bound_for_normal_documents_is_the_stated_one():
    assert bound_for(TASK) == BOUND_S
    assert bound_for("x\n" * 100_000) == BOUND_S * 10
    assert SourceDocument(TASK).parses
