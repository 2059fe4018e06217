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
from typing import Iterator

from .edits import Edit, LineIndex, _import_anchor, import_edit, with_newline

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
})
#: ...or its last two words are one of these pairs.
SECRET_PAIRS = frozenset({
    ("api", "key"), ("private", "key"), ("session", "key"), ("secret", "key"), ("access", "key"),
    ("signing", "key"), ("encryption", "key"), ("client", "secret"), ("auth", "header"),
    ("session", "id"), ("sas", "key"), ("subscription", "key"), ("app", "key"), ("master", "key"),
})
#: Words that may follow the head noun without changing what the value is
#: (``password_value``, ``x-api-key`` header, ``token_str``).
SECRET_MODIFIERS = frozenset({"value", "val", "str", "string", "text", "raw", "plain", "header", "b64",
                              "base64", "encoded", "bytes", "data"})
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
    if words[-1] in SECRET_WORDS:
        return True
    return len(words) >= 2 and (words[-2], words[-1]) in SECRET_PAIRS


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
class FunctionScope:
    node: ast.AST
    loggers: set[str] = field(default_factory=set)
    #: Names bound in the function (parameters, assignments, loops, handlers, imports).
    bound: set[str] = field(default_factory=set)


@dataclass
class LoggingModel:
    logging_names: set[str]  # names bound to the logging module (``logging``, ``lg``)
    module_loggers: set[str]
    attribute_loggers: set[str]  # ``self.<attr>`` loggers
    calls: list[LogCall]
    scopes: dict[int, FunctionScope]  # id(function node) -> scope
    module_bound: set[str]
    handlers: list[tuple[ast.ExceptHandler, ast.AST]]  # (handler, function)
    parents: dict[int, ast.AST]
    loop_targets: dict[int, ast.AST]

    def module_logger(self) -> str | None:
        """The name of the module-level logger, preferring ``logger``."""
        for name in ("logger", "log", "LOGGER", "_logger", "_log"):
            if name in self.module_loggers:
                return name
        return min(self.module_loggers) if self.module_loggers else None

    def calls_in(self, function: ast.AST) -> Iterator[LogCall]:
        return (c for c in self.calls if c.function is function)


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


def _is_getlogger(value: ast.AST | None, logging_names: set[str], getlogger_names: set[str],
                  loggers: set[str]) -> bool:
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Name) and func.id in getlogger_names:
        return True
    if isinstance(func, ast.Attribute):
        if func.attr in ("getLogger", "LoggerAdapter") and isinstance(func.value, ast.Name) \
                and func.value.id in logging_names:
            return True
        if func.attr == "getChild" and _is_getlogger(func.value, logging_names, getlogger_names, loggers):
            return True
        if func.attr == "getChild" and isinstance(func.value, ast.Name) and func.value.id in loggers:
            return True
    return False


def _module_binds_logger(tree: ast.Module, name: str) -> bool | None:
    """True/False when ``tree`` binds ``name`` at top level by getLogger / otherwise; None when absent."""
    logging_names, getlogger_names = _logging_imports(tree)
    found: bool | None = None
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                found = _is_getlogger(stmt.value, logging_names, getlogger_names, set())
    return found


def _logging_imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    logging_names: set[str] = set()
    getlogger_names: set[str] = set()
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name == "logging":
                    logging_names.add(alias.asname or "logging")
        elif isinstance(stmt, ast.ImportFrom) and stmt.module == "logging" and not stmt.level:
            for alias in stmt.names:
                if alias.name == "getLogger":
                    getlogger_names.add(alias.asname or alias.name)
    return logging_names, getlogger_names


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


class _Walker:
    """One walk of the module collecting loggers, log calls and except handlers."""

    def __init__(self, model: LoggingModel, getlogger_names: set[str]) -> None:
        self.model = model
        self.getlogger_names = getlogger_names

    def is_logger_expr(self, node: ast.AST, scope: FunctionScope | None) -> bool:
        if isinstance(node, ast.Name):
            if scope is not None and node.id in scope.loggers:
                return True
            if scope is not None and node.id in scope.bound and node.id not in self.model.logging_names:
                return False  # a local that shadows the module logger with something else
            return node.id in self.model.module_loggers or node.id in self.model.logging_names
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            return node.attr in self.model.attribute_loggers
        return _is_getlogger(node, self.model.logging_names, self.getlogger_names, self.model.module_loggers)

    def walk(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.visit(stmt, None, None, ())

    def visit(self, node: ast.AST, function, handler, loops) -> None:
        model = self.model
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for child in ast.iter_child_nodes(node.args):
                self.visit(child, function, handler, loops)
            if not isinstance(node, ast.Lambda):
                for decorator in node.decorator_list:
                    self.visit(decorator, function, handler, loops)
            scope = self._scope_for(node)
            body = node.body if isinstance(node.body, list) else [node.body]
            for child in body:
                self._link(child, node)
                self.visit(child, node if not isinstance(node, ast.Lambda) else function, None, ())
            _ = scope
            return
        if isinstance(node, ast.Call):
            self._record_call(node, function, handler, loops)
        if isinstance(node, ast.ExceptHandler) and function is not None:
            model.handlers.append((node, function))
            for child in ast.iter_child_nodes(node):
                self._link(child, node)
                self.visit(child, function, node, loops)
            return
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            for name, value in ast.iter_fields(node):
                children = value if isinstance(value, list) else [value]
                for child in children:
                    if isinstance(child, ast.AST):
                        self._link(child, node)
                        inner = loops + (node,) if name == "body" else loops
                        self.visit(child, function, handler, inner)
            return
        for child in ast.iter_child_nodes(node):
            self._link(child, node)
            self.visit(child, function, handler, loops)

    def _link(self, child: ast.AST, parent: ast.AST) -> None:
        self.model.parents[id(child)] = parent

    def _scope_for(self, node: ast.AST) -> FunctionScope:
        scope = self.model.scopes.get(id(node))
        if scope is None:
            scope = FunctionScope(node)
            self.model.scopes[id(node)] = scope
        return scope

    def _record_call(self, node: ast.Call, function, handler, loops) -> None:
        func = node.func
        scope = self.model.scopes.get(id(function)) if function is not None else None
        level: str | None = None
        if isinstance(func, ast.Attribute) and func.attr in LEVELS and self.is_logger_expr(func.value, scope):
            level = func.attr
        elif isinstance(func, ast.Name) and func.id == "print" and (scope is None or "print" not in scope.bound):
            level = "print"
        elif isinstance(func, ast.Attribute) and func.attr in ("print_exc", "print_exception") \
                and isinstance(func.value, ast.Name) and func.value.id == "traceback":
            level = "print_exc"
        if level is not None:
            self.model.calls.append(LogCall(node, level, function, handler, tuple(loops)))


def _function_bindings(func: ast.AST, logging_names: set[str], getlogger_names: set[str],
                       module_loggers: set[str]) -> FunctionScope:
    scope = FunctionScope(func)
    args = func.args  # type: ignore[attr-defined]
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if arg is not None:
            scope.bound.add(arg.arg)
    stack = list(func.body) if isinstance(func.body, list) else [func.body]  # type: ignore[attr-defined]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope.bound.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            scope.bound.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                scope.bound.add((alias.asname or alias.name).split(".")[0])
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if _is_getlogger(node.value, logging_names, getlogger_names, module_loggers):
                scope.loggers.update(t.id for t in targets if isinstance(t, ast.Name))
        stack.extend(ast.iter_child_nodes(node))
    return scope


def build_logging_model(tree: ast.Module, path: str | None = None, workspace=None) -> LoggingModel:
    logging_names, getlogger_names = _logging_imports(tree)
    module_loggers: set[str] = set()
    module_bound: set[str] = set()
    attribute_loggers: set[str] = set()
    used_as_logger: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if _is_getlogger(stmt.value, logging_names, getlogger_names, module_loggers):
                module_loggers.update(t.id for t in targets if isinstance(t, ast.Name))
    functions: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LEVELS \
                and isinstance(node.func.value, ast.Name):
            used_as_logger.add(node.func.value.id)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute) \
                and isinstance(node.targets[0].value, ast.Name) and node.targets[0].value.id in ("self", "cls") \
                and _is_getlogger(node.value, logging_names, getlogger_names, module_loggers):
            attribute_loggers.add(node.targets[0].attr)
    for stmt in tree.body:
        for node in ast.walk(stmt) if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                else [stmt]:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                module_bound.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                module_bound.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    module_bound.add((alias.asname or alias.name).split(".")[0])
    module_loggers |= _imported_loggers(tree, path, workspace, used_as_logger - module_loggers)
    model = LoggingModel(logging_names, module_loggers, attribute_loggers, [], {}, module_bound, [], {}, {})
    for func in functions:
        model.scopes[id(func)] = _function_bindings(func, logging_names, getlogger_names, module_loggers)
    _Walker(model, getlogger_names).walk(tree.body)
    return model


# -- adding a logger -------------------------------------------------------------
def ensure_logger(ctx_or_doc, model: LoggingModel) -> tuple[str, list[Edit]]:
    """The module logger's name and the edits that create it when the module has
    none: ``import logging`` (via :func:`import_edit`) and
    ``logger = logging.getLogger(__name__)`` after the imports."""
    document = getattr(ctx_or_doc, "document", ctx_or_doc)
    existing = model.module_logger()
    if existing is not None:
        return existing, []
    text, tree, newline = document.text, document.tree, document.newline
    name = "logger" if "logger" not in model.module_bound else "_task_logger"
    logging_name = next(iter(sorted(model.logging_names)), None)
    edits: list[Edit] = []
    if logging_name is None:
        logging_name = "logging"
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
                       "copy", "replace", "format_map", "items", "values"}
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


def _body_nodes(body) -> list[ast.AST]:
    """``body`` as a list of nodes: a function's statements, a lambda's single
    expression (``lambda x: x.a`` has ``body = Attribute``) or nothing."""
    if body is None:
        return []
    if isinstance(body, ast.AST):
        return [body]
    return [node for node in body if isinstance(node, ast.AST)]


def _ordered_bindings(body: list[ast.stmt] | ast.AST) -> list[ast.AST]:
    nodes = []
    stack = _body_nodes(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.Call)):
            nodes.append(node)
        stack.extend(ast.iter_child_nodes(node))
    nodes.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    return nodes


def _first_name(parts: list[SecretPart]) -> str:
    return parts[0].name.split("`")[0]


def taint(body: list[ast.stmt] | ast.AST, inherited: dict[str, str] | None = None) -> dict[str, str]:
    """Names whose value was built from a credential in ``body``: name -> the credential.

    ``headers = {"Authorization": token}`` taints ``headers``; so do
    ``headers["Authorization"] = token`` and ``headers.update(token=...)``.

    ``body`` is a function's statements or a lambda's expression.
    """
    tainted = dict(inherited or {})
    bindings = _ordered_bindings(body)
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
_SPEC_RE = re.compile(r"^([-+ 0#]?)(\d*)(\.\d+)?([dfFeEgGxXo])$")


def _percent_spec(conversion: int, spec: ast.AST | None) -> str | None:
    """The ``%`` placeholder equal to an f-string field, or None when there is none."""
    spec_text = ""
    if spec is not None:
        if not isinstance(spec, ast.JoinedStr) or not all(isinstance(v, ast.Constant) for v in spec.values):
            return None
        spec_text = "".join(str(v.value) for v in spec.values)
    if conversion not in (-1, ord("s"), ord("r"), ord("a")):
        return None
    if spec_text:
        if conversion != -1 or _SPEC_RE.match(spec_text) is None:
            return None
        return "%" + spec_text
    return {ord("r"): "%r", ord("a"): "%a"}.get(conversion, "%s")


def _arg_source(document, node: ast.AST) -> str:
    return source_of(document, node) if document is not None else ast.unparse(node)


def lazy_from_fstring(node: ast.JoinedStr, document=None) -> tuple[str, list[str]] | None:
    """(message text, argument sources) of the lazy form of an f-string."""
    message: list[str] = []
    args: list[str] = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            message.append(str(value.value).replace("%", "%%"))
        elif isinstance(value, ast.FormattedValue):
            placeholder = _percent_spec(value.conversion, value.format_spec)
            if placeholder is None:
                return None
            message.append(placeholder)
            args.append(_arg_source(document, value.value))
        else:
            return None
    return "".join(message), args


def lazy_from_format_call(node: ast.Call, document=None) -> tuple[str, list[str]] | None:
    """``"a {} b {x}".format(1, x=2)`` -> ("a %s b %s", ["1", "2"])."""
    import string

    template = _const_str(node.func.value) if isinstance(node.func, ast.Attribute) else None
    if template is None or any(isinstance(a, ast.Starred) for a in node.args) \
            or any(k.arg is None for k in node.keywords):
        return None
    keywords = {k.arg: k.value for k in node.keywords}
    message: list[str] = []
    args: list[str] = []
    auto = 0
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, field_name, spec, conversion in parsed:
        message.append(literal.replace("%", "%%"))
        if field_name is None:
            continue
        if field_name == "":
            if auto >= len(node.args):
                return None
            value = node.args[auto]
            auto += 1
        elif field_name.isdigit() and int(field_name) < len(node.args):
            value = node.args[int(field_name)]
        elif field_name in keywords:
            value = keywords[field_name]
        else:
            return None
        conv = ord(conversion) if conversion else -1
        spec_node = ast.JoinedStr([ast.Constant(spec)]) if spec else None
        placeholder = _percent_spec(conv, spec_node)
        if placeholder is None:
            return None
        message.append(placeholder)
        args.append(_arg_source(document, value))
    return "".join(message), args


def lazy_from_percent(node: ast.BinOp, document=None) -> tuple[str, list[str]] | None:
    """``"a %s" % (x,)`` -> ("a %s", ["x"]); None when the right side may be a tuple or mapping."""
    template = _const_str(node.left)
    if template is None or not isinstance(node.op, ast.Mod) or "%(" in template:
        return None
    right = node.right
    if isinstance(right, ast.Tuple):
        if any(isinstance(e, ast.Starred) for e in right.elts):
            return None
        values = right.elts
    elif isinstance(right, ast.Attribute) or (isinstance(right, ast.Constant) and isinstance(right.value, (str, int, float))) \
            or isinstance(right, (ast.JoinedStr, ast.BinOp)) \
            or (isinstance(right, ast.Call) and call_name(right) in ("len", "str", "int", "float", "repr", "round")):
        values = [right]
    else:
        return None  # a name or call may hold a tuple or a dict: the meaning could change
    return template, [_arg_source(document, v) for v in values]


def lazy_form(message: ast.expr, document=None) -> tuple[str, list[str]] | None:
    if isinstance(message, ast.JoinedStr):
        return lazy_from_fstring(message, document)
    if isinstance(message, ast.BinOp):
        return lazy_from_percent(message, document)
    if isinstance(message, ast.Call):
        return lazy_from_format_call(message, document)
    return None


def is_eager_message(message: ast.AST | None) -> bool:
    if isinstance(message, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in message.values)
    if isinstance(message, ast.BinOp):
        return isinstance(message.op, ast.Mod) and _const_str(message.left) is not None
    if isinstance(message, ast.Call):
        return isinstance(message.func, ast.Attribute) and message.func.attr == "format" \
            and _const_str(message.func.value) is not None
    return False


def lazy_edit(document, message: ast.expr, lazy: tuple[str, list[str]]) -> Edit:
    """Replace ``message`` by the lazy message literal and its arguments."""
    start, end = document.node_range(message)
    quote = quote_of(document.text[start:end])
    text, args = lazy
    return Edit(start, end, ", ".join([string_literal(text, quote), *args]))


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
    log: LogCall | None = None  # a log call without the exception details
    prints: list[LogCall] = field(default_factory=list)  # print(e) / traceback.print_exc()
    swallow: ast.stmt | None = None  # the pass / continue of a handler that only swallows


def _is_broad(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type
    if kinds is None:
        return True
    elements = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
    return any((dotted(e) or "").split(".")[-1] in BROAD_EXCEPTIONS for e in elements)


IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def guards_optional_import(handler: ast.ExceptHandler, parent: ast.AST | None) -> bool:
    """True for ``except ImportError:`` (or ``ModuleNotFoundError``, nothing
    broader) of a ``try`` whose body imports (``import``, ``from ... import``,
    ``importlib.import_module(...)``, ``__import__(...)``): the error is the
    expected answer to "is the optional module there?", its traceback says
    nothing more."""
    kinds = handler.type
    if kinds is None or not isinstance(parent, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        return False
    elements = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
    if not elements or any((dotted(e) or "").split(".")[-1] not in IMPORT_ERRORS for e in elements):
        return False
    for node in _own_walk(list(parent.body)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return True
        if isinstance(node, ast.Call) and call_name(node) in ("import_module", "__import__"):
            return True
    return False


def _own_walk(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


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
    for handler, function in model.handlers:
        calls = sorted(calls_by_handler.get(id(handler), []), key=lambda c: (c.node.lineno, c.node.col_offset))
        log_calls = [c for c in calls if c.is_log]
        if any(c.has_exc_info for c in log_calls):
            continue
        if guards_optional_import(handler, model.parents.get(id(handler))):
            continue  # an expected ImportError: the message is the whole story (prints are LIME304's)
        nodes = list(_own_walk(list(handler.body)))
        if any(isinstance(n, ast.Raise) for n in nodes):
            continue  # the exception goes on: whoever catches it logs it
        call_ids = {id(n) for c in calls for n in ast.walk(c.node)}
        if handler.name and any(isinstance(n, ast.Name) and n.id == handler.name and id(n) not in call_ids
                                for n in nodes):
            continue  # the exception is kept, returned or reported elsewhere
        verdict = HandlerVerdict(handler, function)
        errors = [c for c in log_calls if c.level != "debug"]
        if errors:
            verdict.log = errors[0]
        else:
            verdict.prints = [c for c in calls if c.level in ("print", "print_exc")]
            if not verdict.prints and not log_calls and _is_broad(handler) and all(
                    isinstance(s, (ast.Pass, ast.Continue)) or (isinstance(s, ast.Expr) and isinstance(
                        s.value, ast.Constant)) for s in handler.body):
                verdict.swallow = next((s for s in handler.body if isinstance(s, (ast.Pass, ast.Continue))), None)
        if verdict.log or verdict.prints or verdict.swallow:
            verdicts.append(verdict)
    try:
        ctx._lime_handler_verdicts = verdicts
    except AttributeError:  # pragma: no cover
        pass
    return verdicts


def enclosing_loop_of(call_or_loops) -> ast.AST | None:
    loops = call_or_loops.loops if isinstance(call_or_loops, LogCall) else call_or_loops
    return loops[-1] if loops else None


def handler_loops(model: LoggingModel, handler: ast.ExceptHandler, function: ast.AST) -> list[ast.AST]:
    """The for/while loops of ``function`` that enclose ``handler``, innermost last."""
    loops: list[ast.AST] = []
    node = model.parents.get(id(handler))
    while node is not None and node is not function:
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            loops.append(node)
        node = model.parents.get(id(node))
    return list(reversed(loops))
