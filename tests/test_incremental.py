"""Incremental analysis gives exactly the from-scratch result.

Random edit sequences (typing, deleting, copying lines between functions,
renaming, breaking and repairing the syntax) over the example workspace and
the rule fixtures: after every edit the incremental analyser's findings, with
their ranges, messages, data and fixes, must equal a fresh ``analyse`` of the
same text.  The sequences also check that the incremental path really ran
(and reused cached components), so the test cannot pass by always falling
back to a full analysis.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st

from lime_task_lint.analysis import analyse
from lime_task_lint.checker import fix_parses_locally
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Edit, LineIndex, apply_edits, parses
from lime_task_lint.incremental import (IncrementalAnalyser, _blank_after, _blank_lines, _common_prefix,
                                        _common_suffix, statement_facts)
from lime_task_lint.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.py"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "rules").glob("LIME*.py"))
SETTINGS = Settings()

SNIPPETS = [
    "uow.commit()",
    "print(row)",
    "logger.info(f\"row {row}\")",
    "items = list(app.limetypes.company.get_all())",
    "total = len(list(app.limetypes.deal.get_all()))",
    "helper(app, rows)",
    "pass",
    "x = (",  # breaks the syntax until repaired
    "def helper(app, rows):\n    for row in rows:\n        app.limetypes.company.get(row)\n",
]


def signature(analysis) -> list[tuple]:
    out = []
    for v in analysis.violations:
        fix = None
        if v.fix is not None:
            fix = (v.fix.title, v.fix.applicability.value, tuple((e.start, e.end, e.new_text) for e in v.fix.edits))
        out.append((v.code, v.start, v.end, v.message, getattr(v.severity, "value", v.severity),
                    repr(sorted(v.data.items())), fix))
    return out


def random_edit(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return "import logging\n"
    kind = rng.choice(["type", "delete", "copy_line", "drop_line", "snippet", "rename", "newline", "undo_indent"])
    number = rng.randrange(len(lines))
    line = lines[number]
    start = sum(len(x) for x in lines[:number])
    body = line.rstrip("\r\n")
    indent = body[: len(body) - len(body.lstrip())]
    if kind == "type":
        column = rng.randrange(len(body) + 1)
        return text[: start + column] + rng.choice(["x", "_", "1", " ", "(", ")", ":", "\"", "#"]) + \
            text[start + column:]
    if kind == "delete" and body:
        column = rng.randrange(len(body))
        length = rng.randint(1, min(6, len(body) - column))
        return text[: start + column] + text[start + column + length:]
    if kind == "copy_line":
        source = lines[rng.randrange(len(lines))]
        return text[:start] + source if source.endswith("\n") else text[:start] + source + "\n" + text[start:]
    if kind == "drop_line":
        return text[:start] + text[start + len(line):]
    if kind == "snippet":
        snippet = rng.choice(SNIPPETS)
        block = "".join(indent + s + "\n" for s in snippet.rstrip("\n").split("\n"))
        return text[:start] + block + text[start:]
    if kind == "rename":
        for old in ("app", "row", "uow", "logger", "company", "helper"):
            if old in body:
                new_body = body.replace(old, old + "2", 1)
                return text[:start] + new_body + text[start + len(body):]
    if kind == "newline":
        return text[:start] + "\n" + text[start:]
    if kind == "undo_indent" and indent:
        return text[:start] + body.lstrip() + line[len(body):] + text[start + len(line):]
    return text[:start] + "# edited\n" + text[start:]


def _run_sequence(path: Path, seed: int, steps: int) -> IncrementalAnalyser:
    rng = random.Random(f"{path.name}:{seed}")
    text = path.read_text(encoding="utf-8")
    analyser = IncrementalAnalyser()
    uri = path.as_uri()
    for step in range(steps):
        incremental = analyser.analyse(uri, text, SETTINGS, path=str(path), version=step)
        scratch = analyse(uri, text, SETTINGS, path=str(path), version=step)
        assert signature(incremental) == signature(scratch), (
            f"{path.name} seed {seed} step {step} ({analyser.stats.last_mode}: {analyser.stats.last_reason})")
        assert incremental.document.text == text
        text = random_edit(rng, text)
    return analyser


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


@pytest.mark.parametrize("path", EXAMPLES + FIXTURES, ids=lambda p: p.name)
def test_random_edit_sequences_match_from_scratch(path: Path):
    stats = [_run_sequence(path, seed, 30).stats for seed in range(2)]
    if path.stat().st_size > 200:
        assert sum(s.incremental for s in stats) > 0, "the incremental path never ran"


def test_sequences_reuse_cached_components():
    reused = 0
    for path in EXAMPLES:
        reused += _run_sequence(path, 7, 20).stats.reused_components
    assert reused > 0


def test_editing_one_task_reuses_the_others_and_matches():
    path = ROOT / "examples" / "limepkg_acme" / "tasks" / "contracts.py"
    text = path.read_text(encoding="utf-8")
    analyser = IncrementalAnalyser()
    analyser.analyse("u", text, SETTINGS, path=str(path))
    assert analyser.stats.last_mode == "chunked"  # from scratch, in batches of components
    # Insert a commit-in-loop into the last task only.
    anchor = "        uow.add(company)\n"
    edited = text.replace(anchor, anchor + "        logger.info(\"added %s\", company_id)\n", 1)
    assert edited != text
    result = analyser.analyse("u", edited, SETTINGS, path=str(path))
    assert analyser.stats.last_mode == "incremental"
    assert analyser.stats.reused_components >= 2  # the two other tasks were not re-analysed
    assert signature(result) == signature(analyse("u", edited, SETTINGS, path=str(path)))
    # Findings after the edit moved with it.
    shifted = len(edited) - len(text)
    before = {(v.code, v.start) for v in analyse("u", text, SETTINGS, path=str(path)).violations}
    after = {(v.code, v.start) for v in result.violations}
    assert {(c, s) for c, s in before if s < text.index(anchor)} <= after
    assert any(s + shifted in {a for _, a in after} for _, s in before if s > text.index(anchor))


def test_helper_change_reanalyses_its_callers():
    text = (
        "from lime_task import task\n\n\n"
        "def save(app, company):\n"
        "    pass\n\n\n"
        "@task\n"
        "def refresh(app, ids):\n"
        "    for company_id in ids:\n"
        "        save(app, app.limetypes.company.get(company_id))\n"
    )
    analyser = IncrementalAnalyser()
    first = analyser.analyse("u", text, SETTINGS)
    edited = text.replace("    pass\n", "    uow = app.unit_of_work()\n    uow.add(company)\n    uow.commit()\n")
    second = analyser.analyse("u", edited, SETTINGS)
    assert analyser.stats.last_mode == "incremental"
    assert signature(second) == signature(analyse("u", edited, SETTINGS))
    # The task's findings changed because its helper now commits (through the component link).
    assert {v.code for v in second.violations} != {v.code for v in first.violations} or not second.violations


def test_broken_text_is_analysed_incrementally_and_recovers():
    path = ROOT / "examples" / "limepkg_acme" / "tasks" / "deals.py"
    text = path.read_text(encoding="utf-8")
    analyser = IncrementalAnalyser()
    analyser.analyse("u", text, SETTINGS)
    broken = text.replace("    sent = 0\n", "    sent = (\n", 1)
    result = analyser.analyse("u", broken, SETTINGS)
    assert analyser.stats.last_mode == "incremental"  # the changed lines read with the recovering parser
    assert signature(result) == signature(analyse("u", broken, SETTINGS))
    typing = broken.replace("    sent = (\n", "    sent = (1, \n", 1)
    result = analyser.analyse("u", typing, SETTINGS)
    assert analyser.stats.last_mode == "incremental"
    assert signature(result) == signature(analyse("u", typing, SETTINGS))
    repaired = analyser.analyse("u", text, SETTINGS)
    assert signature(repaired) == signature(analyse("u", text, SETTINGS))


def test_a_file_opened_broken_keeps_a_state_to_reuse():
    text = _dense_module(12)
    broken = text.replace("def sync_5(app, rows):\n", "def sync_5(app, rows:\n", 1)
    analyser = IncrementalAnalyser()
    analyser.analyse("u", broken, SETTINGS)
    assert analyser.stats.last_mode == "full"
    at = broken.index("deal {deal.id}", broken.index("def sync_9("))
    edited = broken[:at] + "y" + broken[at:]
    result = analyser.analyse("u", edited, SETTINGS)
    assert analyser.stats.last_mode == "incremental"
    assert signature(result) == signature(analyse("u", edited, SETTINGS))


def test_typing_an_unclosed_call_before_a_decorated_task_matches_from_scratch():
    # The recovering parser reads the unclosed call on into the next task's
    # decorator: that task must be re-read, not reused as it was.
    text = _dense_module(8)
    analyser = IncrementalAnalyser()
    analyser.analyse("u", text, SETTINGS)
    at = text.index("        uow.commit()\n", text.index("def sync_3(")) + len("        uow.commit()\n")
    current = text
    for typed in ("        log(", "        log('a", "        log('a'", "        log('a',", "        log('a', 1)"):
        current = text[:at] + typed + "\n" + text[at:]
        reused = analyser.stats.reused_components
        result = analyser.analyse("u", current, SETTINGS)
        assert signature(result) == signature(analyse("u", current, SETTINGS)), typed
        assert analyser.stats.last_mode == "incremental", typed
        if typed not in ("        log(", "        log('a', 1)"):
            # Broken before and after: the broken task and its neighbours are re-read, the rest reused.
            assert analyser.stats.reused_components - reused >= 8 - 3, typed


def test_file_level_noqa_forces_a_full_analysis():
    path = ROOT / "examples" / "limepkg_acme" / "tasks" / "contacts.py"
    text = path.read_text(encoding="utf-8")
    analyser = IncrementalAnalyser()
    analyser.analyse("u", text, SETTINGS)
    muted = text + "\n\ndef extra():\n    # lime-task-lint: noqa\n    pass\n"
    result = analyser.analyse("u", muted, SETTINGS)
    assert analyser.stats.last_mode == "full"
    assert result.violations == []


def test_settings_change_invalidates_the_cache():
    path = ROOT / "examples" / "limepkg_acme" / "tasks" / "contracts.py"
    text = path.read_text(encoding="utf-8")
    analyser = IncrementalAnalyser()
    analyser.analyse("u", text, SETTINGS)
    narrow = Settings(select=("LIME104",))
    edited = text + "\n"
    result = analyser.analyse("u", edited, narrow)
    assert signature(result) == signature(analyse("u", edited, narrow))
    assert analyser.stats.reused_components == 0


def test_blanking_keeps_every_offset_and_line():
    text = "\ufeffdef a():\r\n    return 'é'\r\n\r\ndef b():\n    pass\n"
    document = SourceDocument(text)
    blanked = _blank_lines(text, document.index, [(0, 1)])
    assert len(blanked) == len(text)
    assert blanked.startswith("\ufeff")
    assert blanked.splitlines(keepends=True)[2:] == text.splitlines(keepends=True)[2:]
    assert [len(line) for line in blanked.splitlines(keepends=True)] == \
        [len(line) for line in text.splitlines(keepends=True)]
    assert parses(blanked)


@pytest.mark.parametrize("a,b", [("", ""), ("abc", "abc"), ("abc", "abXc"), ("aaaa", "aa"), ("xab", "ab"),
                                 ("ab", "abab"), ("hello world", "help world")])
def test_common_prefix_and_suffix(a: str, b: str):
    prefix = _common_prefix(a, b)
    suffix = _common_suffix(a, b, prefix)
    assert a[:prefix] == b[:prefix]
    assert prefix == len(a) == len(b) or prefix == min(len(a), len(b)) or a[prefix] != b[prefix]
    assert prefix + suffix <= min(len(a), len(b))
    assert a[len(a) - suffix:] == b[len(b) - suffix:]
    # Rebuilding b from a's prefix and suffix and the changed middle gives b back.
    assert b == a[:prefix] + b[prefix:len(b) - suffix] + a[len(a) - suffix:]


def test_statement_facts():
    import ast

    module = ast.parse(
        "import os\n"
        "def f(app):\n    return g(app)\n"
        "if True:\n    def h():\n        pass\n"
        "X = f\n")
    facts = [statement_facts(s) for s in module.body]
    assert [f.unit for f in facts] == [False, True, True, False]
    assert facts[1].defines == {"f"} and "g" in facts[1].refs
    assert facts[2].defines == {"h"}
    assert "f" in facts[3].refs


@pytest.mark.parametrize("seed", range(40))
def test_local_fix_parse_check_agrees_with_the_whole_file(seed: int):
    """When the statement-local check accepts a fix, the whole edited file parses."""
    rng = random.Random(seed)
    path = rng.choice(EXAMPLES + FIXTURES)
    text = path.read_text(encoding="utf-8")
    if not parses(text):
        return
    document = SourceDocument(text)
    edits = []
    for _ in range(rng.randint(1, 3)):
        start = rng.randrange(len(text))
        end = min(len(text), start + rng.randint(0, 12))
        edits.append(Edit(start, end, rng.choice(["", "x", "\n", ")", "(", "    pass\n", ":", "\"", "# c\n"])))
    edits.sort(key=lambda e: (e.start, e.end))
    chosen = []
    for edit in edits:
        if not chosen or edit.start >= chosen[-1].end and edit.start != chosen[-1].start:
            chosen.append(edit)
    if fix_parses_locally(document, tuple(chosen)):
        assert parses(apply_edits(text, chosen))


def _actions(analysis, start: int, end: int):
    from lime_task_lint.extensions import provided_actions

    return [(a.title, a.kind, tuple((e.start, e.end, e.new_text) for e in a.edits))
            for a in provided_actions(analysis, start, end)]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_views_answer_hovers_and_actions_like_the_whole_file(path: Path):
    """Hovers and code actions read a view of the component under the cursor;
    they must say exactly what the whole file's analysis says."""
    from lime_task_lint.extensions import hover_markdown, load_features

    load_features()
    text = path.read_text(encoding="utf-8")
    analyser = IncrementalAnalyser()
    analysis = analyser.analyse(path.as_uri(), text, SETTINGS, path=str(path))
    full = analyse(path.as_uri(), text, SETTINGS, path=str(path))
    narrowed = 0
    for offset in range(0, len(text), 5):
        view = analyser.view(analysis, offset)
        narrowed += view is not analysis
        assert hover_markdown(view, offset) == hover_markdown(full, offset), (path.name, offset)
    lines = SourceDocument(text).index.line_starts
    for number in range(0, len(lines) - 1, 3):
        start, end = lines[number], lines[min(number + 2, len(lines) - 1)]
        view = analyser.view(analysis, start, end)
        assert _actions(view, start, end) == _actions(full, start, end), (path.name, number)
    if "def " in text:
        assert narrowed > 0


def test_statement_indent_facts_agree_with_indent_unit():
    from lime_task_lint.edits import indent_unit
    from lime_task_lint.incremental import _indent_unit_of, state_of

    samples = [p.read_text(encoding="utf-8") for p in EXAMPLES + FIXTURES]
    samples += ["def f():\n\tif x:\n\t\treturn 1\n", "def f():\n  return 1\n\n# c\nclass A:\n    x = 1\n", "x = 1\n"]
    for text in samples:
        if not parses(text):
            continue
        analysis = analyse("u", text, SETTINGS)
        state = state_of(analysis.document, analysis.violations, analysis.result.notes, "")
        if state is None:
            continue
        assert _indent_unit_of(state.statements) == indent_unit(text)


@pytest.mark.parametrize("path", EXAMPLES + FIXTURES, ids=lambda p: p.name)
def test_statement_scoped_noqa_scan_equals_the_whole_file_scan(path: Path):
    from lime_task_lint.checker import document_statement_lines
    from lime_task_lint.noqa import parse_suppressions

    rng = random.Random(path.name)
    text = path.read_text(encoding="utf-8")
    variants = [text]
    lines = text.splitlines(keepends=True)
    for _ in range(10):  # sprinkle noqa comments, in code and in strings
        number = rng.randrange(len(lines))
        body = lines[number].rstrip("\r\n")
        lines[number] = body + rng.choice(["  # noqa", "  # noqa: LIME104", "  # NOQA:LIME201, E501",
                                           "  # lime-task-lint: noqa: LIME301"]) + lines[number][len(body):]
        variants.append("".join(lines))
    variants.append(text + 'X = """\n# noqa\n"""\n')
    for variant in variants:
        document = SourceDocument(variant)
        if document.recovered.error is not None:
            continue
        scoped = parse_suppressions(variant, document.index.line_starts, document_statement_lines(document))
        whole = parse_suppressions(variant)
        assert (scoped.lines, scoped.file_codes, scoped.file_all) == (whole.lines, whole.file_codes, whole.file_all)


@pytest.mark.parametrize("chunk_lines", [1, 7, 40])
@pytest.mark.parametrize("path", EXAMPLES + FIXTURES, ids=lambda p: p.name)
def test_chunked_first_analysis_matches_from_scratch(path: Path, chunk_lines: int):
    """A from-scratch analysis run one batch of components at a time (tiny batches
    here, so every file needs several) gives the whole-file result."""
    text = path.read_text(encoding="utf-8")
    analyser = IncrementalAnalyser(chunk_lines=chunk_lines)
    chunked = analyser.analyse(path.as_uri(), text, SETTINGS, path=str(path))
    assert signature(chunked) == signature(analyse(path.as_uri(), text, SETTINGS, path=str(path)))
    if parses(text) and "def " in text and "lime-task-lint: noqa" not in text:
        assert analyser.stats.last_mode in ("chunked", "full")


def test_chunked_analysis_is_used_and_splits_pieces_at_statement_starts():
    from lime_task_lint.incremental import _split_statements

    text = ('"""Doc."""\nimport os\n\n\ndef f():\n    s = """\nnot a statement\n"""\n    return s\n\n\n'
            "@decorator\nclass A:\n    def g(self):\n        return (\n1)\n\nx = [\n]\n")
    document = SourceDocument(text)
    whole = [((s.lineno if not getattr(s, "decorator_list", None) else s.decorator_list[0].lineno) - 1,
              s.end_lineno - 1) for s in document.tree.body]
    for piece in (1, 2, 3, 5, 100):
        split = _split_statements(text, document.index, piece)
        assert [(s.first, s.last) for s in split] == whole
    assert _split_statements("def f(:\n    pass\n", SourceDocument("def f(:\n    pass\n").index, 1) is None
    future = "x = 1\n" * 3 + "from __future__ import annotations\n"
    assert _split_statements(future, SourceDocument(future).index, 1) is None
    path = ROOT / "examples" / "limepkg_acme" / "tasks" / "contracts.py"
    analyser = IncrementalAnalyser(chunk_lines=10)
    analyser.analyse("u", path.read_text(encoding="utf-8"), SETTINGS)
    assert analyser.stats.last_mode == "chunked"


@pytest.mark.parametrize("path", EXAMPLES + FIXTURES, ids=lambda p: p.name)
def test_blanker_and_shared_index_equal_the_plain_ones(path: Path):
    """Batches cut their reduced text from one blanked copy and share the line
    starts: the same text and the same index as blanking and indexing anew."""
    from lime_task_lint.edits import LineIndex
    from lime_task_lint.incremental import _blank_lines, _Blanker, _reduced_document

    text = path.read_text(encoding="utf-8")
    for variant in (text, "\ufeff" + text, text.replace("\n", "\r\n"), text + "# é ü 😀\nx = 'ß'\n"):
        index = LineIndex(variant)
        blanker = _Blanker(variant, index)
        count = index.line_count
        for blanked in ([], [(0, 0)], [(0, count - 1)], [(1, min(3, count - 1))],
                        [(i, i) for i in range(0, count, 3)], [(count - 1, count - 1)]):
            reduced = blanker.blank(blanked)
            assert reduced == _blank_lines(variant, index, blanked)
            shared = _reduced_document(reduced, index, None, None).index
            fresh = LineIndex(reduced)
            assert vars(shared) == vars(fresh)


def _dense_module(tasks: int) -> str:
    """Many small tasks, each with findings whose fixes also edit the top of the
    file (an import), like a generated task-dense module."""
    parts = ["import logging\nfrom lime_task import task\n\nlogger = logging.getLogger(__name__)\n"]
    for number in range(tasks):
        parts.append(f"\n\n@task\ndef sync_{number}(app, rows):\n    for row in rows:\n"
                     f"        uow = app.unit_of_work()\n"
                     f"        deal = app.limetypes.deal.get(row['id'])\n"
                     f"        logger.info(f\"deal {{deal.id}}\")\n"
                     f"        uow.add(deal)\n        uow.commit()\n")
    return "".join(parts)


def test_an_edit_in_one_of_many_tasks_reanalyses_that_task_only():
    text = _dense_module(30)
    analyser = IncrementalAnalyser()
    analyser.analyse("u", text, SETTINGS, path="dense.py")
    at = text.index('deal {deal.id}', text.index("def sync_15("))
    edited = text[:at] + "x" + text[at:]
    before = analyser.stats.analysed_components
    result = analyser.analyse("u", edited, SETTINGS, path="dense.py")
    assert analyser.stats.last_mode == "incremental"
    assert analyser.stats.analysed_components - before == 1
    assert signature(result) == signature(analyse("u", edited, SETTINGS, path="dense.py"))


def test_a_cached_finding_moves_offset_by_offset():
    """A finding after the edit whose fix also edits above it (an import at the
    top) stays reusable: each offset moves on its own side of the edit."""
    from lime_task_lint.edits import Fix
    from lime_task_lint.framework import Violation
    from lime_task_lint.incremental import _moved_violation, _OffsetMap

    finding = Violation("LIME999", "m", 500, 510, Fix("f", (Edit(10, 10, "import x\n"), Edit(505, 507, "yy"))))
    moved = _moved_violation(finding, _OffsetMap([Edit(200, 203, "abcdef")]))
    assert (moved.start, moved.end) == (503, 513)
    assert [(e.start, e.end) for e in moved.fix.edits] == [(10, 10), (508, 510)]
    assert _moved_violation(finding, _OffsetMap([Edit(505, 506, "z")])) is None  # touches the edit
    assert _moved_violation(finding, _OffsetMap([Edit(600, 600, "z")])) is finding  # nothing moves


@pytest.mark.parametrize("path", EXAMPLES + FIXTURES[::2], ids=lambda p: p.name)
def test_the_known_statements_give_the_recovering_parse_of_a_broken_text(path: Path):
    """A reduced document of a file being typed in is read from the statements
    the engine already knows, not by a recovering parse of the whole text: both
    must give the same tree, broken lines and error."""
    import ast

    from lime_task_lint.document import recover_module
    from lime_task_lint.incremental import _recovered_from, state_of

    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for at in (len(lines) // 3, 2 * len(lines) // 3):
        text = "".join(lines[:at] + ["    broken = call(1, \n"] + lines[at:])
        analysis = analyse("u", text, SETTINGS)
        state = state_of(analysis.document, analysis.violations, analysis.result.notes, "")
        if state is None or not any(s.broken for s in state.statements):
            continue
        known = _recovered_from(text, state.statements)
        assert known is not None
        real = recover_module(text)
        assert (known.broken_ranges, known.error) == (real.broken_ranges, real.error)
        assert ast.dump(known.tree, include_attributes=True) == ast.dump(real.tree, include_attributes=True)


@settings(derandomize=True, deadline=None, database=None, max_examples=1000)
@given(st.lists(st.sampled_from(["def f():\n", "    x = 1\n", "\ufeff", "é", "\r\n", "\r", "\n", "  # c\n"]),
                min_size=1, max_size=20).map("".join),
       st.lists(st.tuples(st.integers(0, 400), st.integers(0, 5),
                          st.sampled_from(["", "x", "\n", "\r\n", "é\n  ", "\ufeff"])), max_size=4))
def test_the_blanked_text_after_edits_is_the_edited_texts_blanked(text, raw_edits):
    """``_blank_after`` (the previous version's blanked text with the edits
    applied, blanked) is ``_blank_lines`` of the whole new text."""
    edits = []
    for start, length, new_text in sorted(raw_edits):
        start = min(start, len(text))
        if not edits or start > edits[-1].end:
            edits.append(Edit(start, min(len(text), start + length), new_text))
    new_text = apply_edits(text, edits)
    old_index, new_index = LineIndex(text), LineIndex(new_text)
    previous = SimpleNamespace(blank=_blank_lines(text, old_index, [(0, old_index.line_count - 1)]))
    expected = _blank_lines(new_text, new_index, [(0, new_index.line_count - 1)])
    assert _blank_after(previous, new_text, new_index, edits) == expected


def test_findings_after_the_edit_move_by_one_shift_and_those_before_stay(monkeypatch):
    """Typing in one task of many: the findings of components wholly before the
    edit are reused as they are, those wholly after move by one shift, and only
    a component around the edit is looked up offset by offset."""
    from lime_task_lint import incremental

    text = "import logging\n\nlogger = logging.getLogger(__name__)\n" + "".join(
        f"\n\ndef task_{n}(app):\n    items = list(app.limetypes.deal.get_all())\n    return len(items)\n"
        for n in range(12))
    analyser = IncrementalAnalyser()
    analyser.analyse("file:///t.py", text, SETTINGS, path="/t.py", version=1)
    looked_up = []
    real = incremental._moved_violation
    monkeypatch.setattr(incremental, "_moved_violation", lambda v, moved: looked_up.append(v) or real(v, moved))
    at = text.index("return len(items)", text.index("def task_6"))
    edited = text[:at] + "x = 1\n    " + text[at:]
    incremental_result = analyser.analyse("file:///t.py", edited, SETTINGS, path="/t.py", version=2)
    assert analyser.stats.last_mode == "incremental" and analyser.stats.reused_components >= 10
    assert signature(incremental_result) == signature(analyse("file:///t.py", edited, SETTINGS, path="/t.py",
                                                              version=2))
    assert len(looked_up) <= 2  # not the findings of the other eleven tasks
