"""Finding, reading and writing the files the CLI is given.

Writes happen only for ``--fix``, only to files named or found under the given
paths, and atomically (a temporary file in the same folder, the permissions of
the original, then a rename), so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:  # imported where a .gitignore is read: a run answered from the cache may read none
    from pathspec import GitIgnoreSpec

from .settings import Settings, is_excluded

SKIPPED_DIRS = {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
                "site-packages", "dist-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist",
                ".tools", ".eggs"}


class GitIgnore:
    """Whether git ignores a path, as ruff reads it: the ``.gitignore`` files from the
    repository's root down to the path's folder (a deeper file and a later line win,
    ``!`` re-includes) and ``.git/info/exclude``; outside a git repository nothing is
    ignored.  Folders' specs are read once per run."""

    def __init__(self) -> None:
        self._specs: dict[Path, GitIgnoreSpec | None] = {}
        self._repos: dict[Path, Path | None] = {}

    def _repo_root(self, folder: Path) -> Path | None:
        if folder not in self._repos:
            self._repos[folder] = folder if (folder / ".git").exists() else \
                (self._repo_root(folder.parent) if folder.parent != folder else None)
        return self._repos[folder]

    def _spec(self, file: Path) -> GitIgnoreSpec | None:
        if file not in self._specs:
            try:
                lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = None
            if lines:
                from pathspec import GitIgnoreSpec

                self._specs[file] = GitIgnoreSpec.from_lines(lines)
            else:
                self._specs[file] = None
        return self._specs[file]

    def ignored(self, path: Path, *, is_dir: bool = False, within: Path | None = None) -> bool:
        """Whether git ignores ``path``.  ``within``: only the ignore files at or below
        that folder count (the editor's workspace folder: a folder opened inside an
        ignored folder of an enclosing repository is still the user's code)."""
        path = Path(os.path.abspath(path))
        repo = self._repo_root(path.parent)
        if repo is None:
            return False
        folders = [path.parent, *path.parent.parents]
        folders = list(reversed(folders[:folders.index(repo) + 1]))
        sources = [(repo, repo / ".git" / "info" / "exclude")] + [(f, f / ".gitignore") for f in folders]
        if within is not None:
            top = Path(os.path.abspath(within))
            sources = [(base, file) for base, file in sources if base == top or top in base.parents]
        verdict = False
        for base, file in sources:
            spec = self._spec(file)
            if spec is None:
                continue
            relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
            result = spec.check_file(relative)
            if result.include is not None:
                verdict = result.include
        return verdict

    def ignored_with_parents(self, path: Path) -> bool:
        """Ignored itself or inside an ignored folder (for a file named explicitly)."""
        path = Path(os.path.abspath(path))
        repo = self._repo_root(path.parent)
        if repo is None:
            return False
        if self.ignored(path):
            return True
        for folder in path.parents:
            if folder == repo or repo not in folder.parents:
                return False
            if self.ignored(folder, is_dir=True):
                return True
        return False


def discover(paths: list[str], exclude: tuple[str, ...] = (), root: Path | None = None, *,
             settings_for: Callable[[Path], Settings] | None = None,
             force_exclude: bool | None = None) -> Iterator[Path]:
    """Python files under ``paths``: files named explicitly always (unless
    ``force_exclude`` -- or the settings' ``force-exclude`` -- and they are
    excluded); folders walked, skipping virtual environments, ``site-packages``,
    build folders, what git ignores (``respect-gitignore``) and what ``exclude``
    matches.

    ``settings_for(path)`` gives the settings in force for a file or folder (its
    nearest configuration); without it, ``exclude`` patterns relative to ``root``
    apply everywhere.  Paths that do not exist are skipped: the caller checks them
    first (the CLI exits 2 naming them).
    """
    fixed = Settings(exclude=tuple(exclude), project_root=root)

    def settings_of(path: Path) -> Settings:
        return settings_for(path) if settings_for is not None else fixed

    gitignore = GitIgnore()
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            settings = settings_of(path)
            forced = settings.force_exclude if force_exclude is None else force_exclude
            if forced and (excluded_with_parents(path, settings)
                           or settings.respect_gitignore and gitignore.ignored_with_parents(path)):
                continue
            if path not in seen:
                seen.add(path)
                yield path
            continue
        if not path.is_dir():
            continue
        for folder, dirs, files in os.walk(path):
            here = Path(folder)
            kept = []
            for name in sorted(dirs):
                candidate = here / name
                if name in SKIPPED_DIRS or name.endswith(".egg-info") or (candidate / "pyvenv.cfg").exists():
                    continue
                settings = settings_of(candidate)
                if is_excluded(candidate, settings, is_dir=True) \
                        or settings.respect_gitignore and gitignore.ignored(candidate, is_dir=True):
                    continue
                kept.append(name)
            dirs[:] = kept
            for name in sorted(files):
                candidate = here / name
                if not name.endswith((".py", ".pyi")) or candidate in seen:
                    continue
                settings = settings_of(candidate)
                if is_excluded(candidate, settings) \
                        or settings.respect_gitignore and gitignore.ignored(candidate):
                    continue
                seen.add(candidate)
                yield candidate


def git_ignored(path: Path) -> bool:
    """Whether git ignores ``path`` or a folder of it (its repository's ignore files:
    ``.gitignore`` files and ``.git/info/exclude``)."""
    return GitIgnore().ignored_with_parents(path)


def excluded_with_parents(path: Path, settings: Settings) -> bool:
    """``exclude`` matches the file or one of its folders below the project root: what a
    walk would have pruned (``scripts/*`` excludes the folder ``scripts/old`` and so
    ``scripts/old/run.py``, which the pattern alone does not match)."""
    if is_excluded(path, settings):
        return True
    if settings.project_root is None:
        return False
    root = Path(os.path.abspath(settings.project_root))
    for folder in Path(os.path.abspath(path)).parents:
        if folder == root or root not in folder.parents:
            return False
        if is_excluded(folder, settings, is_dir=True):
            return True
    return False


class UnreadableFile(Exception):
    pass


def read_source(path: Path) -> str:
    """The file's text exactly as stored (line endings kept); UTF-8 only, like Python source."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not UTF-8 text (byte {exc.start}); Python source must be UTF-8") from exc


def current_text(path: str, workspace=None) -> str | None:
    """The exact text an edit of ``path`` meets: the editor's unsaved text when the
    workspace holds one (its ``overlay``), else the file's bytes as UTF-8 with their
    line endings (:func:`read_source`); None when it cannot be read."""
    overlay = getattr(workspace, "overlay", None)
    if isinstance(overlay, dict) and path in overlay:
        return overlay[path]
    try:
        return read_source(Path(path))
    except UnreadableFile:
        return None


def shown_path(path: str) -> str:
    """How output names a file no command-line argument named (one a fix of a
    helper in another module changes): relative to the working folder when inside
    it, else absolute; ``/`` separators."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).as_posix()


def write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode
    import tempfile

    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
