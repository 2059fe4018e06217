""""Generate docstring": a code action (refactor.rewrite) on any function or
method, and the ``lime-task-lint.generateDocstring`` command the VS Code
client runs from its command palette entry.

The action is offered when the cursor (or the selection) is on a function's
``def`` line or inside its signature (up to the ``:`` of the header): it
inserts a generated docstring when the function has none, or updates the one
it has when its Args/Returns/Yields/Raises are out of date (the same edit as
the LIME401 and LIME403 fixes, so they never disagree); an up-to-date
docstring gets no action.

The command takes ``[uri, {"line": l, "character": c}]`` (an LSP position in
the negotiated encoding, UTF-16 for VS Code), picks the function the same way
or, when the cursor is in a body, the innermost function around it, and
applies the edit through ``workspace/applyEdit``.  It returns
``{"applied": True, "function": name}`` or ``{"applied": False, "message": why}``.
"""

from __future__ import annotations

import ast

from ..analysis import Analysis
from ..docstrings import docstring_node
from ..docstrings.editing import docstring_edit, function_at, known_descriptions
from ..extensions import CommandAPI, ProvidedAction, action_provider, command
from ..semantic import syntax_index

KIND = "refactor.rewrite"


def _edit_for(analysis: Analysis, node):
    info = analysis.model.function_at(node)
    if info is not None:
        is_task, is_method = info.is_task, info.is_method
    else:  # a second function of the same name: the model keeps the first
        is_task, is_method = False, isinstance(syntax_index(analysis.document.tree).parent(node), ast.ClassDef)
    return docstring_edit(analysis.document, analysis.document.tree, node,
                          style=analysis.settings.docstring_style, is_task=is_task, is_method=is_method,
                          described=known_descriptions(info))


@action_provider
def generate_docstring_action(analysis: Analysis, start: int, end: int) -> list[ProvidedAction]:
    document = analysis.document
    node = function_at(document, document.tree, start, end)
    if node is None:
        return []
    edit = _edit_for(analysis, node)
    if edit is None:
        return []
    has_docstring = docstring_node(node) is not None
    title = f"Update the docstring of `{node.name}`" if has_docstring else "Generate docstring"
    return [ProvidedAction(title, KIND, [edit])]


@command("lime-task-lint.generateDocstring")
def generate_docstring_command(api: CommandAPI, arguments: list) -> dict:
    uri, line, character = _arguments(arguments)
    analysis = api.analysis_for(uri)
    if analysis is None:
        raise ValueError(f"{uri} is not open")
    document = analysis.document
    encoding = str(getattr(api, "encoding", None) or "utf-16")
    offset = document.index.from_lsp(line, character, encoding)
    node = function_at(document, document.tree, offset, in_body=True)
    if node is None:
        return {"applied": False, "message": "put the cursor on a function's `def` line or in its body"}
    edit = _edit_for(analysis, node)
    if edit is None:
        return {"applied": False, "function": node.name,
                "message": f"the docstring of `{node.name}` is up to date"}
    applied = api.apply_edits(uri, [edit], "Lime Task Lint: generate docstring")
    return {"applied": bool(applied), "function": node.name}


def _arguments(arguments: list) -> tuple[str, int, int]:
    if len(arguments) < 2:
        raise ValueError("expected [uri, {line, character}]")
    uri, position = arguments[0], arguments[1]
    if isinstance(uri, dict):
        uri = uri.get("uri") or uri.get("external")
    if not isinstance(uri, str):
        raise ValueError("expected the document URI as the first argument")
    if isinstance(position, dict):
        line, character = position.get("line"), position.get("character")
    elif isinstance(position, (list, tuple)) and len(position) == 2:
        line, character = position
    else:
        line = character = None
    if not isinstance(line, int) or not isinstance(character, int) or isinstance(line, bool):
        raise ValueError("expected the position as {line, character}")
    return uri, line, character
