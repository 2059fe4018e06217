"""The syntax index and the effects model that every rule and fix queries."""

from __future__ import annotations

import ast
import textwrap

import pytest

from lime_task_lint.effects import effects_for_tree
from lime_task_lint.semantic import syntax_index

SOURCE = textwrap.dedent('''
    import logging
    from lime_task import task
    from vendor.store import persist

    log = logging.getLogger(__name__)
    LIMIT = 3


    def save(app, obj):
        work = app.unit_of_work()
        work.add(obj)
        work.commit()


    def label(obj):
        return obj.properties.title.value.strip()


    @task
    def run(app, url, rows=None):
        total = 0
        seen = {"offset": 0}
        for row in app.limetypes.deal.get_all():
            try:
                reply = fetch(url)
                value = reply.status
            except OSError as error:
                log.warning("failed %s %s %s %s", reply, error, total, row)
            else:
                total += 1
            seen["offset"] += 1
            names = [n for n in rows if n]
            save(app, row)
            persist(row)

        def inner():
            nonlocal total
            total += 1
            return url

        return [label(x) for x in rows]
''')


@pytest.fixture(scope="module")
def tree():
    return ast.parse(SOURCE)


def _name(tree, name: str, line_text: str) -> ast.Name:
    line = next(i for i, text in enumerate(SOURCE.splitlines(), 1) if line_text in text)
    return next(n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name and n.lineno == line)


def _function(tree, name):
    return next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)


def test_index_is_built_once_per_tree(tree):
    assert syntax_index(tree) is syntax_index(tree)
    assert syntax_index(ast.parse(SOURCE)) is not syntax_index(tree)


@pytest.mark.parametrize("name, line, bound", [
    ("reply", "log.warning", False),   # the try body may not have bound it
    ("error", "log.warning", True),    # the handler's own name
    ("total", "log.warning", True),    # bound before the loop
    ("row", "log.warning", True),      # the for target, inside the loop
    ("url", "return url", True),       # a closure's free variable (a parameter outside)
    ("log", "log.warning", True),      # module level
    ("fetch", "reply = fetch", False),  # neither bound nor a builtin
    ("n", "names = [n for n", True),   # a comprehension target
])
def test_definitely_bound(tree, name, line, bound):
    index = syntax_index(tree)
    assert index.definitely_bound(name, _name(tree, name, line)) is bound


def test_scopes_closures_and_own_nodes(tree):
    index = syntax_index(tree)
    run = _function(tree, "run")
    inner = _function(tree, "inner")
    total_in_inner = _name(tree, "total", "total += 1\n") if False else next(
        n for n in ast.walk(inner) if isinstance(n, ast.Name) and n.id == "total")
    # nonlocal: the store in `inner` binds run's `total`
    assert index.resolve("total", total_in_inner) is index.scope(run)
    assert index.function_of(total_in_inner) is inner
    own = index.own_nodes(run)
    assert all(not index.contains(inner, node) for node in own)
    assert inner not in own
    # comprehension code belongs to the function that runs it
    comp_name = _name(tree, "n", "names = [n for n")
    assert index.function_of(comp_name) is run and comp_name in own


def test_statements_and_blocks(tree):
    index = syntax_index(tree)
    warning = _name(tree, "log", "log.warning")
    statement = index.statement_of(warning)
    assert isinstance(statement, ast.Expr)
    owner, field, block = index.block_of(statement)
    assert isinstance(owner, ast.ExceptHandler) and field == "body" and block == [statement]
    loop = index.enclosing(warning, ast.For)
    assert isinstance(loop, ast.For)
    following = index.following(index.statement_of(_name(tree, "seen", 'seen["offset"] += 1')))
    assert [type(s).__name__ for s in following] == ["Assign", "Expr", "Expr"]


def test_effects_through_helpers_and_unknown_calls(tree):
    from lime_task_lint.model import build_model

    effects = effects_for_tree(tree)
    assert effects.model.functions  # built from the tree's own Lime model
    del build_model
    loop = next(n for n in ast.walk(_function(tree, "run")) if isinstance(n, ast.For))
    body = effects.of_block(loop.body)
    assert body.writes and "save()" in body.writers          # through the same-module helper
    assert "persist()" in body.unknown and body.may_write     # an import whose code is not visible
    assert "fetch()" in body.unknown
    assert {"seen"} <= body.mutates                           # a subscript store
    assert {"total", "reply", "value", "names"} <= body.rebinds
    assert body.logs
    label = effects.of_function(_function(tree, "label"))
    assert not label.has_side_effects and not label.may_write  # str methods only
    assert "deal" in effects.of_node(loop.iter).reads


@pytest.mark.parametrize("code, conditional", [
    ("for x in xs:\n    if x:\n        work.commit()\n", True),
    ("for x in xs:\n    work.commit()\n", False),
    ("for x in xs:\n    if x:\n        continue\n    work.commit()\n", True),
    ("for x in xs:\n    ok and work.commit()\n", True),
    ("for x in xs:\n    try:\n        pass\n    except E:\n        work.commit()\n", True),
    ("for x in xs:\n    with contextlib.suppress(E):\n        work.commit()\n", True),
    ("for x in xs:\n    with open(p) as f:\n        work.commit()\n", False),
    ("for x in xs:\n    for y in ys:\n        break\n    work.commit()\n", False),
])
def test_conditions_between_a_commit_and_its_loop(code, conditional):
    tree = ast.parse("import contextlib\ndef f(work, xs, ys, ok, p, E):\n" + textwrap.indent(code, "    "))
    effects = effects_for_tree(tree)
    commit = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "commit")
    loop = tree.body[1].body[0]
    assert bool(effects.conditions_between(commit, loop)) is conditional


def test_field_of_names_the_parents_field_holding_a_node():
    tree = ast.parse("def f(a, b=1):\n    for x in a:\n        g(x, key={'k': b})\n    else:\n        pass\n")
    index = syntax_index(tree)
    function = tree.body[0]
    loop = function.body[0]
    call = loop.body[0].value
    dict_display = call.keywords[0].value
    assert index.field_of(function) == "body"
    assert index.field_of(loop.iter) == "iter" and index.field_of(loop.target) == "target"
    assert index.field_of(loop.body[0]) == "body" and index.field_of(loop.orelse[0]) == "orelse"
    assert index.field_of(call.args[0]) == "args" and index.field_of(call.func) == "func"
    assert index.field_of(dict_display.values[0]) == "values" and index.field_of(dict_display.keys[0]) == "keys"
    assert index.field_of(function.args.defaults[0]) == "defaults"
    assert index.field_of(tree) is None
    assert index.field_of(loop.target.ctx) is None  # shared by every tree: no single parent


def test_effects_follow_helpers_into_other_workspace_modules(tmp_path):
    from lime_task_lint.document import SourceDocument
    from lime_task_lint.framework import RuleContext
    from lime_task_lint.settings import Settings

    package = tmp_path / "acme"
    package.mkdir()
    (package / "__init__.py").write_text("from .store import persist as persist\n")
    (package / "store.py").write_text(textwrap.dedent('''
        def persist(application, record):
            work = application.unit_of_work()
            work.add(record)
            work.commit()


        def describe(record):
            return str(record)
    '''))
    jobs = textwrap.dedent('''
        from lime_task import task
        from acme import persist
        from acme.store import describe
        import acme.store as store


        @task
        def run(app):
            for deal in app.limetypes.deal.get_all():
                describe(deal)
            for deal in app.limetypes.deal.get_all():
                persist(app, deal)
            for deal in app.limetypes.deal.get_all():
                store.persist(app, deal)
    ''')
    path = package / "jobs.py"
    path.write_text(jobs)
    ctx = RuleContext(SourceDocument(jobs, str(path)), Settings())
    loops = [n for n in ast.walk(ctx.tree) if isinstance(n, ast.For)]
    pure, through_reexport, through_alias = (ctx.effects.of_block(loop.body) for loop in loops)
    assert not pure.may_write and not pure.unknown
    assert through_reexport.writes and through_reexport.commits and not through_reexport.unknown
    assert through_alias.writes and "store.persist()" in through_alias.writers


def test_defaults_and_annotations_of_nested_code_are_the_enclosing_functions_own():
    tree = ast.parse(textwrap.dedent('''
        def outer(app):
            def inner(x=app.limetypes.deal.get(1), y: Hint = None):
                return x
            handler = lambda z=compute(): z
            return inner, handler
    '''))
    index = syntax_index(tree)
    outer = tree.body[0]
    own = index.own_nodes(outer)
    calls = {ast.unparse(n) for n in own if isinstance(n, ast.Call)}
    assert calls == {"app.limetypes.deal.get(1)", "compute()"}
    assert any(isinstance(n, ast.Name) and n.id == "Hint" for n in own)
    inner = outer.body[0]
    assert not any(isinstance(n, ast.Name) and n.id == "x" and isinstance(n.ctx, ast.Load) for n in own)
    assert index.function_of(inner.args.defaults[0]) is outer


ENCLOSING = textwrap.dedent('''
    import sys

    ALWAYS = 1
    if sys.platform == "x":
        SOMETIMES = 1
    try:
        TRIED = 1
    except Exception:
        pass
    SKIPPED = False
    SKIPPED or (WALRUS := 1)
    GONE = 1
    del GONE


    def configure():
        global ONLY_IN_FUNCTION
        ONLY_IN_FUNCTION = 1


    def task():
        ALWAYS, SOMETIMES, TRIED, WALRUS, GONE, ONLY_IN_FUNCTION, LATER
        before = 1

        def inner():
            return before, after

        after = 2
        return inner


    class Settings:
        ALWAYS, LATER


    LATER = 2
''')


@pytest.mark.parametrize("name, where, bound", [
    ("ALWAYS", "task", True),            # a top-level statement that always binds it
    ("LATER", "task", True),             # bound at top level after the def: the module has loaded when it runs
    ("SOMETIMES", "task", False),        # under a module-level `if`
    ("TRIED", "task", False),            # in a module-level `try` body
    ("WALRUS", "task", False),           # a walrus behind `or`
    ("GONE", "task", False),             # deleted at module level
    ("ONLY_IN_FUNCTION", "task", False),  # bound only when configure() runs
    ("before", "inner", True),           # bound before the nested def
    ("after", "inner", False),           # bound after it: inner may run first
    ("ALWAYS", "Settings", True),        # a class body runs where it stands
    ("LATER", "Settings", False),        # ... before this binding
])
def test_definitely_bound_for_names_of_enclosing_scopes(name, where, bound):
    tree = ast.parse(ENCLOSING)
    owner = next(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == where)
    load = next(n for n in ast.walk(owner) if isinstance(n, ast.Name) and n.id == name
                and isinstance(n.ctx, ast.Load))
    assert syntax_index(tree).definitely_bound(name, load) is bound


def test_a_method_that_changes_self_changes_its_receiver():
    tree = ast.parse(textwrap.dedent('''
        class Run:
            def mark(self, code):
                self.done.add(code)

            def note(self, code, seen):
                seen.append(code)

            @staticmethod
            def keep(bag, code):
                bag.append(code)

            def go(self, codes, seen):
                self.mark(codes)
                self.note(codes, seen)
                self.keep(seen, codes)
    '''))
    effects = effects_for_tree(tree)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") in
             ("mark", "note", "keep")]
    by_method = {c.func.attr: effects.of_call(c) for c in calls}
    assert by_method["mark"].mutates == {"self"}   # its receiver, not `codes`
    assert by_method["note"].mutates == {"seen"}   # the second parameter is the first argument
    keep = by_method["keep"]                        # a static method has no receiver
    assert "seen" in keep.mutates | keep.may_mutate and "self" not in keep.mutates
