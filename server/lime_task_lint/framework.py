"""The rule framework: what a rule is, what it reports, and the registry.

A rule is one class in one module under ``lime_task_lint/rules/``.  The module
docstring is the rule's documentation, in five parts (What it does / Why is
this bad? / Example / Use instead / Fix safety), printed by
``lime-task-lint rule CODE`` and collected into ``docs/rules.md``.  The registry
refuses a second rule with the same code: a code never changes meaning.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Iterable, Iterator

from .edits import Fix

if TYPE_CHECKING:
    from .document import SourceDocument
    from .effects import EffectsModel
    from .semantic import SyntaxIndex
    from .model import LimeModel
    from .settings import Settings

from .project import rule_docs_url  # one source: pyproject.toml [project.urls]
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety")


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"


class FixAvailability(str, Enum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


@dataclass
class Violation:
    """One finding: a code, a message, a range (code point offsets) and maybe a fix."""

    code: str
    message: str
    start: int
    end: int
    fix: Fix | None = None
    severity: Severity | None = None
    #: Extra facts for hovers and reports (JSON-serialisable).
    data: dict = field(default_factory=dict)


class RuleContext:
    """Everything a rule may read; the model is built once and shared."""

    def __init__(self, document: "SourceDocument", settings: "Settings", workspace=None) -> None:
        self.document = document
        self.settings = settings
        #: A ``Workspace`` for cross-file questions (jedi); None in single-file runs.
        self.workspace = workspace

    @cached_property
    def model(self) -> "LimeModel":
        from .model import build_model

        from .modules import index_for

        extra = self.workspace.scheduled_task_names(self.document.path) if self.workspace else ()
        path = self.document.path
        modules = index_for(self.workspace, path) if path else None
        return build_model(self.document.tree, extra, path=path, modules=modules)

    @cached_property
    def index(self) -> "SyntaxIndex":
        """The module's syntax index (parents, blocks, scopes, own nodes)."""
        from .semantic import syntax_index

        return syntax_index(self.document.tree)

    @cached_property
    def effects(self) -> "EffectsModel":
        """What each call, statement, loop body and function does (reads, writes,
        I/O, logs, mutations, conditions): every fix's preconditions ask it."""
        from .effects import effects_model
        from .modules import index_for

        path = self.document.path
        modules = index_for(self.workspace, path) if path else None
        return effects_model(self.document.tree, self.model, modules=modules)

    @property
    def tree(self) -> ast.Module:
        return self.document.tree

    def text(self, node: ast.AST) -> str:
        return self.document.node_text(node)

    def range(self, node: ast.AST) -> tuple[int, int]:
        return self.document.node_range(node)


class Rule:
    """Base class: subclasses set the metadata and implement :meth:`check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NONE

    def check(self, ctx: RuleContext) -> Iterable[Violation]:  # pragma: no cover - abstract
        raise NotImplementedError

    def violation(self, ctx: RuleContext, node: ast.AST | tuple[int, int], message: str,
                  fix: Fix | None = None, **data) -> Violation:
        start, end = node if isinstance(node, tuple) else ctx.range(node)
        return Violation(self.code, message, start, end, fix, None, dict(data))

    @classmethod
    def docs(cls) -> str:
        module = sys.modules[cls.__module__]
        return (module.__doc__ or cls.__doc__ or "").strip()

    @classmethod
    def url(cls) -> str:
        return rule_docs_url(f"{cls.code.lower()}-{cls.name}")


class DuplicateRuleError(ValueError):
    pass


class RuleRegistry:
    def __init__(self) -> None:
        self._rules: dict[str, type[Rule]] = {}

    def register(self, rule: type[Rule]) -> type[Rule]:
        existing = self._rules.get(rule.code)
        if existing is not None and existing is not rule:
            raise DuplicateRuleError(
                f"{rule.code} is already {existing.__module__}.{existing.__name__}; "
                f"{rule.__module__}.{rule.__name__} needs a new code"
            )
        missing = [s for s in DOC_SECTIONS if s not in (sys.modules[rule.__module__].__doc__ or "")]
        if missing:
            raise ValueError(f"{rule.code}: its module docstring lacks the sections {missing}")
        self._rules[rule.code] = rule
        return rule

    def __iter__(self) -> Iterator[type[Rule]]:
        return iter(sorted(self._rules.values(), key=lambda r: r.code))

    def __len__(self) -> int:
        return len(self._rules)

    def get(self, code: str) -> type[Rule] | None:
        return self._rules.get(code.upper())

    def codes(self) -> list[str]:
        return sorted(self._rules)


REGISTRY = RuleRegistry()


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator that adds a rule to the registry."""
    return REGISTRY.register(rule)


def all_rules() -> RuleRegistry:
    from . import rules  # noqa: F401  imports every rule module once

    rules.load_all()
    return REGISTRY


def rule_index_markdown(heading_level: int = 2) -> str:
    """The rule index, generated from the registry."""
    registry = all_rules()
    lines = ["| code | name | severity | fix |", "|---|---|---|---|"]
    for rule in registry:
        anchor = f"{rule.code.lower()}-{rule.name}"
        lines.append(f"| [{rule.code}](docs/rules.md#{anchor}) | {rule.name} | {rule.severity.value} "
                     f"| {rule.fix_availability.value} |")
    return "\n".join(lines)


def rules_document() -> str:
    """``docs/rules.md``: every rule's full documentation."""
    registry = all_rules()
    out = ["# Rules", "", "Generated from the rule registry by `lime-task-lint rules --markdown`; "
           "do not edit by hand.", ""]
    for rule in registry:
        out.append(f"## {rule.code} {rule.name}")
        out.append("")
        out.append(f"Default severity: {rule.severity.value}. Fix: {rule.fix_availability.value}.")
        out.append("")
        out.append(_demote_headings(rule.docs()))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _demote_headings(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if line.startswith("#"):
            line = "##" + line
        lines.append(line)
    return "\n".join(lines)


def relative_path(path: str | None, root: Path | None) -> str:
    if path is None:
        return "<stdin>"
    if root is not None:
        try:
            return Path(path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return Path(path).as_posix()
