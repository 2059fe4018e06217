"""The workspace's import table: which file a module name, or a name imported
from a module, is defined in, read from syntax trees only.

Every import form resolves: ``import pkg.mod``, ``import pkg.mod as m``,
``from pkg.mod import f``, ``from . import m``, ``from ..mod import f``, and
names re-exported by a package's ``__init__.py`` (followed through any number
of re-exports, up to :data:`MAX_HOPS`).

An absolute module name is looked up, in order, in:

1. the *package root* of the importing file: the folder above its top-most
   package (the folder ``sys.path`` holds when that package is imported),
2. the workspace roots and their ``src/`` folders,
3. the site-packages folders of the analysed environment (and the folders
   their ``.pth`` files name), read only: source files are parsed, nothing is
   imported or run.

The answers are deterministic: they depend only on the files, never on time.
Work is bounded by size instead: files larger than :data:`MAX_FILE_BYTES` are
not read, and cross-module summaries nest at most :data:`MAX_DEPTH` modules
deep.  Lime platform modules (``lime_*``) are never resolved; the model knows
them by name.  ``None`` always means "unknown" (not found, too large, a cycle),
never "harmless".
"""

from __future__ import annotations

import ast
import os
import re
import sys
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from . import dependencies

if TYPE_CHECKING:  # pragma: no cover
    from .model import FunctionInfo, LimeModel, Role, Summary

#: Files larger than this are not parsed (generated code, vendored bundles).
MAX_FILE_BYTES = 1_000_000
#: Re-export hops followed for one name (``__init__`` importing from a module that imports ...).
MAX_HOPS = 8
#: Modules a cross-module summary may pass through (A calls B's helper, which calls C's ...).
MAX_DEPTH = 3
#: Workspace files read to find the callers of a module's functions (in path order).
MAX_CALLER_FILES = 200
#: Python files of the workspace considered at all (a home folder opened as the workspace).
MAX_WORKSPACE_FILES = 5000

#: Folders never searched for workspace modules.
_SKIPPED_FOLDERS = {"__pycache__", "node_modules", "site-packages", "venv", "build", "dist"}
#: Top-level names of the standard library: never looked up (the interpreter finds
#: them before any workspace or site-packages folder for an installed package).
_STANDARD_LIBRARY = frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset(sys.builtin_module_names)


@dataclass(frozen=True)
class Target:
    """What a dotted name refers to.

    ``kind``: ``"module"`` (``qualname`` is ``""``), ``"function"`` or
    ``"class"`` (``qualname`` like ``"helper"`` or ``"Deal.after_update"``:
    the key of :attr:`LimeModel.functions` for a function).
    ``path``: the absolute path of the file that defines it.
    """

    kind: str
    path: str
    qualname: str = ""


class ModuleIndex:
    """Resolves module names and imported names to files of the workspace or of
    installed packages.  Thread-safe; answers are cached per file version.

    ``roots``: the workspace folders.  ``environment_path``: the analysed
    Python environment (a virtual environment's folder); without one, a
    ``.venv`` or ``venv`` folder in a root is used when present.
    ``site_packages``: extra package folders (tests, explicit settings).
    ``source(path) -> ast.Module | None``: the shared tree cache (the
    workspace's, so unsaved editor text wins); by default files are parsed here
    and cached per modification time and size.
    """

    def __init__(self, roots: Iterable[str | Path], *, environment_path: str | None = None,
                 site_packages: Iterable[str | Path] = (),
                 source: Callable[[str], ast.Module | None] | None = None, callers: bool = True) -> None:
        self.roots = [Path(r).resolve() for r in roots]
        #: Whether ``incoming_roles`` searches the roots for callers (off when the
        #: root is only a guess: a file analysed without a workspace).
        self.callers = callers
        self.environment_path = environment_path
        self._extra_site = [Path(p).resolve() for p in site_packages]
        self._source = source
        self._lock = threading.RLock()
        #: path -> (stamp, tree, content digest once a recording asked for it)
        self._trees: dict[str, tuple[object, ast.Module | None, str | None]] = {}
        self._imports: dict[str, tuple[weakref.ref, dict[str, str]]] = {}
        self._models: dict[tuple, tuple[ast.Module, "LimeModel | None"]] = {}
        self._site: list[Path] | None = None
        #: The workspace's Python files (computed once; see ``changed``).
        self._workspace_files: list[str] | None = None
        #: (path, stamp) -> the words of the file's text
        self._mentions: dict[tuple, frozenset[str]] = {}
        #: (importer's folder, qualified name) -> (target, (file, stamp) of the files read)
        self._resolved: dict[tuple[str, str], tuple[Target | None, tuple]] = {}
        self._real_paths: dict[str, str] = {}
        #: path -> (tree, the calls it makes of other modules' functions with Lime roles)
        self._calls_out: dict[str, tuple[weakref.ref, list]] = {}
        #: (search roots, module parts) -> what ``_search`` answered; see ``changed``
        self._located: dict[tuple, tuple] = {}
        self._local = threading.local()

    # -- files -----------------------------------------------------------------------
    def tree(self, path: str) -> ast.Module | None:
        """The syntax tree of ``path``, or None when it cannot be read or is too large."""
        path = self._real(path)
        if self._source is not None:
            try:
                if os.path.getsize(path) > MAX_FILE_BYTES:
                    # Not read, so no digest: a cached result that read "nothing" here
                    # is never taken for valid (the file may shrink below the limit).
                    dependencies.note_file(path, "too large to read")
                    return None
            except OSError:
                pass  # an unsaved editor buffer: the source callable knows it
            return self._source(path)  # the workspace notes the read
        try:
            stat = os.stat(path)
        except OSError:
            dependencies.note_file(path, "missing")
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._trees.get(path)
        if cached is None or cached[0] != stamp:
            tree: ast.Module | None = None
            if stat.st_size <= MAX_FILE_BYTES:
                try:
                    tree = ast.parse(Path(path).read_bytes())
                except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
                    tree = None
            cached = (stamp, tree, None)
        if dependencies.active():
            if cached[2] is None:  # the digest once per file version, when a recording wants it
                cached = (stamp, cached[1], dependencies.file_digest(path))
            dependencies.note_file(path, cached[2])
        with self._lock:
            self._trees[path] = cached
        return cached[1]

    def site_packages(self) -> list[Path]:
        """The package folders of the analysed environment (computed once)."""
        with self._lock:
            if self._site is not None:
                return self._site
        found: list[Path] = list(self._extra_site)
        environments = [Path(self.environment_path)] if self.environment_path else [
            root / name for root in self.roots for name in (".venv", "venv")]
        for env in environments:
            if env.is_file():  # an interpreter path: its environment is two levels up
                env = env.parent.parent
            candidates = [*env.glob("lib/python3*/site-packages"), *env.glob("lib64/python3*/site-packages"),
                          env / "Lib" / "site-packages"]
            for folder in sorted(c for c in candidates if c.is_dir()):
                found.append(folder.resolve())
                found.extend(_pth_folders(folder))
        unique = list(dict.fromkeys(found))
        with self._lock:
            self._site = unique
        return unique

    def changed(self) -> None:
        """Files were added, removed or renamed: forget where modules were found.
        (Edited files need no call: trees and models are cached per file version.)"""
        with self._lock:
            self._located.clear()
            self._resolved.clear()
            self._real_paths.clear()
            self._site = None
            self._workspace_files = None

    def search_roots(self, importer: str | None = None) -> list[Path]:
        """Folders an absolute import from ``importer`` is looked up in, in order."""
        roots: list[Path] = []
        if importer is not None:
            roots.append(package_root(Path(importer).resolve()))
        for root in self.roots:
            roots.append(root)
            if (root / "src").is_dir():
                roots.append(root / "src")
        roots.extend(self.site_packages())
        return list(dict.fromkeys(roots))

    def module_file(self, name: str, importer: str | None = None, level: int = 0) -> str | None:
        """The file of module ``name`` (``"pkg.mod"``; ``level`` leading dots make it
        relative to ``importer``'s package; ``name`` may be ``""`` then): a
        ``.py`` file or a package's ``__init__.py``; None when not found."""
        parts = [p for p in name.split(".") if p]
        found = self._locate(parts, importer, level)
        return found[0] if found is not None and found[1] == len(parts) else None

    def _locate(self, parts: list[str], importer: str | None, level: int) -> tuple[str, int] | None:
        """The file of the longest module prefix of ``parts`` and how many parts it
        took (0: ``importer``'s own package, for ``from . import x``)."""
        if level:
            if importer is None:
                return None
            base = Path(importer).resolve().parent
            for _ in range(level - 1):
                base = base.parent
            found, through, absent = self._search(parts, [base], level)
        else:
            if not parts or parts[0].startswith("lime_") or parts[0] in _STANDARD_LIBRARY:
                return None
            bases = self.search_roots(importer)
            key = (tuple(bases), tuple(parts))
            with self._lock:
                known = self._located.get(key)
            if known is None:
                known = self._search(parts, bases, 0)
                with self._lock:
                    self._located[key] = known
            found, through, absent = known
        if through is not None:  # found through a symbolic link: its target is part of the answer
            dependencies.note_answer(("realpath", through), found[0] if found else None)
        if not level and (found is None or self._unlisted(Path(found[0]).parent)):
            # Not found, or found in an environment: a site-packages folder or a
            # ``.pth`` file added later (a .venv created after the run) is searched too.
            dependencies.note_answer(("search folders",), [str(p) for p in self.site_packages()])
        for path in absent:  # a module installed there later would be found instead
            dependencies.note_file(path, "missing")
        return found

    def _search(self, parts: list[str], bases: list[Path], level: int
                ) -> tuple[tuple[str, int] | None, str | None, tuple[str, ...]]:
        """``((file, parts taken) or None, the path as found when a symbolic link led
        elsewhere, the files looked for and not found outside the workspace roots)``.

        The last: the result cache's listing covers the Python files of the roots
        only, so a module installed later in site-packages (or in a package folder
        above a root) must be noted as missing to be noticed."""
        absent: list[str] = []
        for base in bases:
            unlisted = self._unlisted(base)
            for taken in range(len(parts), 0, -1):
                folder = base.joinpath(*parts[:taken - 1])
                leaf = parts[taken - 1]
                for candidate in (folder / f"{leaf}.py", folder / leaf / "__init__.py"):
                    if candidate.is_file():
                        real = str(candidate.resolve())
                        return (real, taken), (str(candidate.absolute()) if real != str(candidate.absolute())
                                               else None), tuple(absent)
                    if unlisted:
                        absent.append(str(candidate.absolute()))
            if level:
                init = base / "__init__.py"
                if init.is_file():
                    real = str(init.resolve())
                    return (real, 0), (str(init.absolute()) if real != str(init.absolute()) else None), tuple(absent)
                if unlisted:
                    absent.append(str(init.absolute()))
        return None, None, tuple(absent)

    def _unlisted(self, base: Path) -> bool:
        """Whether module files in ``base`` are outside the workspace's file listing:
        a site-packages folder (or one a ``.pth`` file names), or a folder under no root."""
        return base in self.site_packages() or not any(base == root or root in base.parents for root in self.roots)

    # -- names -------------------------------------------------------------------------
    def imports(self, path: str) -> dict[str, str]:
        """Local name -> qualified name (relative ones keep their leading dots) of
        every import of ``path``."""
        from .model import collect_imports

        tree = self.tree(path)
        if tree is None:
            return {}
        with self._lock:
            cached = self._imports.get(path)
            if cached is not None and cached[0]() is tree:
                return cached[1]
        found = collect_imports(tree)
        with self._lock:
            self._imports[path] = (weakref.ref(tree), found)  # never what keeps a tree alive
        return found

    def _real(self, path: str) -> str:
        """``path`` made absolute with symbolic links resolved (cached: it is asked per call)."""
        real = self._real_paths.get(path)
        if real is None:
            real = self._real_paths[path] = str(Path(path).resolve())
        return real

    def resolve(self, importer: str, qualified: str) -> Target | None:
        """What ``qualified`` (as :meth:`imports` gives it: ``"pkg.mod.f"``,
        ``".common.f"``) names when imported from ``importer``; None when unknown.
        Cached per folder of the importer, checked against the modification
        times of the files the answer read."""
        importer = self._real(importer)
        key = (os.path.dirname(importer), qualified)
        with self._lock:
            cached = self._resolved.get(key)
        if cached is not None and all(_stamp(p) == s for p, s in cached[1]):
            dependencies.replay(cached[2])  # the files the answer read, for the result cache
            return cached[0]
        self._local.consulted = []
        try:
            with dependencies.recording() as read:
                target = self._resolve(importer, qualified, MAX_HOPS)
            consulted = tuple((p, _stamp(p)) for p in dict.fromkeys(self._local.consulted))
        finally:
            self._local.consulted = None
        with self._lock:
            if len(self._resolved) > 100_000:
                self._resolved.clear()
            self._resolved[key] = (target, consulted, read)
        return target

    def _resolve(self, importer: str, qualified: str, hops: int) -> Target | None:
        if hops <= 0:
            return None
        level = len(qualified) - len(qualified.lstrip("."))
        parts = [p for p in qualified[level:].split(".") if p]
        located = self._locate(parts, importer, level)
        if located is None:
            return None
        path, taken = located
        target = Target("module", path)
        for name in parts[taken:]:
            target = self._member(target, name, hops - 1)
            if target is None:
                return None
        return target

    def _member(self, owner: Target, name: str, hops: int) -> Target | None:
        """``owner.name``: a function, class or submodule of a module, or a method of a class."""
        if owner.kind == "function":
            return None
        consulted = getattr(self._local, "consulted", None)
        if consulted is not None:
            consulted.append(owner.path)
        tree = self.tree(owner.path)
        if tree is None:
            return None
        if owner.kind == "class":
            cls = _class_node(tree, owner.qualname)
            for stmt in cls.body if cls is not None else []:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                    return Target("function", owner.path, f"{owner.qualname}.{name}")
            return None
        binding = _top_level_binding(tree, name)
        if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return Target("function", owner.path, name)
        if isinstance(binding, ast.ClassDef):
            return Target("class", owner.path, name)
        if isinstance(binding, str):  # bound by an import: follow it from this module
            return self._resolve(owner.path, binding, hops)
        if binding is None and Path(owner.path).name == "__init__.py":
            folder = Path(owner.path).parent
            for candidate in (folder / f"{name}.py", folder / name / "__init__.py"):
                if candidate.is_file():
                    return Target("module", str(candidate.resolve()))
        return None

    def resolve_expr(self, importer: str, node: ast.AST, imports: dict[str, str] | None = None) -> Target | None:
        """What a ``Name`` or dotted ``Attribute`` expression of ``importer`` refers
        to, when its first name is bound by an import."""
        from .model import qualified_name

        imports = self.imports(importer) if imports is None else imports
        qualified = qualified_name(node, imports)
        return self.resolve(importer, qualified) if qualified else None

    def definition(self, importer: str, node: ast.AST, imports: dict[str, str] | None = None,
                   tree: ast.Module | None = None) -> Target | None:
        """What a ``Name`` or dotted ``Attribute`` of ``importer`` names: a function or
        class defined at its top level (``task=nightly``), else through its imports
        (``task=tasks.sync_deals``, ``task=sync_deals`` imported); None when unknown.
        ``tree``/``imports``: the importer's, when the caller has them."""
        importer = self._real(importer)
        if isinstance(node, ast.Name):
            own = tree if tree is not None else self.tree(importer)
            binding = _top_level_binding(own, node.id) if own is not None else None
            if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return Target("function", importer, node.id)
            if isinstance(binding, ast.ClassDef):
                return Target("class", importer, node.id)
        return self.resolve_expr(importer, node, imports)

    # -- functions and their summaries ---------------------------------------------------
    def model(self, path: str, seeds: "dict[str, dict[str, Role]] | None" = None) -> "LimeModel | None":
        """The Lime model of ``path``, its calls into other modules resolved here too
        (nesting bounded by :data:`MAX_DEPTH`; a module already being built further
        up counts as unknown).  ``seeds``: qualname -> parameter -> role known from
        callers elsewhere.  Cached per tree, seeds and nesting."""
        from .model import build_model

        path = self._real(path)
        tree = self.tree(path)
        if tree is None:
            return None
        stack: tuple[str, ...] = getattr(self._local, "stack", ())
        if path in stack:
            return None  # a cycle: unknown
        seed_key = tuple(sorted((q, p, r) for q, roles in (seeds or {}).items() for p, r in roles.items()))
        key = (path, seed_key, stack)
        with self._lock:
            cached = self._models.get(key)
            if cached is not None and cached[0] is tree:
                dependencies.replay(cached[2])  # what building it read, for the result cache
                return cached[1]
        self._local.stack = (*stack, path)
        try:
            nested = self if len(stack) + 1 < MAX_DEPTH else None
            with dependencies.recording() as read:
                model = build_model(tree, path=path, modules=nested, seeds=seeds)
        except RecursionError:
            model = None
        finally:
            self._local.stack = stack
        with self._lock:
            if len(self._models) > 512:
                self._models.clear()
            self._models[key] = (tree, model, read)
        return model

    def function(self, target: Target, seeds: "dict[str, dict[str, Role]] | None" = None
                 ) -> "tuple[FunctionInfo, LimeModel] | None":
        """The model facts of a resolved function, or None."""
        if target.kind != "function":
            return None
        model = self.model(target.path, seeds)
        if model is None:
            return None
        info = model.functions.get(target.qualname)
        return (info, model) if info is not None else None

    def resolve_call(self, importer: str, call: ast.Call, imports: dict[str, str] | None = None
                     ) -> "tuple[str, FunctionInfo, LimeModel] | None":
        """For a call of a function imported from another module: ``(path, info,
        model)`` of its definition (the shape ``Workspace.resolve_call`` answers),
        else None (not imported, not found, not a function: unknown)."""
        target = self.resolve_expr(importer, call.func, imports)
        if target is None or target.kind != "function" or target.path == self._real(importer):
            return None
        found = self.function(target)
        return (target.path, found[0], found[1]) if found is not None else None

    def building(self) -> bool:
        """True while this thread builds a model for another module's question."""
        return bool(getattr(self._local, "stack", ()))

    def workspace_files(self) -> list[str]:
        """The Python files of the workspace roots (not environments or caches), sorted."""
        with self._lock:
            if self._workspace_files is not None:
                return self._workspace_files
        found: list[str] = []
        for root in self.roots:
            for folder, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_FOLDERS and not d.startswith("."))
                found.extend(os.path.join(folder, f) for f in sorted(files) if f.endswith(".py"))
                if len(found) >= MAX_WORKSPACE_FILES:
                    dirs[:] = []
        found = found[:MAX_WORKSPACE_FILES]
        with self._lock:
            self._workspace_files = found
        return found

    def _mentions_any(self, path: str, words: list[str]) -> bool:
        """Whether ``path``'s text has one of ``words`` (identifiers) as a whole word.
        Each file version's set of words is made once (a word index), so a
        question costs set lookups, not a scan of the text per word."""
        try:
            stat = os.stat(path)
        except OSError:
            return False
        key = (path, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            known = self._mentions.get(key)
        if known is None:
            try:
                text = Path(path).read_text(encoding="utf-8", errors="replace") if stat.st_size <= MAX_FILE_BYTES else ""
            except OSError:
                text = ""
            known = frozenset(_WORD.findall(text))
            with self._lock:
                if len(self._mentions) > 20_000:
                    self._mentions.clear()
                self._mentions[key] = known
        if all(_WORD.fullmatch(word) for word in words):
            return any(word in known for word in words)
        try:  # not a plain word (a dotted name): search the text itself
            text = Path(path).read_text(encoding="utf-8", errors="replace") if stat.st_size <= MAX_FILE_BYTES else ""
        except OSError:
            return False
        return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) for word in words)

    def incoming_roles(self, path: str, tree: ast.Module | None = None, *, known: list | None = None,
                       unchanged: Callable[[dict[str, str]], bool] | None = None) -> "dict[str, dict[str, Role]]":
        """Qualname -> parameter -> the Lime role (application, unit of work,
        limetype...) that callers in other workspace modules pass for it.

        ``tree``: the module's syntax tree when the caller has it (else read here).
        Empty when the index was made without a workspace (``callers=False``).
        Only files that can import the module are read: those mentioning its
        name or a package above it (the first :data:`MAX_CALLER_FILES` in path
        order).  A caller's roles come from its own function (one level, see
        ``_outgoing``); each caller file is read once per version.

        For the result cache the answer is noted, not the files read for it (every
        file that may import the module): a caller's edit that passes the same
        roles leaves the module's cached findings valid.  With the answer go the
        *caller records*: per caller file, the calls it makes of this module's
        functions and the digest of every file they were read from (the caller's
        own, those its imports resolved through).  Validation asks again with them
        as ``known`` and ``unchanged(files) -> bool``: the importers are searched
        again, and a record is taken instead of reading its caller only when none
        of its files changed (touching one module of a package then reads that
        one caller, not all of them)."""
        path = self._real(path)
        if not self.callers:
            return {}
        records: list | None = [] if dependencies.active() else None
        with dependencies.answering():
            roles = self._incoming_roles(path, tree, records, known or [], unchanged)
        dependencies.note_answer(("incoming roles", path), roles_json(roles), records)
        return roles

    def _incoming_roles(self, path: str, tree: ast.Module | None, records: list | None = None,
                        known: list = (), unchanged: Callable[[dict[str, str]], bool] | None = None
                        ) -> "dict[str, dict[str, Role]]":
        # Whether the module has a parameter to pass a role to is checked first when its
        # tree is at hand, else after the search for importers: most modules have none,
        # and the result cache asks this again for every unchanged file of a package.
        here = _functions(tree) if tree is not None else None
        if here is not None and not any(info.params for info in here.values()):
            return {}  # a package's empty __init__.py: no file to read
        module = Path(path)
        words = [module.parent.name] if module.stem == "__init__" else [module.stem]
        # A module is imported by a text that names it, or through a package
        # that re-exports from it (whose __init__.py names it, or names a package
        # below that does): only then can the package's name reach it.
        folder = module.parent.parent if module.stem == "__init__" else module.parent
        while (folder / "__init__.py").is_file() and folder.parent != folder \
                and self._mentions_any(str(folder / "__init__.py"), words):
            words.append(folder.name)
            folder = folder.parent
        words = [w for w in dict.fromkeys(words) if w.isidentifier()]
        candidates = self.importers(path, words)
        if not candidates:
            return {}  # no file can import the module
        if here is None:
            tree = self.tree(path)
            if tree is None:
                return {}
            here = _functions(tree)
            if not any(info.params for info in here.values()):
                return {}
        known_by_file = {record["file"]: record for record in known} if unchanged is not None else {}
        roles: dict[str, dict[str, Role]] = {}
        for candidate in candidates:
            candidate = str(Path(candidate).resolve())
            for qualname, positional, keywords in self._calls_into(path, candidate, records,
                                                                   known_by_file.get(candidate), unchanged):
                callee = here.get(qualname)
                if callee is None:
                    continue
                params = [p.arg for p in callee.params]
                if callee.is_method and params and params[0] in ("self", "cls"):
                    params = params[1:]
                passed = {**dict(zip(params, positional)), **{k: v for k, v in keywords.items() if k in params}}
                for param, role in passed.items():
                    if role is not None:
                        roles.setdefault(qualname, {}).setdefault(param, role)
        return roles

    def _calls_into(self, path: str, caller: str, records: list | None, known: dict | None,
                    unchanged: Callable[[dict[str, str]], bool] | None) -> list[tuple[str, tuple, dict]]:
        """``(qualname, role per positional argument, role per keyword)`` of each call
        ``caller`` makes of a function of ``path`` that passes a Lime role, in order.
        ``known``: a caller record kept with an earlier answer, taken when
        ``unchanged`` says none of its files changed.  ``records``: where this
        caller's record is added (None: nobody keeps them)."""
        if known is not None and unchanged is not None and caller in known["read"] and unchanged(known["read"]):
            return [(qualname, tuple(_role_from_json(r) for r in positional),
                     {k: _role_from_json(r) for k, r in keywords.items()})
                    for qualname, positional, keywords in known["calls"]]
        with dependencies.recording() as read:  # inside ``answering``: kept for the record only
            calls = [(qualname, positional, keywords)
                     for target, qualname, positional, keywords in self._outgoing(caller) if target == path]
        # Only reads of files make a record: a nested question or jedi's answer is never assumed unchanged.
        if records is not None and not read.unknown and not read.answers:
            records.append({"file": caller, "read": dict(sorted(read.files.items())), "calls": [
                [qualname, [_role_to_json(r) for r in positional], {k: _role_to_json(r) for k, r in keywords.items()}]
                for qualname, positional, keywords in calls]})
        return calls

    def importers(self, path: str, words: list[str]) -> list[str]:
        """The workspace files other than ``path`` whose text has one of ``words``
        (the module's name, its packages'), the first :data:`MAX_CALLER_FILES`."""
        candidates = [f for f in self.workspace_files() if self._mentions_any(f, words) and self._real(f) != path]
        return candidates[:MAX_CALLER_FILES]

    def _outgoing(self, path: str) -> list[tuple[str, str, tuple, dict]]:
        """The calls ``path`` makes of other modules' functions that pass a Lime role:
        ``(callee's file, qualname, role per positional argument, role per keyword)``.
        Roles come from the caller's own function (parameters, annotations,
        assignments in order), not from a whole model; cached per tree."""
        tree = self.tree(path)
        if tree is None:
            return []
        with self._lock:
            cached = self._calls_out.get(path)
            if cached is not None and cached[0]() is tree:
                dependencies.replay(cached[2])
                return cached[1]
        with dependencies.recording() as read:
            found = self._calls_of_other_modules(path, tree)
        with self._lock:
            if len(self._calls_out) > 10_000:
                self._calls_out.clear()
            self._calls_out[path] = (weakref.ref(tree), found, read)
        return found

    def _calls_of_other_modules(self, path: str, tree: ast.Module) -> list[tuple[str, str, tuple, dict]]:
        from .model import PASSED_ROLES, _role_of, local_roles
        from .semantic import syntax_index

        imports = self.imports(path)
        found: list[tuple[str, str, tuple, dict]] = []
        index = syntax_index(tree)
        for func, names in local_roles(tree, imports):
            for node in index.own_nodes(func):
                if not isinstance(node, ast.Call):
                    continue
                base = node.func
                while isinstance(base, ast.Attribute):
                    base = base.value
                if not isinstance(base, ast.Name) or base.id not in imports:
                    continue
                positional = tuple(_role_of(a, names, imports) for a in node.args)
                keywords = {k.arg: _role_of(k.value, names, imports) for k in node.keywords if k.arg}
                if not any(r is not None and r.kind in PASSED_ROLES for r in (*positional, *keywords.values())):
                    continue
                target = self.resolve_expr(path, node.func, imports)
                if target is None or target.kind != "function" or target.path == path:
                    continue
                positional = tuple(r if r is not None and r.kind in PASSED_ROLES else None for r in positional)
                keywords = {k: r for k, r in keywords.items() if r is not None and r.kind in PASSED_ROLES}
                found.append((target.path, target.qualname, positional, keywords))
        return found

    def summary_of_call(self, importer: str, call: ast.Call, imports: dict[str, str] | None = None
                        ) -> "Summary | None":
        """What calling an imported function costs (reads, commits, units of work,
        its own cross-module callees folded in); None when unknown."""
        found = self.resolve_call(importer, call, imports)
        return found[1].summary if found is not None else None


_WORD = re.compile(r"\w+")


def _functions(tree: ast.Module) -> "dict[str, FunctionInfo]":
    """Qualname -> the facts (parameters first) of each function defined in ``tree``."""
    from .model import _collect_functions

    found: dict = {}
    _collect_functions(tree.body, "", None, None, found)
    return found


def roles_json(roles: "dict[str, dict[str, Role]]") -> dict:
    """``incoming_roles``'s answer as JSON values (the result cache compares them)."""
    return {qualname: {param: _role_to_json(role) for param, role in sorted(params.items())}
            for qualname, params in sorted(roles.items())}


def _role_to_json(role: "Role | None") -> list | None:
    return [role.kind, role.limetype, role.bounded] if role is not None else None


def _role_from_json(value: list | None) -> "Role | None":
    from .model import Role

    return Role(str(value[0]), value[1], bool(value[2])) if value is not None else None


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def package_root(path: Path) -> Path:
    """The folder above the top-most package holding ``path`` (``a/pkg/sub/m.py`` with
    ``__init__.py`` in ``pkg`` and ``sub``: ``a``)."""
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def _pth_folders(site: Path) -> Iterator[Path]:
    """Folders named by the ``.pth`` files of ``site`` (editable installs)."""
    for pth in sorted(site.glob("*.pth")):
        try:
            lines = pth.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if not line or line.startswith(("#", "import ", "import\t")):
                continue
            folder = (site / line).resolve() if not os.path.isabs(line) else Path(line)
            if folder.is_dir():
                yield folder


def _module_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, including those under ``if``/``try``/``with``."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.Try, ast.With, ast.AsyncWith)) or type(stmt).__name__ == "TryStar":
            for field in ("body", "orelse", "finalbody"):
                yield from _module_level_statements(getattr(stmt, field, []))
            for handler in getattr(stmt, "handlers", []):
                yield from _module_level_statements(handler.body)


def _top_level_binding(tree: ast.Module, name: str) -> ast.AST | str | None:
    """The last module-level binding of ``name``: its ``def``/``class`` node, the
    qualified name an import binds it to, or None."""
    found: ast.AST | str | None = None
    for stmt in _module_level_statements(tree.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and stmt.name == name:
            found = stmt
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname == name:
                    found = alias.name
                elif alias.asname is None and alias.name.split(".")[0] == name:
                    found = name
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if (alias.asname or alias.name) == name:
                    prefix = "." * stmt.level + (stmt.module or "")
                    found = f"{prefix}.{alias.name}" if stmt.module else f"{prefix}{alias.name}"
    return found


def _class_node(tree: ast.Module, qualname: str) -> ast.ClassDef | None:
    body: list[ast.stmt] = tree.body
    node: ast.ClassDef | None = None
    for part in qualname.split("."):
        node = next((s for s in _module_level_statements(body) if isinstance(s, ast.ClassDef) and s.name == part), None)
        if node is None:
            return None
        body = node.body
    return node


_INDEXES: dict[tuple, ModuleIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_for(workspace=None, path: str | None = None) -> ModuleIndex:
    """The module index of a workspace (its ``modules`` attribute when it has one;
    else one per root and environment, sharing the workspace's tree cache).
    Without a workspace: an index whose root is ``path``'s package root."""
    own = getattr(workspace, "modules", None)
    if isinstance(own, ModuleIndex):
        return own
    # Wrappers that note what an analysis asks (the editor's recording one)
    # share the index of the workspace they wrap.
    for _ in range(4):
        inner = getattr(workspace, "__dict__", {}).get("_workspace")
        if inner is None:
            break
        workspace = inner
    if workspace is not None and getattr(workspace, "root", None) is not None:
        roots: tuple[Path, ...] = (Path(workspace.root).resolve(),)
        environment = getattr(workspace, "environment_path", None)
    else:
        roots = (package_root(Path(path).resolve()),) if path else ()
        environment = None
    key = (roots, environment, id(workspace) if workspace is not None else None)
    with _INDEXES_LOCK:
        index = _INDEXES.get(key)
        if index is None:
            source = None
            if workspace is not None and callable(getattr(workspace, "source", None)):
                def source(p: str, _ws=workspace) -> ast.Module | None:
                    return _ws.source(p).tree
            index = _INDEXES[key] = ModuleIndex(roots, environment_path=environment, source=source,
                                                callers=workspace is not None)
            if len(_INDEXES) > 32:
                _INDEXES.pop(next(iter(_INDEXES)))
        return index
