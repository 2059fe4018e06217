"""Docstrings and complexity over LSP: LIME401 and its quick fix, the "Generate
docstring" code action, the ``lime-task-lint.generateDocstring`` command (what
the VS Code client runs), LIME403's update, and the complexity hover; positions
are UTF-16 and the text holds characters outside the BMP."""

from __future__ import annotations

import ast

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .helpers import apply_text_edits, next_diagnostics, open_document

# `𠀀` (U+20000) is a valid identifier character that NFKC leaves alone; it is
# two UTF-16 code units, so a server counting code points gets every position
# after it on its line wrong.
SOURCE = '''from lime_task import task


def _check(row):
    if "id" not in row:
        raise KeyError("id")


@task
def 𠀀sync(app, rows: list, note="😀 Åsa"):
    # rows come from the ERP
    for row in rows:
        _check(row)
    return f"{len(rows)} synced"


def helper(rows, limit):
    """Résumé 😀 of the rows.

    Args:
        rows: The rows.
    """
    return rows[:limit]
'''


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _action_params(uri: str, line: int, character: int, diagnostics=(), only=None) -> lsp.CodeActionParams:
    position = lsp.Position(line, character)
    return lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri), range=lsp.Range(position, position),
        context=lsp.CodeActionContext(diagnostics=list(diagnostics), only=only))


async def test_lime401_diagnostic_quick_fix_and_generate_action(client: LanguageClient, tmp_path):
    (tmp_path / "tasks").mkdir()
    uri = open_document(client, tmp_path / "tasks" / "sync.py", SOURCE)
    diagnostics = (await next_diagnostics(client, uri)).diagnostics
    lines = SOURCE.splitlines()
    def_line = lines.index('def 𠀀sync(app, rows: list, note="😀 Åsa"):')
    by_code = {}
    for d in diagnostics:
        by_code.setdefault(d.code, []).append(d)
    # LIME401 on the task's name, in UTF-16 units: "def " + 𠀀 (2 units) + "sync".
    [lime401] = [d for d in by_code["LIME401"] if d.range.start.line == def_line]
    assert (lime401.range.start.character, lime401.range.end.character) == (4, 4 + 2 + 4)
    assert "𠀀sync" in lime401.message
    # `helper` is public in a tasks package (tmp/tasks/sync.py) but documented; its Args lack `limit`.
    [lime403] = by_code["LIME403"]
    doc_line = lines.index('    """Résumé 😀 of the rows.')
    assert lime403.range.start == lsp.Position(doc_line, 4)
    assert lime403.range.end == lsp.Position(doc_line, utf16_len(lines[doc_line]))
    assert "parameter 'limit' is not documented" in lime403.message

    actions = await client.text_document_code_action_async(_action_params(
        uri, def_line, 5, [lime401], only=[lsp.CodeActionKind.QuickFix]))
    # Unsafe (the summary is a TODO: fix-all must not silence the finding with it), so not preferred.
    [quick_fix] = [a for a in actions if a.title == "Generate a docstring (unsafe)"]
    assert not quick_fix.is_preferred
    fixed = apply_text_edits(SOURCE, quick_fix.edit.document_changes[0].edits)
    module = ast.parse(fixed)
    task = next(n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "𠀀sync")
    doc = ast.get_docstring(task)
    assert doc.startswith("TODO: Summarise what 𠀀sync does.")
    assert "rows (list): Rows to process." in doc
    assert "note (str, optional): Note. Defaults to '😀 Åsa'." in doc  # a non-ASCII default, as written
    assert "KeyError: Raised by `_check`." in doc  # raised by the helper it calls
    assert "The task's summary" in doc
    # Inserted under the header, above the comment that opens the body.
    assert fixed.splitlines()[def_line + 1] == '    """TODO: Summarise what 𠀀sync does.'
    assert "# rows come from the ERP" in fixed.splitlines()[def_line + 1 + doc.count("\n") + 2]

    # The refactoring on the def line: the same docstring.
    colon = utf16_len(lines[def_line]) - 1  # on the header's ':', after the emoji
    actions = await client.text_document_code_action_async(_action_params(
        uri, def_line, colon, only=[lsp.CodeActionKind.RefactorRewrite]))
    [generate] = [a for a in actions if a.title == "Generate docstring"]
    assert generate.kind == lsp.CodeActionKind.RefactorRewrite
    assert apply_text_edits(SOURCE, generate.edit.document_changes[0].edits) == fixed
    # Inside the body: not offered.
    actions = await client.text_document_code_action_async(_action_params(
        uri, def_line + 2, 8, only=[lsp.CodeActionKind.RefactorRewrite]))
    assert not [a for a in actions or [] if "docstring" in a.title]

    # LIME403's quick fix updates the docstring in place and keeps the author's text.
    actions = await client.text_document_code_action_async(_action_params(
        uri, doc_line, 6, [lime403], only=[lsp.CodeActionKind.QuickFix]))
    [update] = [a for a in actions if a.title == "Update the docstring"]
    updated = apply_text_edits(SOURCE, update.edit.document_changes[0].edits)
    helper = next(n for n in ast.parse(updated).body if getattr(n, "name", "") == "helper")
    assert ast.get_docstring(helper) == ("Résumé 😀 of the rows.\n\nArgs:\n    rows: The rows.\n"
                                         "    limit: Limit.\n\nReturns:\n"
                                         "    TODO: Describe the return value.")


async def test_generate_docstring_command_applies_an_edit(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "job.py", SOURCE)
    await next_diagnostics(client, uri)
    applied: list[lsp.ApplyWorkspaceEditParams] = []

    @client.feature(lsp.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: lsp.ApplyWorkspaceEditParams):
        applied.append(params)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    lines = SOURCE.splitlines()
    def_line = lines.index('def 𠀀sync(app, rows: list, note="😀 Åsa"):')
    # What the VS Code client sends: [uri, {line, character}] with the cursor in the name.
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lime-task-lint.generateDocstring", arguments=[uri, {"line": def_line, "character": 7}]))
    assert result["applied"] is True and result["function"] == "𠀀sync"
    [params] = applied
    text = apply_text_edits(SOURCE, params.edit.document_changes[0].edits)
    task = next(n for n in ast.parse(text).body if getattr(n, "name", "") == "𠀀sync")
    assert ast.get_docstring(task).startswith("TODO: Summarise what 𠀀sync does.")

    # From inside a body, the function around the cursor; an up-to-date docstring is left alone.
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lime-task-lint.generateDocstring", arguments=[uri, {"line": 5, "character": 8}]))
    assert result["applied"] is True and result["function"] == "_check"
    documented = 'def done(x: int) -> int:\n    """Return x.\n\n    Args:\n        x (int): A number.\n\n' \
                 '    Returns:\n        int: The number.\n    """\n    return x\n'
    other = open_document(client, tmp_path / "done.py", documented)
    await next_diagnostics(client, other)
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lime-task-lint.generateDocstring", arguments=[other, {"line": 0, "character": 5}]))
    assert result == {"applied": False, "function": "done", "message": "the docstring of `done` is up to date"}
    assert len(applied) == 2
    # Nowhere near a function: a message, no edit.
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lime-task-lint.generateDocstring", arguments=[uri, {"line": 0, "character": 0}]))
    assert result["applied"] is False and "def" in result["message"]


async def test_complexity_hover_on_a_function_name(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "job.py", SOURCE)
    await next_diagnostics(client, uri)
    lines = SOURCE.splitlines()
    def_line = lines.index('def 𠀀sync(app, rows: list, note="😀 Åsa"):')
    # The last character of the name, in UTF-16 units (a code point count would land on '(').
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(def_line, 4 + 2 + 4)))
    assert hover is not None
    value = hover.contents.value
    assert "**Cyclomatic complexity** of `𠀀sync`: 2 (rank A; limit 10)" in value
    from radon.metrics import mi_rank, mi_visit

    mi = mi_visit(SOURCE, True)
    assert f"Maintainability index of the module: {mi:.0f} (rank {mi_rank(mi)}" in value
    # On the parameters: no complexity hover.
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(def_line, 14)))
    assert hover is None or "Cyclomatic complexity" not in hover.contents.value


async def test_generate_docstring_command_rejects_bad_arguments(client: LanguageClient, tmp_path):
    import pytest

    uri = open_document(client, tmp_path / "job.py", SOURCE)
    await next_diagnostics(client, uri)
    for arguments in [[], [uri], [uri, {"line": "x", "character": 0}], [7, {"line": 0, "character": 0}],
                      ["file:///never/opened.py", {"line": 0, "character": 0}]]:
        with pytest.raises(Exception, match="generateDocstring"):
            await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
                command="lime-task-lint.generateDocstring", arguments=arguments))
    # Still serving: a hover answers.
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(9, 10)))
    assert hover is not None and "Cyclomatic complexity" in hover.contents.value
