"""The server writes publishDiagnostics as JSON text itself (lsprotocol objects
and their unstructuring cost more than a keystroke's analysis on a file of
thousands of findings) and keeps each diagnostic's text between publishes.
What it sends must be exactly what lsprotocol's converter makes of the same
diagnostics, after edits that move some findings and leave others."""

from __future__ import annotations

import json

from lsprotocol import types as lsp

from lime_task_lint.documents import DocumentStore
from lime_task_lint.framework import Severity, all_rules
from lime_task_lint.incremental import IncrementalAnalyser
from lime_task_lint.server import LimeServer, text_digest
from lime_task_lint.settings import Settings

TASK = '''from lime_task import task

# 日本語 😀 before the flagged code
@task
def count_companies(app):
    label = "会社 😀"; return len(list(app.limetypes.company.get_all()))


@task
def names(app):
    out = []
    for c in app.limetypes.company.get_all():
        out.append(c.properties.name.value)
    return out
'''

SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning,
            Severity.INFORMATION: lsp.DiagnosticSeverity.Information, Severity.HINT: lsp.DiagnosticSeverity.Hint}


def expected(analysis, uri: str) -> dict:
    """What pygls would send for the analysis, built with lsprotocol's types."""
    server = LimeServer()
    index = analysis.document.index
    text = text_digest(analysis.document.text)
    diagnostics = []
    for v in analysis.violations:
        (sl, sc), (el, ec) = index.to_lsp(v.start, "utf-16"), index.to_lsp(v.end, "utf-16")
        data = {"version": analysis.version, "text": text, **({"fixable": True} if v.fix else {})}
        rule = all_rules().get(v.code)
        diagnostics.append(lsp.Diagnostic(
            range=lsp.Range(lsp.Position(sl, sc), lsp.Position(el, ec)), message=v.message,
            severity=SEVERITY[v.severity or Severity.WARNING], code=v.code,
            code_description=lsp.CodeDescription(href=rule.url()) if rule else None, source="lime-task-lint",
            data=data))
    params = lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=analysis.version)
    return server.protocol._converter.unstructure(params)


def test_published_json_is_what_lsprotocol_would_send_across_edits(tmp_path):
    path = tmp_path / "Åsa tasks.py"
    uri = path.as_uri()
    server = LimeServer()
    server._store = DocumentStore(tmp_path.as_uri())
    sent: list[str] = []
    server.send_diagnostics = sent.append
    analyser = IncrementalAnalyser()
    texts = [TASK,
             TASK.replace("# 日本語", "# 日本語 ändrad"),  # a line above every finding changes length
             TASK.replace("out = []", "out = []  # x"),  # a line inside the second task only
             TASK.replace("def names(app):", "def names(app, extra):")]
    for version, text in enumerate(texts, start=1):
        analysis = analyser.analyse(uri, text, Settings(), path=str(path), version=version)
        assert analysis.violations
        server.publish(analysis)
        assert json.loads(sent[-1]) == expected(analysis, uri), version
    assert len(sent) == len(texts)


def test_a_late_answer_that_changes_nothing_is_not_sent_again(tmp_path):
    path = tmp_path / "tasks.py"
    server = LimeServer()
    server._store = DocumentStore(tmp_path.as_uri())
    sent: list[str] = []
    server.send_diagnostics = sent.append
    analysis = IncrementalAnalyser().analyse(path.as_uri(), TASK, Settings(), path=str(path), version=3)
    server.publish(analysis)
    server.publish(analysis, only_if_changed=True)
    assert len(sent) == 1
    server.clear_diagnostics(path.as_uri())
    assert json.loads(sent[-1]) == {"uri": path.as_uri(), "diagnostics": []}
