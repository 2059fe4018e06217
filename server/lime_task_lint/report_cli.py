"""``lime-task-lint report [PATHS] --format text|markdown|json|html [--output FILE]``:
the budget of every task (round trips, peak memory, duration), before and
after every available fix.

Wired into ``cli.py`` with two lines::

    from . import report_cli              # at the top
    report_cli.add_parser(sub)            # next to the other sub-commands
    ...
    if args.command == "report":
        return report_cli.run(args)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from .files import UnreadableFile, discover, read_source, write_atomically
from .settings import Settings, resolve_settings

if TYPE_CHECKING:
    from .budget import FileBudget

#: The report's formats (``report.FORMATS``; spelled here so that ``check``, which
#: builds this sub-command's parser, does not import the budget model: ~0.1 s of
#: every CLI start, most of a warm cached run).
FORMATS = ("text", "markdown", "json", "html")

EXIT_OK, EXIT_ERROR = 0, 2


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report", help="estimate each task's round trips, peak memory and duration, before and after fixes")
    parser.add_argument("paths", nargs="*", default=["."], help="files or folders (default: .)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--output", "-o", help="write the report to this file instead of stdout")
    parser.add_argument("--config", help="a TOML file with the settings (top level or [tool.lime-task-lint]) "
                                          "instead of the nearest configuration")
    parser.add_argument("--no-fixes", action="store_true", help="skip the after-fix figures (faster)")
    parser.add_argument("--no-workspace", action="store_true",
                        help="do not resolve helpers imported from other files (no jedi; faster)")
    parser.set_defaults(command="report")
    return parser


def build(paths: list[str], *, config: str | None = None, with_fixes: bool = True,
          use_workspace: bool = True, curve: bool | None = None, err=sys.stderr) -> tuple[list[FileBudget], bool]:
    """The budgets of every task in ``paths``; the flag says whether the configuration had problems.

    Files are found and configured as ``check`` finds them (nearest configuration,
    ``exclude``, .gitignore); ``config`` names a configuration file to use instead.
    """
    root = Path.cwd()
    problems_seen: set[str] = set()
    config_error = False
    cache: dict[Path, Settings] = {}
    config_file = Path(config) if config else None

    def settings_for(path: Path) -> Settings:
        nonlocal config_error
        folder = path if path.is_dir() else path.parent
        if folder not in cache:
            settings, problems, _ = resolve_settings(path, config=config_file)
            cache[folder] = settings
            for problem in problems:
                if problem not in problems_seen:
                    problems_seen.add(problem)
                    print(f"lime-task-lint: {problem}", file=err)
                    config_error = True
        return cache[folder]

    workspaces: dict[Path, object] = {}
    files: list[FileBudget] = []
    for path in list(discover(paths, settings_for=settings_for)):
        settings = settings_for(path)
        try:
            text = read_source(path)
        except UnreadableFile as exc:
            print(f"lime-task-lint: {path}: {exc}; skipped", file=err)
            continue
        project_root = settings.project_root or root
        workspace = None
        if use_workspace:
            workspace = workspaces.get(project_root)
            if workspace is None:
                from .workspace import Workspace

                # No time budget: a CI run waits for every cross-file answer, so its findings and fix

                # labels never depend on how loaded the machine is (the editor re-publishes instead).

                workspace = workspaces[project_root] = Workspace(project_root, time_budget=None)
        from .budget import file_budgets

        budget = file_budgets(text, settings, path=str(path), root=project_root, workspace=workspace,
                              with_fixes=with_fixes, curve=True if curve is None else curve)
        if budget.tasks:
            files.append(budget)
    return files, config_error


def usage_problems(paths: list[str], config: str | None) -> list[str]:
    """Paths and ``--config`` files that do not exist (the command then exits 2 and writes nothing)."""
    problems = [f"{p}: no such file or folder" for p in paths if not Path(p).exists()]
    if config and not Path(config).is_file():
        problems.append(f"--config {config}: no such file")
    return problems


def run(args: argparse.Namespace) -> int:
    fmt = getattr(args, "format", "text")
    problems = usage_problems(args.paths, getattr(args, "config", None))
    if problems:
        for problem in problems:
            print(f"lime-task-lint: {problem}", file=sys.stderr)
        return EXIT_ERROR
    files, config_error = build(args.paths, config=getattr(args, "config", None),
                                with_fixes=not getattr(args, "no_fixes", False),
                                use_workspace=not getattr(args, "no_workspace", False),
                                curve=fmt in ("html", "json"))
    from .report import render

    output = render(files, fmt)
    if getattr(args, "output", None):
        target = Path(args.output)
        if target.exists():
            write_atomically(target, output)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output)
    return EXIT_ERROR if config_error else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the command on its own (tests, or before it is wired into ``cli.py``)."""
    parser = argparse.ArgumentParser(prog="lime-task-lint")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["report", *(argv or [])]))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
