"""Registries for editor features beyond diagnostics: hovers, code actions,
code lenses and commands.

Each feature is one module in ``lime_task_lint/features/`` that registers its
functions here; ``server.py`` only dispatches.  The functions take an
:class:`~lime_task_lint.analysis.Analysis` and offsets, never LSP types, so they
are tested without a server.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from .analysis import Analysis
from .edits import Edit

log = logging.getLogger(__name__)


@dataclass
class ProvidedAction:
    title: str
    kind: str  # an LSP CodeActionKind value, e.g. "refactor.rewrite"
    edits: list[Edit] = field(default_factory=list)
    is_preferred: bool = False


@dataclass
class Lens:
    start: int
    end: int
    title: str
    command: str | None = None
    arguments: list = field(default_factory=list)


class CommandAPI(Protocol):
    """What a command handler may ask of the server."""

    def analysis_for(self, uri: str) -> Analysis | None: ...

    def apply_edits(self, uri: str, edits: list[Edit], label: str) -> bool: ...


HoverProvider = Callable[[Analysis, int], "str | None"]
ActionProvider = Callable[[Analysis, int, int], "list[ProvidedAction]"]
LensProvider = Callable[[Analysis], "list[Lens]"]
CommandHandler = Callable[[CommandAPI, list], Any]

HOVERS: list[HoverProvider] = []
ACTIONS: list[ActionProvider] = []
LENSES: list[LensProvider] = []
COMMANDS: dict[str, CommandHandler] = {}


def hover_provider(func: HoverProvider) -> HoverProvider:
    HOVERS.append(func)
    return func


def action_provider(func: ActionProvider) -> ActionProvider:
    ACTIONS.append(func)
    return func


def lens_provider(func: LensProvider) -> LensProvider:
    LENSES.append(func)
    return func


def command(name: str) -> Callable[[CommandHandler], CommandHandler]:
    def decorator(func: CommandHandler) -> CommandHandler:
        if name in COMMANDS and COMMANDS[name] is not func:
            raise ValueError(f"command {name} is registered twice")
        COMMANDS[name] = func
        return func

    return decorator


_loaded = False


def load_features() -> None:
    global _loaded
    if _loaded:
        return
    from . import features

    for module in sorted(pkgutil.iter_modules(features.__path__), key=lambda m: m.name):
        importlib.import_module(f"{features.__name__}.{module.name}")
    _loaded = True


def hover_markdown(analysis: Analysis, offset: int) -> str | None:
    """The first hover a provider gives for ``offset`` (providers are tried in module order)."""
    load_features()
    parts = []
    for provider in HOVERS:
        try:
            text = provider(analysis, offset)
        except Exception:  # a failing hover must never take the server down
            log.exception("hover provider %s failed", getattr(provider, "__name__", provider))
            continue
        if text:
            parts.append(text)
    return "\n\n---\n\n".join(parts) if parts else None


def provided_actions(analysis: Analysis, start: int, end: int) -> list[ProvidedAction]:
    load_features()
    actions: list[ProvidedAction] = []
    for provider in ACTIONS:
        try:
            actions.extend(provider(analysis, start, end))
        except Exception:
            log.exception("action provider %s failed", getattr(provider, "__name__", provider))
    return actions


def provided_lenses(analysis: Analysis) -> list[Lens]:
    load_features()
    lenses: list[Lens] = []
    for provider in LENSES:
        try:
            lenses.extend(provider(analysis))
        except Exception:
            log.exception("lens provider %s failed", getattr(provider, "__name__", provider))
    return lenses
