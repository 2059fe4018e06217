"""One statement too deep for ``ast`` (RecursionError, MemoryError, "too many
nested parentheses") is left out alone: every other statement of the file, and
every other statement of the function that holds it, is still analysed."""

from __future__ import annotations

import ast

import pytest

from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument, recover_module, top_level_statement_lines
from lime_task_lint.settings import Settings

N_PLUS_ONE = '''from lime_task import task


@task
def archive_deals(app):
    """Archive deals."""
    return len(list(app.limetypes.deal.get_all()))
'''

#: Each is one statement, valid Python, that ``ast.parse`` refuses or builds
#: deeper than the rules may walk.
DEEP = {
    "sum chain (RecursionError)": "WEIGHTS = " + " + ".join(["2"] * 3500),
    "string concatenation (RecursionError)": "BANNER = " + " + ".join(['"x"'] * 3200),
    "negations (RecursionError)": "FLAG = " + "not " * 6000 + "True",
    "parentheses (too many nested)": "DEPTH = " + "(" * 400 + "0" + ")" * 400,
    "lists over lines (too many nested)": "GRID = " + "[\n" * 300 + "0" + "\n]" * 300,
    "chain that parses but is too deep to walk": "RATIO = " + " * ".join(["3"] * 1500),
}


def _function_names(tree: ast.Module) -> list[str]:
    return [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]


@pytest.mark.parametrize("deep", DEEP.values(), ids=DEEP.keys())
@pytest.mark.parametrize("where", ["before", "after"])
def test_a_deep_top_level_statement_is_left_out_alone(deep, where):
    text = deep + "\n\n" + N_PLUS_ONE if where == "before" else N_PLUS_ONE + "\n" + deep + "\nLIMIT = 5\n"
    document = SourceDocument(text)
    assert _function_names(document.tree) == ["archive_deals"]
    assert [v.code for v in check(document, Settings()).violations if v.code == "LIME104"] == ["LIME104"]
    recovered = document.recovered
    deep_first = 1 if where == "before" else N_PLUS_ONE.count("\n") + 2
    assert recovered.broken_ranges and all(first == deep_first for first, _ in recovered.broken_ranges)
    if where == "after":
        assert any(isinstance(node, ast.Assign) and node.targets[0].id == "LIMIT" for node in document.tree.body)
    assert recovered.error


@pytest.mark.parametrize("deep", [DEEP["sum chain (RecursionError)"], DEEP["chain that parses but is too deep to walk"]],
                         ids=["does not parse", "parses"])
def test_a_deep_statement_inside_a_task_costs_that_statement_only(deep):
    body = "    " + deep.replace("\n", "\n    ") + "\n"
    text = N_PLUS_ONE.replace('    """Archive deals."""\n', '    """Archive deals."""\n' + body)
    document = SourceDocument(text)
    function = next(n for n in document.tree.body if isinstance(n, ast.FunctionDef))
    assert isinstance(function.body[-1], ast.Return) and function.body[-1].lineno == 8
    assert document.recovered.broken_ranges == [(7, 7)]
    assert "LIME104" in [v.code for v in check(document, Settings()).violations]


def test_deep_statements_in_nested_blocks_and_handlers():
    chain = " + ".join(["1"] * 2500)
    text = (f"class Importer:\n    def run(self):\n        try:\n            a = {chain}\n"
            f"        except ValueError:\n            b = {chain}\n        finally:\n            c = 1\n"
            f"        return a\n")
    recovered = recover_module(text)
    run = next(n for n in ast.walk(recovered.tree) if isinstance(n, ast.FunctionDef))
    attempt = run.body[0]
    assert isinstance(attempt, ast.Try) and [type(s).__name__ for s in attempt.finalbody] == ["Assign"]
    assert recovered.broken_ranges == [(4, 4), (6, 6)]
    assert isinstance(run.body[-1], ast.Return)


def test_top_level_statement_lines():
    text = ("import os\n@first\n@second\ndef f():\n    if x:\n        pass\n\n# note\n"
            "if y:\n    pass\nelse:\n    pass\nvalue = [\n1,\n]\n")
    assert top_level_statement_lines(text) == [(1, 1), (2, 6), (9, 12), (13, 15)]
    # Where the tokenizer stops at the end (an unclosed bracket), the statement runs to the end.
    assert top_level_statement_lines("a = 1\nb = (\nc = 3\n") == [(1, 1), (2, 3)]
