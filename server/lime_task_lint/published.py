"""The text of ``textDocument/publishDiagnostics`` for an analysis.

The server writes it as JSON itself (``LimeProtocol.notify_json``): for a file of
thousands of findings, lsprotocol objects and their unstructuring cost more than
re-analysing the keystroke.  The text is what lsprotocol's converter would make
of the same diagnostics (``tests/lsp/test_publish_json.py``).
"""

from __future__ import annotations

import json
from typing import Any

from lsprotocol import types as lsp

from .dependencies import text_digest  # noqa: F401 (the server imports it from here)
from .framework import Severity, all_rules

SOURCE = "lime-task-lint"
_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFORMATION: lsp.DiagnosticSeverity.Information,
    Severity.HINT: lsp.DiagnosticSeverity.Hint,
}


def publish_body(analysis, uri: str, encoding: str, previous: dict[tuple, str]) -> tuple[str, dict[tuple, str]]:
    """``(the params' JSON text, this publish's fragments)`` for ``analysis``'s
    findings sent for ``uri``, positions in ``encoding``.

    Each diagnostic's JSON but its ``data`` is taken from ``previous`` (the
    fragments of the last publish) when the same finding stands at the same place:
    re-encoding thousands of unchanged findings per keystroke cost more than the
    analysis.  Findings are keyed by code, message, severity and LSP position (an
    edit moves the offsets of every later finding, the lines and columns of few)."""
    rules = all_rules()
    urls: dict[str, str] = {}
    for code in {v.code for v in analysis.violations}:
        rule = rules.get(code)
        if rule is not None:
            urls[code] = rule.url()
    text = text_digest(analysis.document.text)
    data = {False: json.dumps({"version": analysis.version, "text": text}),
            True: json.dumps({"version": analysis.version, "text": text, "fixable": True})}
    index = analysis.document.index
    fresh: dict[tuple, str] = {}
    items = []
    for violation in analysis.violations:
        key = (violation.code, violation.message, violation.severity,
               *index.to_lsp(violation.start, encoding), *index.to_lsp(violation.end, encoding))
        fragment = fresh.get(key) or previous.get(key)
        if fragment is None:
            fragment = diagnostic_json_prefix(key, urls)
        fresh[key] = fragment
        items.append(fragment + data[violation.fix is not None] + "}")
    body = (f'{{"uri": {json.dumps(uri)}, "diagnostics": [{", ".join(items)}], '
            f'"version": {json.dumps(analysis.version)}}}')
    return body, fresh


def diagnostic_json_prefix(finding: tuple, urls: dict[str, str]) -> str:
    """The JSON text of one finding's LSP ``Diagnostic`` up to its ``data`` value
    (what lsprotocol's converter would make of it, built directly: see
    ``LimeProtocol.notify_json``): the caller appends ``data`` and ``}``.
    ``finding``: its code, message, severity and start and end line and character.
    ``data`` holds the document version, the text's fingerprint (see
    :func:`text_digest`) and whether the finding has a fix; ``urls``: rule code ->
    its documentation page."""
    # The fix itself is not sent (it can be large: fix-all over thousands of findings
    # would send megabytes per keystroke); a code action finds it again by the
    # finding's identity in the same analysis (see ``_fix_of``).
    code, message, severity, start_line, start_char, end_line, end_char = finding
    diagnostic: dict[str, Any] = {
        "range": {"start": {"line": start_line, "character": start_char},
                  "end": {"line": end_line, "character": end_char}},
        "message": message,
        "severity": _SEVERITY[severity or Severity.WARNING].value,
        "code": code,
        "source": SOURCE,
    }
    url = urls.get(code)
    if url:
        diagnostic["codeDescription"] = {"href": url}
    return json.dumps(diagnostic)[:-1] + ', "data": '
