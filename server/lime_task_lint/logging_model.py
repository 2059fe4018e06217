"""What the logging rules (LIME301-LIME306) and the timing actions share:
which names are loggers, which names look like credentials, every log call of
a module parsed once, and the edits that add a module logger.

Loggers are recognised from how they are bound, never from their name alone:

* ``x = logging.getLogger(...)`` (or ``getLogger`` imported from ``logging``,
  ``logging.LoggerAdapter(...)``, ``<logger>.getChild(...)``) at module level,
  in a function (local to it) or as ``self.x = ...`` in a class;
* the ``logging`` module itself (``logging.info(...)``);
* a name imported from another module of the workspace that binds it that
  way.  With a workspace (the language server), the other module's source is
  read through ``Workspace.source`` and the binding checked.  Without one (CLI
  on one file) or when the module cannot be found, the name is accepted only
  when the import is relative or from the same top-level package, the name
  reads like a logger (``logger``, ``log``, ``_logger``, ``LOGGER``...) and the
  module calls ``.debug/.info/.warning/.error/.exception/.critical`` on it.

The model is built once per :class:`RuleContext` (one walk of the tree) and
cached on it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .edits import Edit, LineIndex, _import_anchor, import_edit, with_newline
from .log_format import UNKNOWN, KindResolver, field_placeholder, percent_accepts, percent_fields
from .semantic import SyntaxIndex, syntax_index
from .trees import nodes_of

LEVELS = ("debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log")
ERROR_LEVELS = ("error", "exception", "critical", "fatal")
LOGGER_LIKE_NAMES = re.compile(r"^_{0,2}(logger|log|LOGGER|LOG|logging_?[a-z]*|[a-z_]*_log(ger)?)$")
BROAD_EXCEPTIONS = {"Exception", "BaseException"}

# -- secret names ----------------------------------------------------------------
#: A name is a credential when its head noun (last word, after dropping the
#: modifiers below) is one of these...
SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "authorization",
    "bearer", "credential", "credentials", "privatekey", "jwt", "cookie", "passcode",
    # `smtp_pass`, `db_pass`; an `auth` header value; a DSN (a connection URL with its password)
    "pass", "pword", "auth", "dsn", "connstr", "connectionstring",
})
#: ...or its last two words are one of these pairs.
SECRET_PAIRS = frozenset({
    ("api", "key"), ("private", "key"), ("session", "key"), ("secret", "key"), ("access", "key"),
    ("signing", "key"), ("encryption", "key"), ("client", "secret"), ("auth", "header"),
    ("session", "id"), ("sas", "key"), ("subscription", "key"), ("app", "key"), ("master", "key"),
    # connection strings carry `Password=...`
    ("conn", "str"), ("conn", "string"), ("connection", "string"), ("connection", "str"), ("database", "url"),
    ("db", "url"), ("db", "uri"), ("database", "uri"), ("client", "key"), ("license", "key"), ("webhook", "key"),
    ("shared", "key"), ("account", "key"),
})
#: Words that may follow the head noun without changing what the value is
#: (``password_value``, ``x-api-key`` header, ``token_str``).
SECRET_MODIFIERS = frozenset({"value", "val", "str", "string", "text", "raw", "plain", "header", "b64",
                              "base64", "encoded", "bytes", "data", "hash", "hashed", "encrypted", "enc"})
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_|$)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def name_words(name: str) -> list[str]:
    """``apiKey`` -> [api, key]; ``X-Api-Key`` -> [x, api, key]; ``client_secret`` -> [client, secret]."""
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        words.extend(w.lower() for w in _WORD_RE.findall(part))
    return words


def is_secret_name(name: str) -> bool:
    """True when ``name`` (an identifier, attribute, dict key or header) names a credential.

    The credential word must be the head noun: ``token`` and ``refresh_token``
    are secrets, ``token_count``, ``max_tokens``, ``tokenizer`` and
    ``password_policy_url`` are not; ``api_key_id`` names the key's public
    identifier, not the key.
    """
    if not isinstance(name, str) or not name or len(name) > 80:
        return False
    words = name_words(name)
    if not words:
        return False
    if len(words) >= 2 and (words[-2], words[-1]) in SECRET_PAIRS:
        return True
    while len(words) > 1 and words[-1] in SECRET_MODIFIERS:
        words.pop()
    if _names_secret(words):
        return True
    # A collection of credentials (`api_keys`, `tokens`, `passwords`): each item is one,
    # unless the name counts them (`max_tokens`, `num_passwords`).
    head = words[-1]
    if len(head) > 3 and head.endswith("s") and not head.endswith("ss") \
            and not (len(words) >= 2 and words[-2] in QUANTITY_WORDS):
        return _names_secret([*words[:-1], head[:-1]])
    return False


#: Words before a plural credential noun that make the name a number of them.
QUANTITY_WORDS = frozenset({"max", "min", "num", "number", "count", "total", "n", "no", "nr", "many", "few"})


def _names_secret(words: list[str]) -> bool:
    return words[-1] in SECRET_WORDS or (len(words) >= 2 and (words[-2], words[-1]) in SECRET_PAIRS)


#: Text that carries a credential whatever the name holding it: a connection
#: string's `Password=...`, a URL with `user:password@`.
_CREDENTIAL_TEXT = re.compile(
    r"(?i)(?:\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|sig)\s*[=:]\s*[^\s;&]+"
    r"|[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@)")


def is_credential_text(text: object) -> bool:
    """True when a literal string holds a credential in its text
    (``"Server=db;Password=x"``, ``"https://user:pw@host"``)."""
    return isinstance(text, str) and bool(_CREDENTIAL_TEXT.search(text))


# -- log calls -------------------------------------------------------------------
@dataclass(eq=False)
class LogCall:
    node: ast.Call
    level: str  # one of LEVELS; "print" / "print_exc" for print and traceback calls
    function: ast.AST | None  # enclosing FunctionDef / AsyncFunctionDef
    handler: ast.ExceptHandler | None  # innermost enclosing except handler (same function)
    loops: tuple[ast.AST, ...]  # enclosing for/while loops in the same function, innermost last

    @property
    def is_log(self) -> bool:
        return self.level in LEVELS

    @property
    def message(self) -> ast.expr | None:
        """The message argument of a log call."""
        if not self.is_log:
            return None
        index = 1 if self.level == "log" else 0
        if len(self.node.args) > index and not isinstance(self.node.args[index], ast.Starred):
            return self.node.args[index]
        for keyword in self.node.keywords:
            if keyword.arg == "msg":
                return keyword.value
        return None

    @property
    def format_args(self) -> list[ast.expr]:
        index = 2 if self.level == "log" else 1
        return list(self.node.args[index:])

    @property
    def has_exc_info(self) -> bool:
        if self.level == "exception":
            return True
        for keyword in self.node.keywords:
            if keyword.arg == "exc_info":
                return not (isinstance(keyword.value, ast.Constant) and not keyword.value.value)
            if keyword.arg is None:  # **kwargs may carry it
                return True
        return False


@dataclass
class LoggingModel:
    """Loggers, log calls and except handlers of one module, on its syntax index."""

    index: SyntaxIndex
    logging_names: set[str]  # names bound to the logging module (``logging``, ``lg``)
    module_loggers: set[str]  # module-level names every binding of which is a logger
    attribute_loggers: set[str]  # ``self.<attr>`` loggers and class-level logger attributes
    calls: list[LogCall]
    handlers: list[tuple[ast.ExceptHandler, ast.AST]]  # (handler, function)

    def module_logger(self, at: Iterable[ast.AST] = ()) -> str | None:
        """The name of the module-level logger (``logger`` preferred) that every
        node of ``at`` sees (a parameter or local of the same name hides it)."""
        usable = [name for name in self.module_loggers
                  if all(self.index.resolve(name, node) is self.index.scopes[0] for node in at)]
        for name in ("logger", "log", "LOGGER", "_logger", "_log"):
            if name in usable:
                return name
        return min(usable) if usable else None

    def calls_in(self, function: ast.AST) -> Iterator[LogCall]:
        return (c for c in self.calls if c.function is function)

    def function_nodes(self) -> list[ast.AST]:
        """Every ``def``, ``async def`` and ``lambda`` of the module."""
        return [s.node for s in self.index.scopes if s.kind in ("function", "lambda")]

    def name_in_use(self, name: str) -> bool:
        """Whether any scope of the module binds or reads ``name``."""
        return any(name in s.bindings or name in s.uses for s in self.index.scopes)


# -- building --------------------------------------------------------------------
def logging_model(ctx) -> LoggingModel:
    """The logging model of ``ctx``'s document, built once and cached on the context."""
    cached = getattr(ctx, "_lime_logging_model", None)
    if cached is None:
        cached = build_logging_model(ctx.tree, getattr(ctx.document, "path", None), getattr(ctx, "workspace", None))
        try:
            ctx._lime_logging_model = cached
        except AttributeError:  # pragma: no cover - slotted contexts
            pass
    return cached


def _module_binds_logger(tree: ast.Module, name: str) -> bool | None:
    """True/False when ``tree`` binds ``name`` at top level by getLogger / otherwise; None when absent."""
    if not any(isinstance(stmt, (ast.Assign, ast.AnnAssign)) and any(
            isinstance(t, ast.Name) and t.id == name
            for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])) for stmt in tree.body):
        return None
    return name in _Loggers(syntax_index(tree)).module_loggers()


def _resolve_module_path(path: str | None, module: str | None, level: int) -> Path | None:
    if not path or level == 0:
        return None
    base = Path(path).resolve().parent
    for _ in range(level - 1):
        base = base.parent
    parts = module.split(".") if module else []
    target = base.joinpath(*parts) if parts else base
    for candidate in (target.with_suffix(".py") if parts else None, target / "__init__.py"):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _same_package(path: str | None, module: str | None, level: int) -> bool:
    if level:
        return True
    if not path or not module:
        return False
    parts = Path(path).resolve().parts
    return module.split(".")[0] in parts


def _imported_loggers(tree: ast.Module, path: str | None, workspace, used_as_logger: set[str]) -> set[str]:
    found: set[str] = set()
    for stmt in tree.body:
        if not isinstance(stmt, ast.ImportFrom) or stmt.module == "logging":
            continue
        for alias in stmt.names:
            local = alias.asname or alias.name
            verdict: bool | None = None
            if workspace is not None and hasattr(workspace, "source"):
                target = _resolve_module_path(path, stmt.module, stmt.level)
                if target is not None:
                    try:
                        parsed = workspace.source(str(target))
                        tree_of = getattr(parsed, "tree", None)
                        if tree_of is not None:
                            verdict = _module_binds_logger(tree_of, alias.name)
                    except Exception:  # the workspace must never break a rule
                        verdict = None
            if verdict is None:
                verdict = (local in used_as_logger and bool(LOGGER_LIKE_NAMES.match(local))
                           and _same_package(path, stmt.module, stmt.level))
            if verdict:
                found.add(local)
    return found


_LOGGER_TYPES = {"Logger", "LoggerAdapter", "RootLogger"}


class _Loggers:
    """Which expressions are loggers, by how their names are bound (scope by scope)."""

    def __init__(self, index: SyntaxIndex, imported: set[str] = frozenset()) -> None:
        self.index = index
        self.imported = imported  # module-level names imported from a module that binds them as loggers
        self._seen: set[tuple[int, str]] = set()
        self._verdicts: dict[tuple[int, str], list[bool | None]] = {}  # (scope, name) -> each binding's verdict
        self.attributes: set[str] = set()

    def _alias_of(self, name: str, at: ast.AST) -> tuple[ast.AST, ast.alias] | None:
        """The import binding ``name`` where ``at`` reads it, when every binding of
        the name imports the same thing (``import logging`` repeated is one)."""
        scope = self.index.resolve(name, at)
        bindings = scope.bindings.get(name, []) if scope is not None else []
        if not bindings or not all(isinstance(b, ast.alias) for b in bindings):
            return None
        found = [(self.index.parent(b), b) for b in bindings]
        kinds = {(type(statement), getattr(statement, "module", None), getattr(statement, "level", 0), alias.name)
                 for statement, alias in found}
        return found[0] if len(kinds) == 1 else None

    def is_logging_module(self, node: ast.AST) -> bool:
        if not isinstance(node, ast.Name):
            return False
        found = self._alias_of(node.id, node)
        return found is not None and isinstance(found[0], ast.Import) and found[1].name == "logging"

    def _from_logging(self, node: ast.AST, names: set[str]) -> bool:
        """``node`` is ``logging.<one of names>`` or a name imported from logging as one of them."""
        if isinstance(node, ast.Attribute):
            return node.attr in names and self.is_logging_module(node.value)
        if isinstance(node, ast.Name):
            found = self._alias_of(node.id, node)
            return found is not None and isinstance(found[0], ast.ImportFrom) and found[0].module == "logging" \
                and found[1].name in names
        return False

    def is_logger_type(self, annotation: ast.AST | None) -> bool:
        """``logging.Logger``, ``Logger`` (from logging), ``LoggerAdapter``, or
        ``Optional[...]`` / ``... | None`` of one."""
        if annotation is None:
            return False
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            return annotation.value.split(".")[-1] in _LOGGER_TYPES
        if isinstance(annotation, ast.Subscript) and (dotted(annotation.value) or "").split(".")[-1] == "Optional":
            return self.is_logger_type(annotation.slice)
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            parts = [annotation.left, annotation.right]
            return any(self.is_logger_type(p) for p in parts) and all(
                self.is_logger_type(p) or (isinstance(p, ast.Constant) and p.value is None) for p in parts)
        return self._from_logging(annotation, _LOGGER_TYPES)

    def is_logger_value(self, value: ast.AST | None) -> bool:
        """An expression that evaluates to a logger: ``logging.getLogger(...)``,
        ``LoggerAdapter(...)``, ``<logger>.getChild(...)`` or a logger name/attribute."""
        if isinstance(value, ast.Call):
            if self._from_logging(value.func, {"getLogger", "LoggerAdapter"}):
                return True
            func = value.func
            return isinstance(func, ast.Attribute) and func.attr == "getChild" and self.is_logger(func.value)
        return self.is_logger(value) and not self.is_logging_module(value)

    def is_logger(self, node: ast.AST | None, strict: bool = False) -> bool:
        """Whether ``node`` (a name, ``self.<attr>`` or a call) is a logger where it
        stands; ``strict``: every binding of the name is one (no ``None``)."""
        if isinstance(node, ast.Name):
            scope = self.index.resolve(node.id, node)
            if scope is None:
                return False
            if scope is self.index.scopes[0] and node.id in self.imported:
                return True
            return self._binds_logger(scope, node.id, strict)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            return node.attr in self.attributes
        return isinstance(node, ast.Call) and self.is_logger_value(node)

    def _binds_logger(self, scope, name: str, strict: bool) -> bool:
        key = (id(scope), name)
        cached = self._verdicts.get(key)
        if cached is None:
            if key in self._seen:
                return False  # ``log = log`` cycles prove nothing
            self._seen.add(key)
            try:
                cached = [self._binding_is_logger(b) for b in scope.bindings.get(name, [])]
            finally:
                self._seen.discard(key)
            self._verdicts[key] = cached
        if not cached or not any(v is True for v in cached):
            return False
        return all(v is True for v in cached) if strict else all(v is not False for v in cached)

    def _binding_is_logger(self, binding: ast.AST) -> bool | None:
        """True: binds a logger; None: binds ``None`` (an optional logger); False: anything else."""
        if isinstance(binding, ast.arg):
            if self.is_logger_type(binding.annotation):
                return True
            default = _default_of(self.index, binding)
            return True if default is not None and self.is_logger_value(default) else False
        parent = self.index.parent(binding)
        value = getattr(parent, "value", None) if isinstance(parent, (ast.Assign, ast.AnnAssign)) else None
        if value is None:
            return False
        if isinstance(parent, ast.AnnAssign) and self.is_logger_type(parent.annotation):
            return True
        if isinstance(value, ast.Constant) and value.value is None:
            return None
        return self.is_logger_value(value)

    def module_loggers(self) -> set[str]:
        module = self.index.scopes[0]
        found = {name for name in module.bindings if self._binds_logger(module, name, strict=True)}
        return found | set(self.imported)

    def collect_attributes(self, assignments: list[ast.Assign | ast.AnnAssign]) -> None:
        """``self.x = <logger>`` among ``assignments``, and loggers bound in class bodies."""
        for scope in self.index.scopes:
            if scope.kind == "class":
                self.attributes.update(n for n in scope.bindings if self._binds_logger(scope, n, strict=False))
        for node in assignments:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id in ("self", "cls") and self.is_logger_value(node.value):
                    self.attributes.add(target.attr)


def _default_of(index: SyntaxIndex, arg: ast.arg) -> ast.expr | None:
    arguments = index.parent(arg)
    if not isinstance(arguments, ast.arguments):
        return None
    positional = [*arguments.posonlyargs, *arguments.args]
    for i, candidate in enumerate(positional):
        if candidate is arg:
            offset = i - (len(positional) - len(arguments.defaults))
            return arguments.defaults[offset] if offset >= 0 else None
    for candidate, default in zip(arguments.kwonlyargs, arguments.kw_defaults):
        if candidate is arg:
            return default
    return None


def build_logging_model(tree: ast.Module, path: str | None = None, workspace=None) -> LoggingModel:
    index = syntax_index(tree)
    call_nodes: list[ast.Call] = nodes_of(tree, ast.Call)  # type: ignore[assignment]
    handler_nodes: list[ast.ExceptHandler] = nodes_of(tree, ast.ExceptHandler)  # type: ignore[assignment]
    attribute_assignments: list[ast.Assign | ast.AnnAssign] = [
        node for node in nodes_of(tree, ast.Assign, ast.AnnAssign)
        if node.value is not None and any(  # type: ignore[attr-defined]
            isinstance(t, ast.Attribute) for t in (node.targets if isinstance(node, ast.Assign)
                                                   else [node.target]))]  # type: ignore[attr-defined]
    used_as_logger = {node.func.value.id for node in call_nodes if isinstance(node.func, ast.Attribute)
                      and node.func.attr in LEVELS and isinstance(node.func.value, ast.Name)}
    plain = _Loggers(index).module_loggers()
    imported = _imported_loggers(tree, path, workspace, used_as_logger - plain)
    loggers = _Loggers(index, imported)
    loggers.collect_attributes(attribute_assignments)
    logging_names = {name for scope in index.scopes for name, bindings in scope.bindings.items()
                     if any(isinstance(b, ast.alias) and b.name == "logging"
                            and isinstance(index.parent(b), ast.Import) for b in bindings)}
    calls: list[LogCall] = []
    handlers: list[tuple[ast.ExceptHandler, ast.AST]] = []
    for handler in handler_nodes:
        function = _function_of(index, handler)
        if function is not None:
            handlers.append((handler, function))
    for node in call_nodes:
        level = _call_level(node, loggers, index)
        if level is not None:
            calls.append(LogCall(node, level, _function_of(index, node), _handler_of(index, node),
                                 _loops_of(index, node)))
    calls.sort(key=lambda c: (c.node.lineno, c.node.col_offset))
    handlers.sort(key=lambda h: (h[0].lineno, h[0].col_offset))
    return LoggingModel(index, logging_names, loggers.module_loggers(), loggers.attributes, calls, handlers)


def _call_level(node: ast.Call, loggers: _Loggers, index: SyntaxIndex) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in LEVELS and (
            loggers.is_logger(func.value) or loggers.is_logging_module(func.value)):
        return func.attr
    if isinstance(func, ast.Name) and func.id == "print" and index.resolve("print", node) is None:
        return "print"
    if isinstance(func, ast.Attribute) and func.attr in ("print_exc", "print_exception") \
            and isinstance(func.value, ast.Name) and func.value.id == "traceback":
        return "print_exc"
    return None


def _function_of(index: SyntaxIndex, node: ast.AST) -> ast.AST | None:
    """The innermost ``def`` whose own code (lambdas included) holds ``node``."""
    function = index.function_of(node)
    while isinstance(function, ast.Lambda):
        function = index.function_of(function)
    return function


def _handler_of(index: SyntaxIndex, node: ast.AST) -> ast.ExceptHandler | None:
    for ancestor in index.ancestors(node):
        if isinstance(ancestor, ast.ExceptHandler):
            return ancestor
        if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return None
    return None


def _loops_of(index: SyntaxIndex, node: ast.AST) -> tuple[ast.AST, ...]:
    """The for/while loops of the same function whose body holds ``node``, innermost last."""
    loops: list[ast.AST] = []
    child = node
    for ancestor in index.ancestors(node):
        if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            break
        if isinstance(ancestor, (ast.For, ast.AsyncFor, ast.While)) and any(s is child for s in ancestor.body):
            loops.append(ancestor)
        child = ancestor
    return tuple(reversed(loops))


# -- adding a logger -------------------------------------------------------------
def ensure_logger(ctx_or_doc, model: LoggingModel, at: Iterable[ast.AST] = ()) -> tuple[str, list[Edit]]:
    """The name of a module logger every node of ``at`` sees, and the edits that
    create one when there is none: ``import logging`` (via :func:`import_edit`)
    and ``<name> = logging.getLogger(__name__)`` after the imports.  A new
    logger's name is one no scope of the module binds or reads (a parameter
    ``logger=None`` keeps its meaning)."""
    document = getattr(ctx_or_doc, "document", ctx_or_doc)
    at = list(at)
    existing = model.module_logger(at)
    if existing is not None:
        return existing, []
    text, tree, newline = document.text, document.tree, document.newline
    name = next(n for n in ("logger", "_logger", "task_logger", "_task_logger", "module_logger", "_module_logger")
                if not model.name_in_use(n))
    module = model.index.scopes[0]
    logging_name = next((n for n in sorted(model.logging_names) if n in module.bindings and all(
        isinstance(b, ast.alias) and b.name == "logging" for b in module.bindings[n])), None)
    edits: list[Edit] = []
    if logging_name is None:
        logging_name = "logging"
        if model.name_in_use("logging"):
            logging_name = "_logging"
            edit = _insert_import_line(document, "import logging as _logging")
        else:
            edit = import_edit(text, tree, "logging", newline=newline)
        if edit is not None:
            edits.append(edit)
    line = f"{name} = {logging_name}.getLogger(__name__)"
    anchor = _import_anchor(tree)
    index = document.index if hasattr(document, "index") else LineIndex(text)
    if anchor is None:
        offset = 1 if text.startswith("\ufeff") else 0
        insert = Edit(offset, offset, with_newline(line + "\n\n\n", newline))
    else:
        _, end = index.node_range(anchor)
        row = index.line_of(end)
        if row + 1 < index.line_count:
            offset = index.line_starts[row + 1]
            insert = Edit(offset, offset, with_newline("\n" + line + "\n", newline))
        else:
            insert = Edit(len(text), len(text), with_newline("\n\n" + line + "\n", newline))
    return name, merge_insertions(edits + [insert])


def _insert_import_line(document, line: str) -> Edit | None:
    """``line`` after the module's last top-level import (or at its top)."""
    anchor = _import_anchor(document.tree)
    index = document.index if hasattr(document, "index") else LineIndex(document.text)
    if anchor is None:
        return Edit(0, 0, with_newline(line + "\n", document.newline))
    _, end = index.node_range(anchor)
    row = index.line_of(end)
    offset = index.line_starts[row + 1] if row + 1 < index.line_count else len(document.text)
    prefix = "" if row + 1 < index.line_count else "\n"
    return Edit(offset, offset, with_newline(prefix + line + "\n", document.newline))


def merge_insertions(edits: list[Edit]) -> list[Edit]:
    """Join insertions at the same offset into one edit (in list order), so no
    client has to guess their order."""
    merged: list[Edit] = []
    for edit in edits:
        for i, other in enumerate(merged):
            if other.start == other.end == edit.start == edit.end:
                merged[i] = Edit(other.start, other.end, other.new_text + edit.new_text)
                break
        else:
            merged.append(edit)
    return merged


# -- small helpers shared by the rules -------------------------------------------
def dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def call_name(node: ast.AST) -> str | None:
    """``fetch`` for ``fetch(...)``, ``commit`` for ``uow.commit()``."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


def loop_key(loop: ast.AST, lime_names: dict | None = None) -> str | None:
    """The expression naming the current item of a ``for`` loop: ``deal.id`` for a
    Lime object, else the loop variable (the first one of a tuple)."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)):
        return None
    target = loop.target
    if isinstance(target, (ast.Tuple, ast.List)) and target.elts:
        target = target.elts[0]
    if not isinstance(target, ast.Name):
        return None
    role = (lime_names or {}).get(target.id)
    if role is not None and getattr(role, "kind", None) == "object":
        return f"{target.id}.id"
    return target.id


def string_literal(value: str, quote: str = '"') -> str:
    """A Python string literal for ``value`` using ``quote`` when possible."""
    if quote not in ('"', "'"):
        quote = '"'
    out = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif char == quote:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif not char.isprintable():
            out.append(repr(char)[1:-1])
        else:
            out.append(char)
    return quote + "".join(out) + quote


def quote_of(source: str) -> str:
    """The quote character a string literal's source uses (after its prefix)."""
    for char in source:
        if char in "\"'":
            return char
    return '"'


def source_of(document, node: ast.AST) -> str:
    """The source text of ``node`` when its positions are trustworthy (they are
    not for expressions inside f-strings before Python 3.12), else ``ast.unparse``."""
    try:
        text = document.node_text(node)
        if text and ast.dump(ast.parse("(" + text + ")", mode="eval").body) == ast.dump(node):
            return text
    except (SyntaxError, ValueError, RecursionError, AttributeError):
        pass
    return ast.unparse(node)


# -- secrets -----------------------------------------------------------------------
TRANSPARENT_FUNCTIONS = {"str", "repr", "format", "dict", "list", "tuple", "set", "sorted", "bytes", "b64encode",
                         "urlsafe_b64encode", "quote", "quote_plus"}
TRANSPARENT_METHODS = {"format", "join", "encode", "decode", "strip", "lstrip", "rstrip", "lower", "upper",
                       "copy", "replace", "format_map", "items", "values", "hex"}
LOG_KEYWORDS_IGNORED = {"exc_info", "stack_info", "stacklevel", "sep", "end", "flush", "file"}


@dataclass
class SecretPart:
    node: ast.AST  # the expression to redact (a FormattedValue for an f-string part)
    name: str  # what makes it a secret, for the message
    fstring: ast.JoinedStr | None = None  # the f-string holding the part
    field_index: int = -1  # which replacement field of that f-string


def _const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def secret_parts(expr: ast.AST, tainted: dict[str, str]) -> list[SecretPart]:
    """The parts of ``expr`` whose value is (or contains) a credential.

    ``len(token)``, ``token is None`` and other calls are not secrets: only the
    value itself, containers holding it and string operations on it are.
    """
    found: list[SecretPart] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            if is_secret_name(node.id):
                found.append(SecretPart(node, node.id))
            elif node.id in tainted:
                found.append(SecretPart(node, f"{node.id}` (built from `{tainted[node.id]}`)"))
        elif isinstance(node, ast.Attribute):
            if is_secret_name(node.attr):
                found.append(SecretPart(node, dotted(node) or node.attr))
        elif isinstance(node, ast.Subscript):
            key = _const_str(node.slice)
            if key is not None:
                if is_secret_name(key):
                    found.append(SecretPart(node, key))
            elif isinstance(node.value, ast.Name) and node.value.id in tainted:
                found.append(SecretPart(node, node.value.id))
        elif isinstance(node, ast.Call):
            func = node.func
            name = call_name(node)
            if isinstance(func, ast.Attribute) and func.attr in ("get", "getenv", "pop") and node.args:
                key = _const_str(node.args[0])
                if key is not None and is_secret_name(key):
                    found.append(SecretPart(node, key))
                    return
            if isinstance(func, ast.Attribute) and func.attr in TRANSPARENT_METHODS:
                visit(func.value)
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    visit(arg)
            elif isinstance(func, ast.Name) and name in TRANSPARENT_FUNCTIONS:
                for arg in node.args:
                    visit(arg)
                for keyword in node.keywords:
                    if keyword.arg and is_secret_name(keyword.arg):
                        if not isinstance(keyword.value, ast.Constant):
                            found.append(SecretPart(keyword.value, keyword.arg))
                    else:
                        visit(keyword.value)
        elif isinstance(node, ast.JoinedStr):
            field_index = 0
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    inner = secret_parts(value.value, tainted)
                    if inner:
                        found.append(SecretPart(value, inner[0].name, node, field_index))
                    field_index += 1
        elif isinstance(node, ast.FormattedValue):
            visit(node.value)
        elif isinstance(node, ast.BinOp):
            visit(node.left)
            visit(node.right)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                key_text = _const_str(key)
                if key_text is not None and is_secret_name(key_text):
                    if not isinstance(value, ast.Constant):  # a literal (the redaction itself) is no secret
                        found.append(SecretPart(value, key_text))
                else:
                    visit(value)
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            for element in node.elts:
                visit(element)
        elif isinstance(node, ast.Starred):
            visit(node.value)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                visit(value)
        elif isinstance(node, ast.IfExp):
            visit(node.body)
            visit(node.orelse)
        elif isinstance(node, ast.NamedExpr):
            visit(node.value)

    visit(expr)
    return found


def _ordered_bindings(index: SyntaxIndex, owner: ast.AST) -> list[ast.AST]:
    """The assignments and calls of ``owner``'s own code (module, def or lambda), in source order."""
    nodes = [n for n in index.own_nodes(owner)
             if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.Call, ast.For,
                               ast.AsyncFor))]
    nodes.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    return nodes


def _first_name(parts: list[SecretPart]) -> str:
    return parts[0].name.split("`")[0]


def taint(index: SyntaxIndex, owner: ast.AST, inherited: dict[str, str] | None = None) -> dict[str, str]:
    """Names whose value was built from a credential in ``owner``'s own code (the
    module, a def or a lambda; nested functions are theirs): name -> the credential.

    ``headers = {"Authorization": token}`` taints ``headers``; so do
    ``headers["Authorization"] = token`` and ``headers.update(token=...)``.
    """
    tainted = dict(inherited or {})
    bindings = _ordered_bindings(index, owner)
    for _ in range(2):  # a second pass for loops that feed an earlier line
        for node in bindings:
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in ("update", "setdefault", "append") \
                        and isinstance(func.value, ast.Name):
                    parts = [p for a in [*node.args, *(k.value for k in node.keywords)]
                             for p in secret_parts(a, tainted)]
                    parts += [SecretPart(k.value, k.arg) for k in node.keywords if k.arg and is_secret_name(k.arg)]
                    if parts and func.value.id not in tainted and not is_secret_name(func.value.id):
                        tainted[func.value.id] = _first_name(parts)
                continue
            if isinstance(node, (ast.For, ast.AsyncFor)):
                parts = secret_parts(node.iter, tainted)
                for target in _iterated_values(node):
                    if parts and not is_secret_name(target.id):
                        tainted.setdefault(target.id, _first_name(parts))
                continue
            value = getattr(node, "value", None)
            if value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            parts = secret_parts(value, tainted)
            for target in targets:
                if isinstance(target, ast.Name):
                    if parts and not is_secret_name(target.id):
                        tainted.setdefault(target.id, _first_name(parts))
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    key = _const_str(target.slice)
                    if (parts or (key is not None and is_secret_name(key))) and target.value.id not in tainted \
                            and not is_secret_name(target.value.id):
                        tainted[target.value.id] = key if key and is_secret_name(key) else _first_name(parts)
    return tainted


def _iterated_values(loop: ast.For | ast.AsyncFor) -> list[ast.Name]:
    """The names a loop binds to the items of its iterable (``for token in tokens``,
    ``for i, token in enumerate(tokens)``); of ``mapping.items()`` only the value
    (the keys are names such as ``"smtp_password"``, not credentials)."""
    names = [n for n in ast.walk(loop.target) if isinstance(n, ast.Name)]
    iterable, target = loop.iter, loop.target
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute) \
            and isinstance(target, ast.Tuple) and len(target.elts) == 2:
        if iterable.func.attr == "items":
            return [n for n in ast.walk(target.elts[1]) if isinstance(n, ast.Name)]
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute) and iterable.func.attr == "keys":
        return []
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and iterable.func.id == "enumerate" \
            and isinstance(target, ast.Tuple) and len(target.elts) == 2:
        return [n for n in ast.walk(target.elts[1]) if isinstance(n, ast.Name)]
    return names


def logged_expressions(call: LogCall) -> list[ast.expr]:
    """Every argument whose value reaches the log line or stdout."""
    exprs = list(call.node.args[1:] if call.level == "log" else call.node.args)
    for keyword in call.node.keywords:
        if keyword.arg not in LOG_KEYWORDS_IGNORED:
            exprs.append(keyword.value)
    return exprs


_LITERAL_START = re.compile(r"([rRbBuUfF]{0,2})(\"\"\"|'''|\"|')")


def fstring_fields(source: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level ``{...}`` replacement field in the source of
    an f-string (or of implicitly concatenated literals), in order."""
    fields: list[tuple[int, int]] = []
    i, n = 0, len(source)
    while i < n:
        match = _LITERAL_START.match(source, i)
        if match is None:
            if source[i] == "#":
                newline = source.find("\n", i)
                i = n if newline < 0 else newline
            i += 1
            continue
        prefix, quote = match.groups()
        is_f, raw = "f" in prefix.lower(), "r" in prefix.lower()
        i = match.end()
        while i < n and not source.startswith(quote, i):
            char = source[i]
            if char == "\\" and not raw:
                i += 2
                continue
            if is_f and char == "{":
                if source.startswith("{{", i):
                    i += 2
                    continue
                start, depth, j = i, 0, i
                while j < n:
                    ch = source[j]
                    if ch in "{[(":
                        depth += 1
                    elif ch in "}])":
                        depth -= 1
                        if depth == 0:
                            break
                    elif ch in "\"'" and ch != quote[0]:
                        close = source.find(ch, j + 1)
                        j = close if close > 0 else j
                    j += 1
                fields.append((start, j + 1))
                i = j + 1
                continue
            if is_f and source.startswith("}}", i):
                i += 2
                continue
            i += 1
        i += len(quote)
    return fields


# -- lazy formatting -------------------------------------------------------------
@dataclass
class LazyMessage:
    """The lazy form of an eager message: ``text`` (a ``%`` template) and the
    sources of its arguments, in the order the original evaluated them;
    ``hazards`` name what may change (empty: the text is proven identical)."""

    text: str
    args: list[str]
    hazards: list[str] = field(default_factory=list)


class Withheld(str):
    """Why no lazy form is offered (the precondition known false or unprovable)."""


def kind_resolver(ctx) -> KindResolver:
    """The :class:`KindResolver` of ``ctx``'s module (Lime objects' ``.id`` are ints)."""
    cached = getattr(ctx, "_lime_kind_resolver", None)
    if cached is None:
        model = ctx.model

        def is_lime_object(name: str, at: ast.AST) -> bool:
            function = _function_of(logging_model(ctx).index, at)
            info = model.function_at(function) if function is not None else None
            role = (info.names if info else {}).get(name)
            return getattr(role, "kind", None) == "object"

        cached = KindResolver(logging_model(ctx).index, is_lime_object)
        ctx._lime_kind_resolver = cached
    return cached


def _arg_source(document, node: ast.AST) -> str:
    return source_of(document, node) if document is not None else ast.unparse(node)


def _spec_text(spec: ast.AST | None) -> str | None:
    """A literal format spec's text ('' for none); None when it is computed (``{x:{w}}``)."""
    if spec is None:
        return ""
    if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
        return "".join(str(v.value) for v in spec.values)
    return None


def lazy_from_fstring(node: ast.JoinedStr, document, kinds: KindResolver,
                      python_version: tuple[int, int], at: ast.AST | None = None) -> LazyMessage | Withheld:
    """The lazy form of an f-string: each field becomes the ``%`` placeholder that
    formats its value identically (see :mod:`log_format`), ``%`` in the text is doubled.
    ``at``: where the fields are evaluated, when ``node`` is not part of the module's tree."""
    message: list[str] = []
    args: list[str] = []
    hazards: list[str] = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            message.append(str(value.value).replace("%", "%%"))
            continue
        if not isinstance(value, ast.FormattedValue):
            return Withheld("the f-string has a part this analysis does not know")
        spec = _spec_text(value.format_spec)
        what = _arg_source(document, value.value)
        kind = kinds.kind(value.value, at) if spec or python_version < (3, 11) else UNKNOWN
        placeholder = field_placeholder(value.conversion, spec, kind, what, python_version)
        if placeholder.text is None:
            return Withheld(placeholder.reason or "a field has no `%` equivalent")
        if placeholder.hazard:
            hazards.append(placeholder.hazard)
        message.append(placeholder.text)
        args.append(what)
    return LazyMessage("".join(message), args, hazards)


def _is_inert(node: ast.AST) -> bool:
    """An expression whose evaluation has no effect and cannot fail once its name is bound."""
    return isinstance(node, (ast.Constant, ast.Name))


def lazy_from_format_call(node: ast.Call, document, kinds: KindResolver,
                          python_version: tuple[int, int]) -> LazyMessage | Withheld:
    """``"a {} b {x}".format(1, x=2)`` -> ("a %s b %s", ["1", "2"]).

    ``.format`` evaluates every argument once, in call order, before formatting;
    the lazy form evaluates them in field order.  Both agree only when every
    argument is used exactly once in call order, or the arguments are inert
    (names, constants)."""
    import string

    template = _const_str(node.func.value) if isinstance(node.func, ast.Attribute) else None
    if template is None or any(isinstance(a, ast.Starred) for a in node.args) \
            or any(k.arg is None for k in node.keywords):
        return Withheld("the template or its arguments are not literal")
    keywords = {k.arg: k.value for k in node.keywords}
    call_order = [*node.args, *(k.value for k in node.keywords)]
    message: list[str] = []
    args: list[str] = []
    used: list[ast.AST] = []
    hazards: list[str] = []
    auto = 0
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return Withheld("the template is not a valid format string")
    for literal, field_name, spec, conversion in parsed:
        message.append(literal.replace("%", "%%"))
        if field_name is None:
            continue
        if field_name == "":
            if auto >= len(node.args):
                return Withheld("the template has more fields than arguments")
            value = node.args[auto]
            auto += 1
        elif field_name.isdigit() and int(field_name) < len(node.args):
            value = node.args[int(field_name)]
        elif field_name in keywords:
            value = keywords[field_name]
        else:
            return Withheld(f"the field `{{{field_name}}}` reads an attribute or item")
        if spec and ("{" in spec):
            return Withheld("a field has a computed format spec")
        conv = ord(conversion) if conversion else -1
        what = _arg_source(document, value)
        kind = kinds.kind(value) if spec or python_version < (3, 11) else UNKNOWN
        placeholder = field_placeholder(conv, spec or "", kind, what, python_version)
        if placeholder.text is None:
            return Withheld(placeholder.reason or "a field has no `%` equivalent")
        if placeholder.hazard:
            hazards.append(placeholder.hazard)
        message.append(placeholder.text)
        args.append(what)
        used.append(value)
    same_order = [id(v) for v in used] == [id(v) for v in call_order]
    if not same_order and not all(_is_inert(v) for v in call_order):
        return Withheld("the fields use the arguments in another order or more than once: "
                        "lazy arguments would evaluate them differently")
    return LazyMessage("".join(message), args, hazards)


def lazy_from_percent(node: ast.BinOp, document, kinds: KindResolver) -> LazyMessage | Withheld:
    """``"a %s" % (x,)`` -> ("a %s", ["x"]).  The same ``%`` operator formats the
    text, so only two things can differ: a right side that may be a tuple (or
    mapping) is one value lazily, and a value a numeric placeholder cannot take
    raises in the task eagerly but only inside the logging handler lazily."""
    template = _const_str(node.left)
    if template is None or not isinstance(node.op, ast.Mod):
        return Withheld("the template is not a literal")
    fields = percent_fields(template)
    if fields is None:
        return Withheld("the template uses `%(key)s` or `*` widths")
    right = node.right
    if isinstance(right, ast.Tuple):
        if any(isinstance(e, ast.Starred) for e in right.elts):
            return Withheld("the arguments are unpacked with `*`")
        values = right.elts
    elif kinds.kind(right).name is not None:
        values = [right]
    else:
        return Withheld(f"`{_arg_source(document, right)}` may hold a tuple or a mapping: "
                        "as one lazy argument it would format differently")
    if len(values) != len(fields):
        return Withheld("the template and its arguments do not match")
    hazards = [f"`{_arg_source(document, value)}` may not be a value `%{f.type}` formats: the error would be "
               "reported by the logging handler instead of raised in the task"
               for f, value in zip(fields, values) if not percent_accepts(f.type, kinds.kind(value))]
    return LazyMessage(template, [_arg_source(document, v) for v in values], hazards)


def lazy_form(message: ast.expr, document, kinds: KindResolver,
              python_version: tuple[int, int]) -> LazyMessage | Withheld:
    if isinstance(message, ast.JoinedStr):
        return lazy_from_fstring(message, document, kinds, python_version)
    if isinstance(message, ast.BinOp):
        return lazy_from_percent(message, document, kinds)
    if isinstance(message, ast.Call):
        return lazy_from_format_call(message, document, kinds, python_version)
    return Withheld("the message is not a literal template")


def is_eager_message(message: ast.AST | None) -> bool:
    if isinstance(message, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in message.values)
    if isinstance(message, ast.BinOp):
        return isinstance(message.op, ast.Mod) and _const_str(message.left) is not None
    if isinstance(message, ast.Call):
        return isinstance(message.func, ast.Attribute) and message.func.attr == "format" \
            and _const_str(message.func.value) is not None
    return False


def argument_span(document, call: ast.Call, argument: ast.AST) -> tuple[int, int]:
    """The source span of ``argument`` of ``call`` including redundant parentheses
    around it (``f((x))``): a replacement by several arguments must not stay
    inside them, or it becomes a tuple."""
    start, end = document.node_range(argument)
    _, func_end = document.node_range(call.func)
    text = document.text
    open_paren = text.find("(", func_end)
    while True:
        before = start - 1
        while before > open_paren and text[before] in " \t\r\n\\":
            before -= 1
        after = end
        while after < len(text) and text[after] in " \t\r\n\\":
            after += 1
        if before > open_paren and text[before] == "(" and after < len(text) and text[after] == ")":
            start, end = before, after + 1
            continue
        return start, end


def lazy_edit(document, call: ast.Call, message: ast.expr, lazy: LazyMessage) -> Edit:
    """Replace ``message`` (and its redundant parentheses) by the lazy message literal and its arguments."""
    start, end = argument_span(document, call, message)
    quote = quote_of(document.text[document.node_range(message)[0]:document.node_range(message)[1]])
    return Edit(start, end, ", ".join([string_literal(lazy.text, quote), *lazy.args]))


def closing_quote_offset(document, literal: ast.AST) -> int | None:
    """Offset of the closing quote(s) of a (last) string literal, to insert text before it."""
    start, end = document.node_range(literal)
    source = document.text[start:end]
    for quote in ('"""', "'''", '"', "'"):
        if source.endswith(quote) and len(source) >= 2 * len(quote):
            return end - len(quote)
    return None


def insert_keyword_edit(document, call: ast.Call, text: str) -> Edit:
    """Insert ``text`` (e.g. ``exc_info=True``) as the last argument of ``call``."""
    last = None
    for node in [*call.args, *(k.value for k in call.keywords)]:
        if last is None or (node.end_lineno, node.end_col_offset) > (last.end_lineno, last.end_col_offset):
            last = node
    if last is None:
        _, end = document.node_range(call)
        return Edit(end - 1, end - 1, text)
    _, end = document.node_range(last)
    return Edit(end, end, ", " + text)


def insert_positional_edit(document, call: ast.Call, text: str) -> Edit | None:
    """Insert ``text`` after the last positional argument of ``call``."""
    if not call.args or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    _, end = document.node_range(call.args[-1])
    return Edit(end, end, ", " + text)


# -- except handlers (LIME301, shared with LIME304) -------------------------------
@dataclass
class HandlerVerdict:
    handler: ast.ExceptHandler
    function: ast.AST
    logs: list[LogCall] = field(default_factory=list)  # log calls without the exception details, one per path
    prints: list[LogCall] = field(default_factory=list)  # print(e) / traceback.print_exc()
    swallow: ast.stmt | None = None  # the pass / continue of a handler that only swallows


def _is_broad(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type
    if kinds is None:
        return True
    elements = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
    return any((dotted(e) or "").split(".")[-1] in BROAD_EXCEPTIONS for e in elements)


IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def guards_optional_import(index: SyntaxIndex, handler: ast.ExceptHandler, function: ast.AST) -> bool:
    """True for ``except ImportError:`` (or ``ModuleNotFoundError``, nothing
    broader) of a ``try`` whose body imports (``import``, ``from ... import``,
    ``importlib.import_module(...)``, ``__import__(...)``): the error is the
    expected answer to "is the optional module there?", its traceback says
    nothing more."""
    kinds = handler.type
    parent = index.parent(handler)
    if kinds is None or not isinstance(parent, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        return False
    elements = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
    if not elements or any((dotted(e) or "").split(".")[-1] not in IMPORT_ERRORS for e in elements):
        return False
    for node in (n for stmt in parent.body for n in [stmt, *_own_nodes_under(index, function, stmt)]):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return True
        if isinstance(node, ast.Call) and call_name(node) in ("import_module", "__import__"):
            return True
    return False


def _own_nodes_under(index: SyntaxIndex, function: ast.AST, owner: ast.AST) -> list[ast.AST]:
    """The nodes of ``function``'s own code (no nested def/class/lambda) inside ``owner``."""
    return [n for n in index.own_nodes(function) if n is not owner and index.contains(owner, n)]


def handler_verdicts(ctx) -> list[HandlerVerdict]:
    """Except handlers that lose the exception's details (cached on the context)."""
    cached = getattr(ctx, "_lime_handler_verdicts", None)
    if cached is not None:
        return cached
    model = logging_model(ctx)
    calls_by_handler: dict[int, list[LogCall]] = {}
    for call in model.calls:
        if call.handler is not None:
            calls_by_handler.setdefault(id(call.handler), []).append(call)
    verdicts: list[HandlerVerdict] = []
    index = model.index
    for handler, function in model.handlers:
        calls = sorted(calls_by_handler.get(id(handler), []), key=lambda c: (c.node.lineno, c.node.col_offset))
        log_calls = [c for c in calls if c.is_log]
        if guards_optional_import(index, handler, function):
            continue  # an expected ImportError: the message is the whole story (prints are LIME304's)
        nodes = _own_nodes_under(index, function, handler)
        if any(isinstance(n, ast.Raise) for n in nodes):
            continue  # the exception goes on: whoever catches it logs it
        call_ids = {id(n) for c in calls for n in ast.walk(c.node)}
        if handler.name and any(isinstance(n, ast.Name) and n.id == handler.name and id(n) not in call_ids
                                for n in nodes):
            continue  # the exception is kept, returned or reported elsewhere
        verdict = HandlerVerdict(handler, function)
        # A call "covers" another when both run in the same pass through a block:
        # each branch of the handler needs its own traceback, and gets one fix.
        detailed = [c for c in log_calls if c.has_exc_info]
        for call in log_calls:
            if call.level == "debug" or call.has_exc_info:
                continue
            if not any(_covers(index, other.node, call.node) for other in detailed + verdict.logs):
                verdict.logs.append(call)
        verdict.prints = [c for c in calls if c.level in ("print", "print_exc") and not any(
            _covers(index, other.node, c.node) for other in detailed + verdict.logs)]
        if not calls and _is_broad(handler) and all(
                isinstance(s, (ast.Pass, ast.Continue)) or (isinstance(s, ast.Expr) and isinstance(
                    s.value, ast.Constant)) for s in handler.body):
            verdict.swallow = next((s for s in handler.body if isinstance(s, (ast.Pass, ast.Continue))), None)
        if verdict.logs or verdict.prints or verdict.swallow:
            verdicts.append(verdict)
    try:
        ctx._lime_handler_verdicts = verdicts
    except AttributeError:  # pragma: no cover
        pass
    return verdicts


def _covers(index: SyntaxIndex, first: ast.AST, other: ast.AST) -> bool:
    """Whether ``other`` runs only in a pass through the block that runs ``first``'s
    statement (both lie on one path of the handler)."""
    statement = index.statement_of(first)
    found = index.block_of(statement) if statement is not None else None
    if found is None:
        return False
    block = found[2]
    return any(any(item is ancestor for item in block)
               for ancestor in [other, *index.ancestors(other)] if isinstance(ancestor, ast.stmt))


def handler_loops(model: LoggingModel, handler: ast.ExceptHandler, function: ast.AST) -> list[ast.AST]:
    """The for/while loops of ``function`` that enclose ``handler``, innermost last."""
    return list(_loops_of(model.index, handler))


# -- print -> log ------------------------------------------------------------------
PRINT_KEYWORDS = {"sep", "end", "file", "flush"}


def print_stream(call: ast.Call) -> str | None:
    """``"stdout"`` / ``"stderr"`` for a ``print`` to the console, None for a print to a file."""
    stream = next((k.value for k in call.keywords if k.arg == "file"), None)
    if stream is None or (isinstance(stream, ast.Constant) and stream.value is None):
        return "stdout"
    target = dotted(stream)
    return {"sys.stdout": "stdout", "sys.stderr": "stderr"}.get(target or "")


def _module_continues_lines(ctx) -> bool:
    """Whether a ``print`` of the module ends with something other than a newline."""
    cached = getattr(ctx, "_lime_continued_lines", None)
    if cached is None:
        cached = any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
                     and any(k.arg == "end" and not (isinstance(k.value, ast.Constant)
                                                     and k.value.value in (None, "\n"))
                             for k in node.keywords)
                     for node in nodes_of(ctx.tree, ast.Call))
        ctx._lime_continued_lines = cached
    return cached


def print_as_log(ctx, call: ast.Call) -> LazyMessage | Withheld:
    """The lazy log message writing the same text as ``print(...)`` (without its
    line ending): constant text inline, every other argument a ``%s`` argument
    in the same order (``print`` applies ``str()`` to each, so does ``%s``)."""
    if any(k.arg not in PRINT_KEYWORDS for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
        return Withheld("the print unpacks arguments or takes keywords a log call has not")
    if _module_continues_lines(ctx):
        # `print(..., end="")` continues its line with whatever prints next: turning
        # either print into a record would lose that text or split the line in two.
        return Withheld("a print in this module does not end its line with a newline (`end=`)")
    separator = next((k.value for k in call.keywords if k.arg == "sep"), None)
    sep = " " if separator is None or (isinstance(separator, ast.Constant) and separator.value is None) \
        else _const_str(separator)
    if sep is None:
        return Withheld("the separator is not a literal")
    document = ctx.document
    kinds = kind_resolver(ctx)
    parts: list[tuple[str, list[str]]] = []  # (template part, arguments); None args: constant text
    constants: list[str | None] = []
    for arg in call.args:
        text = _const_str(arg)
        if text is not None:
            parts.append((text, []))
            constants.append(text)
            continue
        constants.append(None)
        if isinstance(arg, ast.JoinedStr):
            lazy = lazy_from_fstring(arg, document, kinds, ctx.settings.python_version)
            if isinstance(lazy, LazyMessage) and not lazy.hazards:
                parts.append((lazy.text, lazy.args))
                continue
        parts.append(("%s", [source_of(document, arg)]))
    args = [a for _, part_args in parts for a in part_args]
    if not args:
        return LazyMessage(sep.join(c or "" for c in constants), [])
    texts = [text.replace("%", "%%") if constant is not None else text
             for (text, _), constant in zip(parts, constants)]
    return LazyMessage(sep.replace("%", "%%").join(texts), args)


def is_standalone_script(tree: ast.Module, text: str = "") -> bool:
    """A module that is a program of its own, not Lime task code: it runs under
    ``if __name__ == "__main__":`` or its ``text`` starts with a ``#!`` line,
    and it imports nothing from Lime (``lime_*``, ``limepkg_*``, ``limeplug_*``)
    nor relatively from a package."""
    for node in nodes_of(tree, ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0].startswith("lime") for a in node.names):
            return False
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0].startswith("lime")):
            return False
    return text.lstrip("\ufeff").startswith("#!") or any(
        isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare)
               and isinstance(stmt.test.left, ast.Name) and stmt.test.left.id == "__name__"
               and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in stmt.test.comparators)
               for stmt in tree.body)
