"""Parsing with recovery: a half-typed file still gets its intact functions analysed."""

from __future__ import annotations

import ast

from lime_task_lint.document import SourceDocument, recover_module


def _functions(tree: ast.Module) -> list[str]:
    return [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_valid_module_parses_directly():
    recovered = recover_module("def f():\n    return 1\n")
    assert recovered.error is None and not recovered.broken_ranges
    assert _functions(recovered.tree) == ["f"]


def test_broken_statement_between_intact_functions():
    text = "def a():\n    return 1\n\nx = foo(\n\ndef b():\n    return 2\n"
    recovered = recover_module(text)
    assert recovered.error and "line" in recovered.error
    assert sorted(_functions(recovered.tree)) == ["a", "b"]
    b = next(n for n in recovered.tree.body if isinstance(n, ast.FunctionDef) and n.name == "b")
    assert b.lineno == 6  # positions are those of the real file


def test_broken_method_keeps_the_intact_methods_with_real_columns():
    text = "class C:\n    def good(self):\n        return 1\n    def bad(self:\n        pass\n"
    tree = recover_module(text).tree
    assert "good" in _functions(tree)
    good = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "good")
    assert (good.lineno, good.col_offset) == (2, 4)


def test_bom_and_absurd_nesting_do_not_raise():
    assert _functions(SourceDocument("\ufeffdef f():\n    pass\n").tree) == ["f"]
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    document = SourceDocument(deep)
    assert document.tree.body == [] or isinstance(document.tree, ast.Module)
