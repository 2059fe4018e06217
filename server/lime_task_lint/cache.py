"""The CLI's result cache: the findings of a file that did not change are read
back instead of recomputed (like ruff's ``.ruff_cache``).

Where: ``.lime-task-lint-cache/`` in the project root (the folder of the
``pyproject.toml``), or the folder named by the ``cache-dir`` setting or the
``LIME_TASK_LINT_CACHE_DIR`` environment variable; it holds its own
``.gitignore`` so it is never committed.  ``check --no-cache`` neither reads nor
writes it.

What a cached result is keyed by, so a hit is exactly what a fresh run gives:

* the tool: its version and the size and modification time of each of its own
  source files (an edited rule invalidates everything), and the Python version;
* the settings (their full ``repr``) and the file's path as displayed;
* the file's content;
* what the analysis learnt from other files (``dependencies.py`` notes it while
  the file is checked): the content digest of each file it read (a helper's
  tree, a caller's module, including those read to build a summary another
  file's analysis built first), the answer of each whole-workspace question
  (the roles callers in other modules pass to its functions, which of its
  functions are scheduled, is a name mentioned elsewhere), asked again on reuse
  (the callers' roles with the record of each caller's calls kept with the
  answer, so only the callers whose files changed are read again), and the list of the
  workspace's Python files (an import finds a file or not), plus the
  interpreter's prefix (site-packages answers) and, outside the roots, each
  file an import looked for and did not find (``ModuleIndex._search``).  So touching one file re-checks
  only the files whose analysis read it or whose answers it changes.
* when jedi answered anything (it may read any file): the content digest of
  every Python file the workspace may read (``Workspace._python_files``).

A cache that cannot be read (corrupt, another version's format) or written
(read-only folder) is reported once as a warning and the run goes on without
it: never a wrong result, never a failed run.  A hit reads JSON and builds
``Violation`` objects: no rule module is imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .dependencies import text_digest
from .edits import Fix
from .framework import Severity, Violation

CACHE_FOLDER = ".lime-task-lint-cache"
#: Bumped when the entry format changes.
FORMAT = 3
_GITIGNORE = "# Created by lime-task-lint automatically.\n*\n"


def tool_key() -> str:
    """The tool's identity: version, Python version, and the stat of every source file of the package."""
    global _TOOL_KEY
    if _TOOL_KEY is None:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{FORMAT}\0{__version__}\0{sys.version_info[:3]}\0".encode())
        package = Path(__file__).resolve().parent
        for folder, dirs, files in sorted(os.walk(package)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    stat = os.stat(os.path.join(folder, name))
                    digest.update(f"{os.path.relpath(os.path.join(folder, name), package)}\0"
                                  f"{stat.st_mtime_ns}\0{stat.st_size}\0".encode())
        _TOOL_KEY = digest.hexdigest()
    return _TOOL_KEY


_TOOL_KEY: str | None = None


#: Kinds of noted answers that the workspace digest (the Python files' text with
#: uniform newlines) does not cover: git's ignore files, a file's exact bytes, the
#: environment's package folders (a .venv or a .pth file added later).
_BEYOND_THE_LISTING = frozenset({"git ignored", "exact text", "search folders"})


class ResultCache:
    """Cached findings per file for one CLI run (one object serves every project root).

    ``disabled``: read and write nothing (``--no-cache``).  ``warn``: called with a
    message the first time the cache cannot be read or written."""

    def __init__(self, *, disabled: bool = False, warn: Callable[[str], None] | None = None) -> None:
        self.disabled = disabled
        self._warn = warn or (lambda message: print(f"lime-task-lint: warning: {message}", file=sys.stderr))
        self._warned: set[str] = set()
        self._workspace_digests: dict[tuple, str] = {}
        #: per run: the listing digest per workspace, file digests, re-asked answers
        self._listings: dict[tuple, str] = {}
        self._link_lists: dict[str, list[str]] = {}
        self._file_digests: dict[str, str] = {}
        self._answers: dict[tuple, Any] = {}
        self.hits = 0
        self.misses = 0
        #: str(path) -> (text digest, findings) read or checked before the CLI's loop
        self._prefetched: dict[str, tuple[str, list[Violation]]] = {}

    def prefetch(self, jobs: list[tuple[Path, object, Path]], workspace_for: Callable[[Path], Any]) -> None:
        """Answer ``(path, settings, project root)`` files before the CLI's loop:
        hits are read from the cache here, and when many files miss they are
        checked in worker processes (``parallel.py``); :meth:`violations` then
        answers from memory for each file whose text is still the one read.

        ``workspace_for(project root)``: the workspace the CLI's loop checks with, so
        what validating the hits read (texts, word sets, trees) serves the misses too."""
        from . import parallel
        from .files import UnreadableFile, read_source

        misses = []
        for job in jobs:
            path, settings, root = job
            if self.disabled:
                misses.append(job)
                continue
            try:
                text = read_source(path)
            except (UnreadableFile, OSError):
                continue  # the loop reports it
            workspace = workspace_for(root)
            key, entry_path = self._key(root, settings, str(path), text)
            cached = self._read(entry_path, key, workspace)
            if cached is None:
                misses.append(job)
                continue
            self.hits += 1
            self._prefetched[str(path)] = (text_digest(text), cached)
        workers = parallel.jobs_for(len(misses))
        if workers:
            found = parallel.check_in_processes(misses, workers, self.disabled)
            for path, (digest, items) in found.items():
                self._prefetched[str(path)] = (digest, [_from_json(item) for item in items])

    def directory(self, root: Path, settings) -> Path:
        """The cache folder of a project: the ``cache-dir`` setting (relative to the
        project root), else ``$LIME_TASK_LINT_CACHE_DIR``, else ``root/.lime-task-lint-cache``."""
        configured = getattr(settings, "cache_dir", None) or os.environ.get("LIME_TASK_LINT_CACHE_DIR")
        if configured:
            folder = Path(configured).expanduser()
            return folder if folder.is_absolute() else Path(root) / folder
        return Path(root) / CACHE_FOLDER

    def violations(self, document, settings, *, root: Path, workspace=None) -> list[Violation]:
        """The findings of ``checker.check(document, settings, root=root, workspace=workspace)``,
        from the cache when the same inputs were checked before."""
        prefetched = self._prefetched.pop(str(document.path), None)
        if prefetched is not None:

            if prefetched[0] == text_digest(document.text):
                return prefetched[1]
        if self.disabled:
            from .checker import check

            return check(document, settings, root=root, workspace=workspace).violations
        key, entry_path = self._key(root, settings, str(document.path), document.text)
        cached = self._read(entry_path, key, workspace)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        from .checker import check

        from . import dependencies

        with dependencies.recording() as read:
            result = check(document, settings, root=root, workspace=workspace)
        if not any(not note.startswith("syntax error") for note in result.notes):  # a failed rule: never kept
            depends = self._depends(workspace, read, str(document.path)) if workspace is not None else None
            self._write(entry_path, {"format": FORMAT, "key": key, "depends": depends,
                                     "violations": [_to_json(v) for v in result.violations]})
        return result.violations

    def _depends(self, workspace, read, own_path: str) -> dict:
        """What an entry depends on besides its key (see the module docstring)."""
        everything = self._workspace_digest(workspace)
        # Files read outside what that digest covers (site-packages of the project's
        # own environment, a package above the root): checked on every reuse.
        covered = set(workspace._python_files())
        outside = {path: digest for path, digest in sorted(read.files.items()) if path not in covered}
        if read.unknown:  # jedi answered: reused only when nothing changed, beyond the listing too
            return {"everything": everything, "outside": outside,
                    "answers": [[list(question), answer, read.bases.get(question)] for question, answer in
                                sorted(read.answers.items(), key=lambda item: repr(item[0]))
                                if question[0] in _BEYOND_THE_LISTING]}
        own = str(Path(own_path).resolve()) if own_path else ""
        # "everything" first: nothing changed anywhere is the usual case, and the
        # cheapest to confirm; the rest says what still holds when something did.
        return {"everything": everything, "outside": outside, "listing": self._listing(workspace),
                "files": {path: digest for path, digest in sorted(read.files.items()) if path != own},
                "answers": [[list(question), answer, read.bases.get(question)] for question, answer in
                            sorted(read.answers.items(), key=lambda item: repr(item[0]))]}

    def _still_valid(self, depends: dict, workspace) -> bool:
        """Whether what an entry's analysis consulted is unchanged."""
        if not self._unchanged(depends.get("outside", {})):
            return False
        # Answers that rest on more than the Python files' uniform text (the digest
        # below): git's ignore files, a file's exact bytes.  Asked first.
        for question, answer, basis in depends.get("answers", ()):
            if question[0] in _BEYOND_THE_LISTING and self._ask(workspace, tuple(question), basis) != answer:
                return False
        if depends.get("everything") == self._workspace_digest(workspace):
            return True
        if "listing" not in depends:  # jedi answered: any change may matter
            return False
        if depends.get("listing") != self._listing(workspace):
            return False
        if not self._unchanged(depends["files"]):
            return False
        for question, answer, basis in depends["answers"]:
            if self._ask(workspace, tuple(question), basis) != answer:
                return False
        return True

    def _unchanged(self, files: dict[str, str]) -> bool:
        """Whether every file has the content digest it had (``path -> digest``)."""
        return all(self._file_digest(path) == digest for path, digest in files.items())

    def _file_digest(self, path: str) -> str:
        from . import dependencies

        known = self._file_digests.get(path)
        if known is None:
            known = self._file_digests[path] = dependencies.file_digest(path)
        return known

    def _ask(self, workspace, question: tuple, basis: Any = None) -> Any:
        """A whole-workspace question again, answered as the analysis noted it
        (``dependencies.note_answer``); once per run.  ``basis``: what the analysis
        noted with the answer to recompute it with less work (the answer is the
        same with or without it)."""
        key = (id(workspace), question)
        if key in self._answers:
            return self._answers[key]
        kind = question[0]
        if kind == "mentioned elsewhere":
            answer: Any = workspace._mentioned_elsewhere(question[1], question[2])
        elif kind == "scheduled":
            from .workspace import scheduled_answer

            own, unresolved = workspace._scheduled_own()
            answer = scheduled_answer(question[1], own, unresolved)
        elif kind == "relation evidence":
            from .modules import index_for
            from .prefetch import workspace_relation_evidence

            found = workspace_relation_evidence(index_for(workspace), question[1], question[2], question[3])
            answer = list(found) if found else None
        elif kind == "realpath":
            answer = os.path.realpath(question[1])
        elif kind == "exact text":  # a fix's edits of another file, computed on its exact text
            from .files import current_text

            found = current_text(question[1])
            answer = text_digest(found) if found is not None else None
        elif kind == "search folders":
            from .modules import ModuleIndex, index_for

            current = index_for(workspace)  # a new index: the folders as they are now
            fresh = ModuleIndex(current.roots, environment_path=current.environment_path)
            answer = [str(p) for p in fresh.site_packages()]
        elif kind == "git ignored":
            from .files import git_ignored

            answer = git_ignored(Path(question[1]))
        elif kind == "incoming roles":
            from .modules import index_for, roles_json

            answer = roles_json(index_for(workspace).incoming_roles(question[1], known=basis or [],
                                                                    unchanged=self._unchanged))
        else:  # a question this version does not know: never equal
            answer = object()
        self._answers[key] = answer
        return answer

    def _links(self, workspace) -> list[str]:
        """``"link -> target"`` for every symbolic link (file or folder) under the
        workspace root, outside the folders no module is searched in; once per run."""
        root = str(getattr(workspace, "root", "") or "")
        known = self._link_lists.get(root)
        if known is None:
            from .modules import _SKIPPED_FOLDERS

            found = []
            for folder, dirs, files in os.walk(root) if root else ():
                for name in [*dirs, *files]:
                    path = os.path.join(folder, name)
                    if os.path.islink(path):
                        found.append(f"{path} -> {os.path.realpath(path)}")
                dirs[:] = [d for d in dirs if d not in _SKIPPED_FOLDERS and not d.startswith(".")]
            known = self._link_lists[root] = sorted(found)
        return known

    def _listing(self, workspace) -> str:
        """Digest of the workspace's Python files by name (where imports may find
        modules), with the interpreter's prefix; once per run."""
        identity = (id(workspace), str(getattr(workspace, "root", "")))
        known = self._listings.get(identity)
        if known is None:
            from .modules import index_for

            names = sorted(set(workspace._python_files()) | set(index_for(workspace).workspace_files()))
            names += self._links(workspace)  # a symbolic link's target is part of what a name means
            # The names a module of the root may be imported by (whether jedi is asked at all).
            tops = sorted(workspace._top_level_names()) if hasattr(workspace, "_top_level_names") else []
            known = self._listings[identity] = _digest(sys.prefix, str(getattr(workspace, "root", "")),
                                                       *names, "\0tops", *tops)
        return known

    def _key(self, root: Path, settings, path: str, text: str) -> tuple[str, Path]:
        """The key of a file's entry, and where the entry is kept."""
        folder = self.directory(root, settings) / tool_key()[:16]
        return _digest(tool_key(), repr(settings), path, text), folder / f"{_digest(path)}.json"

    # -- storage ---------------------------------------------------------------------
    def _read(self, entry_path: Path, key: str, workspace) -> list[Violation] | None:
        try:
            raw = entry_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._warn_once("io", f"cannot read the cache ({exc}); checking without it")
            return None
        try:
            entry = json.loads(raw)
            if entry.get("format") != FORMAT or entry.get("key") != key:
                return None
            depends = entry.get("depends")
            if depends is not None and (workspace is None or not self._still_valid(depends, workspace)):
                return None
            return [_from_json(item) for item in entry["violations"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self._warn_once("corrupt", f"a cache entry is damaged ({entry_path}: {type(exc).__name__}); "
                                       "checking without it")
            return None

    def _write(self, entry_path: Path, entry: dict) -> None:
        folder = entry_path.parent
        try:
            if not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
                ignore = folder.parent / ".gitignore"
                if not ignore.exists():
                    ignore.write_text(_GITIGNORE, encoding="utf-8")
            temporary = entry_path.with_name(f"{entry_path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(entry, separators=(",", ":")), encoding="utf-8")
            os.replace(temporary, entry_path)
        except OSError as exc:
            self._warn_once("io", f"cannot write the cache in {folder.parent} ({exc}); "
                                     "results are not kept")

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            self._warn(message)

    def _workspace_digest(self, workspace) -> str:
        """Content digest of every Python file the workspace may read, once per run."""
        overlay = getattr(workspace, "overlay", {}) or {}
        # One digest per root and run (the CLI's workspaces have no unsaved text).
        identity = ("root", str(getattr(workspace, "root", ""))) if not overlay else ("object", id(workspace))
        known = self._workspace_digests.get(identity)
        if known is not None:
            return known
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{sys.prefix}\0{getattr(workspace, 'root', '')}\0".encode())
        for link in self._links(workspace):  # the listing is of resolved paths: a retargeted link shows here
            digest.update(link.encode("utf-8", "surrogatepass") + b"\0")
        try:
            files = sorted(workspace._python_files())
        except Exception:  # an unknown workspace: never equal to a stored digest
            return f"unknown-{id(object())}"
        for name in files:
            digest.update(name.encode("utf-8", "surrogatepass") + b"\0")
            if name in overlay:
                digest.update(overlay[name].encode("utf-8", "surrogatepass"))
                continue
            try:
                digest.update(hashlib.blake2b(Path(name).read_bytes(), digest_size=16).digest())
            except OSError:
                digest.update(b"unreadable")
        value = self._workspace_digests[identity] = digest.hexdigest()
        return value


def _digest(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _to_json(violation: Violation) -> dict:
    severity = violation.severity
    return {"code": violation.code, "message": violation.message, "start": violation.start, "end": violation.end,
            "fix": violation.fix.to_dict() if violation.fix is not None else None,
            "severity": severity.value if isinstance(severity, Severity) else severity,
            "data": violation.data}


def _from_json(item: dict) -> Violation:
    severity = item["severity"]
    return Violation(code=str(item["code"]), message=str(item["message"]), start=int(item["start"]),
                     end=int(item["end"]), fix=Fix.from_dict(item["fix"]) if item["fix"] is not None else None,
                     severity=Severity(severity) if severity is not None else None, data=dict(item["data"]))
