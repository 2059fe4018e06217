"""One analysed document: the parse, the model and the findings, computed once
and read by diagnostics, code actions, hovers, code lenses and commands."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .checker import CheckResult, check
from .document import SourceDocument
from .settings import Settings

if TYPE_CHECKING:
    from .incremental import Components


@dataclass
class Analysis:
    uri: str
    version: int | None
    document: SourceDocument
    settings: Settings
    result: CheckResult
    root: Path | None = None
    workspace: object | None = None
    #: The reuse engine's components of this text (``incremental.Components``) when
    #: an ``IncrementalAnalyser`` made the analysis: features cache per component.
    components: Components | None = None

    @property
    def violations(self):
        return self.result.violations

    @property
    def context(self):
        return self.result.context

    @property
    def model(self):
        return self.result.context.model


def analyse(uri: str, text: str, settings: Settings, *, path: str | None = None, version: int | None = None,
            root: Path | None = None, workspace=None) -> Analysis:
    document = SourceDocument(text, path, version)
    result = check(document, settings, root=root, workspace=workspace)
    return Analysis(uri, version, document, settings, result, root, workspace)
