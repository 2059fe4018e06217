"""Finds the Python interpreters the tests run the bundled server on.

    python3 scripts/find_python.py 3.10      # a Python 3.10; exit 1 when there is none
    python3 scripts/find_python.py --oldest  # the oldest supported (pyproject's requires-python floor)
    python3 scripts/find_python.py --newest  # the newest supported one on this machine

Candidates, in order: pyenv's versions (``$PYENV_ROOT``, else ``~/.pyenv``, then
``/root/.pyenv``: ``versions/3.N.*/bin/python3.N``, highest patch release
first), then ``python3.N`` on ``PATH``. Each is run once to check its version
(a pyenv shim for a version that is not active fails that check). Used by
scripts/lib.sh (shell) and imported by tests/test_bundle.py, so both find the
same interpreters.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Newest minor version tried; the server's targetVersion setting knows up to py314.
NEWEST_MINOR = 14


def supported_floor() -> tuple[int, int]:
    """pyproject's ``requires-python = ">=3.N"`` as ``(3, N)``."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^requires-python\s*=\s*">=\s*3\.(\d+)', text, re.MULTILINE)
    if not match:
        raise SystemExit("pyproject.toml has no requires-python = \">=3.N\"")
    return (3, int(match.group(1)))


def _pyenv_roots() -> list[Path]:
    roots = [os.environ.get("PYENV_ROOT"), str(Path.home() / ".pyenv"), "/root/.pyenv"]
    seen: list[Path] = []
    for root in roots:
        if root and Path(root).is_dir() and Path(root) not in seen:
            seen.append(Path(root))
    return seen


def _patch_key(path: Path) -> tuple[int, ...]:
    version = path.parents[1].name  # versions/3.10.13/bin/python3.10
    return tuple(int(part) if part.isdigit() else -1 for part in re.split(r"[.]", version))


def _reports(executable: str, minor: int) -> bool:
    try:
        result = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == f"3.{minor}"


def find(minor: int) -> str | None:
    """Absolute path of a working Python ``3.<minor>``, or None."""
    candidates: list[str] = []
    for root in _pyenv_roots():
        found = sorted(root.glob(f"versions/3.{minor}.*/bin/python3.{minor}"), key=_patch_key, reverse=True)
        candidates += [str(p) for p in found]
    on_path = shutil.which(f"python3.{minor}")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        if _reports(candidate, minor):
            return candidate
    return None


def newest() -> str | None:
    """The newest supported Python on this machine, or None."""
    floor = supported_floor()
    for minor in range(NEWEST_MINOR, floor[1] - 1, -1):
        found = find(minor)
        if found:
            return found
    return None


def main(argv: list[str]) -> int:
    if argv == ["--newest"]:
        found = newest()
    elif argv == ["--oldest"]:
        found = find(supported_floor()[1])
    elif len(argv) == 1 and re.fullmatch(r"3\.\d+", argv[0]):
        found = find(int(argv[0].split(".")[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if not found:
        return 1
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
