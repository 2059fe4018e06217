"""``trees.nodes_of``: the one node table per syntax tree that the module-wide
questions read instead of walking the whole module each (issue 18, one walk)."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from lime_task_lint.trees import nodes_of

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("examples/**/*.py"), *ROOT.glob("tests/fixtures/**/*.py")])
KINDS = [ast.Call, ast.Import, ast.ImportFrom, ast.Global, ast.Name, ast.ExceptHandler, ast.Assign,
         ast.AnnAssign, ast.Attribute, ast.arg, ast.comprehension]


def _parsed(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, ValueError):
        return None  # fixtures of broken code


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_kind_and_pair_of_kinds_comes_in_ast_walk_order(path):
    tree = _parsed(path)
    if tree is None:
        pytest.skip("does not parse")
    walked = list(ast.walk(tree))[1:]  # the order every replaced walk used (the root is no finding)
    for count in (1, 2, 4):
        for kinds in itertools.islice(itertools.combinations(KINDS, count), 12):
            assert nodes_of(tree, *kinds) == [n for n in walked if type(n) in kinds], kinds


def test_the_table_is_per_tree_a_new_list_each_time_and_dies_with_its_tree():
    import gc
    import weakref

    first = ast.parse("import os\nprint(os.sep)\n")
    second = ast.parse("import os\nprint(os.sep)\nprint(1)\n")
    calls = nodes_of(first, ast.Call)
    calls.clear()  # a caller may change what it got: the table must not change with it
    assert len(nodes_of(first, ast.Call)) == 1
    assert len(nodes_of(second, ast.Call)) == 2
    assert nodes_of(first, ast.While) == [] and nodes_of(first, ast.While, ast.For) == []
    assert nodes_of(first, ast.Module) == []  # the root is not in its own table
    gone = weakref.ref(first)
    gc.disable()  # freed by reference counting alone: the table makes no cycle through the root
    try:
        del first
        assert gone() is None
    finally:
        gc.enable()


def _levels_below(node: ast.AST) -> int:
    children = list(ast.iter_child_nodes(node))
    return 1 + max(map(_levels_below, children)) if children else 0


@pytest.mark.parametrize("path", SOURCES[:40], ids=lambda p: str(p.relative_to(ROOT)))
def test_index_nodes_gives_the_depth_and_the_same_table(path):
    """Input: each example and fixture.  Expected: ``index_nodes`` (the parser's
    one walk) returns the number of levels below the module, as a recursive count
    gives, and the table it leaves answers as one made by a question."""
    from lime_task_lint.trees import index_nodes

    tree = _parsed(path)
    if tree is None:
        pytest.skip("does not parse")
    assert index_nodes(tree) == _levels_below(tree)
    walked = list(ast.walk(tree))[1:]
    assert nodes_of(tree, ast.Name, ast.Call) == [n for n in walked if type(n) in (ast.Name, ast.Call)]


@pytest.mark.parametrize("depth", [1, 2, 50, 99, 100, 101, 150])
def test_a_statement_deeper_than_the_limit_is_left_out_and_the_table_follows(depth):
    """Input: ``x = -(-(...1))`` nested to ``depth`` unary minus signs next to a plain
    ``y = 2``.  Expected: the statement is kept while the module's deepest node is
    at most ``MAX_DEPTH`` levels down, else left out as broken; the node table of
    the document's tree never lists a node of a statement left out."""
    from lime_task_lint.document import MAX_DEPTH, SourceDocument

    text = "x = " + "-(" * depth + "1" + ")" * depth + "\ny = 2\n"
    document = SourceDocument(text)
    levels = _levels_below(ast.parse(text))
    kept_names = [n.id for n in nodes_of(document.tree, ast.Name)]
    if levels <= 100:
        assert kept_names == ["x", "y"] and document.recovered.error is None
    else:
        assert MAX_DEPTH == 100 and kept_names == ["y"] and document.recovered.broken_ranges == [(1, 1)]
