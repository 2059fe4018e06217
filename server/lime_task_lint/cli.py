"""``lime-task-lint``: check files in CI, print rule docs, or start the language server."""

from __future__ import annotations

import argparse
import difflib
import gc
import sys
from pathlib import Path

from . import __version__, report_cli
from .checker import check
from .document import SourceDocument
from .files import UnreadableFile, discover, read_source, write_atomically
from .fixer import fix_text
from .framework import all_rules, rule_index_markdown, rules_document
from .output import FORMATTERS, FileFindings
from .settings import SettingsError, _codes, resolve_settings
from .workspace import Workspace

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lime-task-lint", description=__doc__)
    parser.add_argument("--version", action="version", version=f"lime-task-lint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check_cmd = sub.add_parser("check", help="check files and folders for Lime task anti-patterns")
    check_cmd.add_argument("paths", nargs="*", default=["."], help="files or folders (default: .)")
    check_cmd.add_argument("--fix", action="store_true", help="apply safe fixes to the files")
    check_cmd.add_argument("--unsafe-fixes", action="store_true", help="also apply (with --fix) or show unsafe fixes")
    check_cmd.add_argument("--diff", action="store_true", help="print the fixes as a diff; change nothing")
    check_cmd.add_argument("--select", help="comma-separated codes or prefixes to enable (overrides the config)")
    check_cmd.add_argument("--ignore", help="comma-separated codes or prefixes to disable (added to the config)")
    check_cmd.add_argument("--format", choices=sorted(FORMATTERS), default="text", help="output format")
    check_cmd.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    check_cmd.add_argument("--config", help="use this pyproject.toml instead of the nearest one")

    report_cli.add_parser(sub)

    sub.add_parser("serve", help="start the language server on stdio")

    rule_cmd = sub.add_parser("rule", help="print the documentation of a rule")
    rule_cmd.add_argument("code", help="a rule code such as LIME104")

    rules_cmd = sub.add_parser("rules", help="list the rules")
    rules_cmd.add_argument("--markdown", action="store_true", help="print docs/rules.md")
    rules_cmd.add_argument("--index", action="store_true", help="print the rule index table (README)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `lime-task-lint check | head`
        sys.stderr.close()
        return EXIT_CLEAN
    except KeyboardInterrupt:
        return 130


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "report":
        return report_cli.run(args)
    if args.command == "serve":
        from .server import serve

        serve()
        return EXIT_CLEAN
    if args.command == "rule":
        rule = all_rules().get(args.code)
        if rule is None:
            print(f"lime-task-lint: no rule {args.code!r}; `lime-task-lint rules` lists them", file=sys.stderr)
            return EXIT_ERROR
        print(f"# {rule.code} {rule.name}\n\nDefault severity: {rule.severity.value}. "
              f"Fix: {rule.fix_availability.value}.\n\n{rule.docs()}")
        return EXIT_CLEAN
    if args.command == "rules":
        if args.markdown:
            sys.stdout.write(rules_document())
        elif args.index:
            print(rule_index_markdown())
        else:
            for rule in all_rules():
                print(f"{rule.code}  {rule.name:<32} {rule.severity.value:<12} fix: {rule.fix_availability.value}")
        return EXIT_CLEAN
    return run_check(args)


def _tune_gc() -> None:
    """A one-shot run keeps nearly everything it allocates (syntax trees, models)
    until it exits, so the cyclic collector's frequent passes over the growing
    heap are wasted work (about 10% of a 10,000-line file's analysis): move the
    objects of the start-up out of its sight and collect less often."""
    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, 50_000), gen1, gen2)


def run_check(args: argparse.Namespace) -> int:
    overrides: dict = {}
    try:
        if args.select:
            overrides["select"] = _codes(args.select.split(","), "--select")
    except SettingsError as exc:
        print(f"lime-task-lint: {exc}", file=sys.stderr)
        return EXIT_ERROR
    root = Path.cwd()
    config_error = False
    reported: set[str] = set()
    findings: list[FileFindings] = []
    diffs: list[str] = []
    fixed_files = 0
    fixed_total = 0
    probe_settings, problems, pyproject = resolve_settings(Path(args.config) if args.config else root)
    for problem in problems:
        reported.add(problem)
        print(f"lime-task-lint: {problem}", file=sys.stderr)
        config_error = True
    _tune_gc()
    workspaces: dict[Path, Workspace] = {}
    for path in discover(args.paths, probe_settings.exclude, pyproject.parent if pyproject else root):
        settings, problems, pyproject = resolve_settings(Path(args.config) if args.config else path,
                                                         overrides=overrides)
        for problem in problems:
            if problem not in reported:
                reported.add(problem)
                print(f"lime-task-lint: {problem}", file=sys.stderr)
                config_error = True
        if args.ignore:
            try:
                extra = _codes(args.ignore.split(","), "--ignore")
            except SettingsError as exc:
                print(f"lime-task-lint: {exc}", file=sys.stderr)
                return EXIT_ERROR
            settings = settings.__class__(**{**settings.__dict__, "ignore": settings.ignore + extra})
        try:
            text = read_source(path)
        except UnreadableFile as exc:
            print(f"lime-task-lint: {path}: {exc}; skipped", file=sys.stderr)
            continue
        project_root = pyproject.parent if pyproject else root
        # CI does not type: jedi may take its time to find callers across files.
        workspace = workspaces.get(project_root)
        if workspace is None:
            workspace = workspaces[project_root] = Workspace(project_root, time_budget=30)
        display = str(path)
        if args.fix or args.diff:
            result = fix_text(text, settings, path=display, unsafe=args.unsafe_fixes or None, root=project_root,
                              workspace=workspace)
            if result.text != text:
                if args.diff:
                    diffs.append("".join(difflib.unified_diff(
                        text.splitlines(keepends=True), result.text.splitlines(keepends=True),
                        fromfile=f"a/{display}", tofile=f"b/{display}")))
                else:
                    write_atomically(path, result.text)
                    fixed_files += 1
                    fixed_total += sum(result.applied.values())
            if args.diff:
                document = SourceDocument(text, display)
                violations = check(document, settings, root=project_root, workspace=workspace).violations
            else:
                document = SourceDocument(result.text, display)
                violations = result.remaining
        else:
            # The same workspace as --fix and the editor, so CI reports what the editor
            # shows; jedi starts only for a question that needs another file.
            document = SourceDocument(text, display)
            violations = check(document, settings, root=project_root, workspace=workspace).violations
        findings.append(FileFindings(display, document.index, violations))
    if args.diff:
        sys.stdout.write("".join(diffs))
        if diffs:
            return EXIT_FINDINGS if not args.exit_zero else EXIT_CLEAN
    else:
        out = FORMATTERS[args.format]([f for f in findings if f.violations] if args.format != "sarif" else findings)
        if out:
            print(out)
        if args.fix and fixed_total and args.format == "text":
            print(f"Fixed {fixed_total} problem{'s' if fixed_total != 1 else ''} in {fixed_files} "
                  f"file{'s' if fixed_files != 1 else ''}.")
    if config_error:
        return EXIT_ERROR
    remaining = sum(len(f.violations) for f in findings)
    if remaining and not args.exit_zero and not args.diff:
        return EXIT_FINDINGS
    return EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
