"""Finding, reading and writing the files the CLI is given.

Writes happen only for ``--fix``, only to files named or found under the given
paths, and atomically (a temporary file in the same folder, the permissions of
the original, then a rename), so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
from pathlib import Path
from typing import Iterator

SKIPPED_DIRS = {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
                "site-packages", "dist-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist",
                ".tools", ".eggs"}


def _excluded(path: Path, root: Path, patterns: tuple[str, ...]) -> bool:
    try:
        relative = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = path.as_posix()
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(path.name, pattern) \
                or fnmatch.fnmatch(relative, f"{pattern}/*") or relative.startswith(pattern + "/"):
            return True
    return False


def discover(paths: list[str], exclude: tuple[str, ...], root: Path) -> Iterator[Path]:
    """Python files under ``paths``: explicit files always; directories walked,
    skipping virtual environments, ``site-packages`` and ``exclude`` patterns."""
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            if path not in seen:
                seen.add(path)
                yield path
            continue
        if not path.is_dir():
            continue
        for folder, dirs, files in os.walk(path):
            here = Path(folder)
            dirs[:] = sorted(
                d for d in dirs
                if d not in SKIPPED_DIRS and not d.endswith(".egg-info")
                and not (here / d / "pyvenv.cfg").exists()
                and not _excluded(here / d, root, exclude)
            )
            for name in sorted(files):
                candidate = here / name
                if name.endswith((".py", ".pyi")) and not _excluded(candidate, root, exclude) \
                        and candidate not in seen:
                    seen.add(candidate)
                    yield candidate


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


def write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode
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
