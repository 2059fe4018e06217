"""``lime-task-lint``: check files in CI, print rule docs, or start the language server."""

from __future__ import annotations

import argparse
import difflib
import gc
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, report_cli
from .document import SourceDocument
from .edits import LineIndex, apply_edits
from .files import UnreadableFile, current_text, discover, read_source, shown_path, write_atomically
from .cache import ResultCache
from .framework import all_rules, rule_index_markdown, rules_document
from .output import FORMATTERS, FileFindings, format_fixed, format_statistics
from .settings import Settings, SettingsError, _codes, required_version_problem, resolve_settings
from .workspace import Workspace

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lime-task-lint", description=__doc__)
    parser.add_argument("--version", action="version", version=f"lime-task-lint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check_cmd = sub.add_parser("check", help="check files and folders for Lime task anti-patterns")
    check_cmd.add_argument("paths", nargs="*", help="files or folders (default: .); - reads the source from stdin")
    check_cmd.add_argument("--fix", action="store_true", help="apply safe fixes to the files")
    check_cmd.add_argument("--unsafe-fixes", action="store_true", help="also apply (with --fix) or show unsafe fixes")
    check_cmd.add_argument("--diff", action="store_true", help="print the fixes as a diff; change nothing")
    check_cmd.add_argument("--no-cache", action="store_true",
                           help="neither read nor write the result cache (.lime-task-lint-cache/)")
    check_cmd.add_argument("--add-noqa", action="store_true",
                           help="add a `# noqa: CODE` comment for every finding (adopting the tool on old code)")
    check_cmd.add_argument("--select", help="comma-separated codes or prefixes to enable (overrides the config)")
    check_cmd.add_argument("--extend-select", help="comma-separated codes or prefixes to enable as well")
    check_cmd.add_argument("--ignore", help="comma-separated codes or prefixes to disable (added to the config)")
    check_cmd.add_argument("--format", choices=sorted(FORMATTERS), default="text", help="output format")
    check_cmd.add_argument("--output-file", "-o", help="write the output to this file instead of stdout")
    check_cmd.add_argument("--statistics", action="store_true", help="print the number of findings per code")
    check_cmd.add_argument("--show-fixes", action="store_true", help="with --fix: list what was fixed, per file")
    check_cmd.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    check_cmd.add_argument("--config", help="a TOML file with the settings (top level or [tool.lime-task-lint]) "
                                            "instead of the nearest configuration")
    check_cmd.add_argument("--stdin-filename", help="the path of the source read from stdin (for its settings, "
                                                    "per-file-ignores and messages)")
    check_cmd.add_argument("--force-exclude", action=argparse.BooleanOptionalAction, default=None,
                           help="apply `exclude` to files named on the command line too (pre-commit)")
    check_cmd.add_argument("--respect-gitignore", action=argparse.BooleanOptionalAction, default=None,
                           help="skip what .gitignore ignores when walking folders (default: on)")

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


class UsageError(Exception):
    """A wrong argument or configuration that stops the run before it writes anything (exit 2)."""


def _code_list(value: str | None, flag: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    try:
        return _codes([v for v in value.split(",") if v.strip()], flag)
    except SettingsError as exc:
        raise UsageError(str(exc)) from None


def _overrides(args: argparse.Namespace) -> dict:
    """The settings the flags set: the last layer, over the configuration file."""
    overrides: dict = {}
    # --ignore adds to the configuration's ignore list; --select replaces its select list.
    for flag, key in (("select", "select"), ("extend_select", "extend_select"), ("ignore", "extend_ignore")):
        codes = _code_list(getattr(args, flag), f"--{flag.replace('_', '-')}")
        if codes is not None:
            overrides[key] = codes
    for flag in ("force_exclude", "respect_gitignore"):
        if getattr(args, flag) is not None:
            overrides[flag] = getattr(args, flag)
    return overrides


def _check_arguments(args: argparse.Namespace) -> tuple[list[str], bool]:
    """The paths to check and whether the source comes from stdin; raises UsageError."""
    stdin = args.paths == ["-"] or (not args.paths and args.stdin_filename is not None)
    if "-" in args.paths and not stdin:
        raise UsageError("`-` (stdin) cannot be combined with other paths")
    if args.add_noqa and (args.fix or args.diff):
        raise UsageError("--add-noqa cannot be combined with --fix or --diff")
    if args.add_noqa and stdin:
        raise UsageError("--add-noqa writes files; it cannot read stdin")
    if args.show_fixes and not args.fix:
        raise UsageError("--show-fixes lists what --fix fixed; add --fix")
    if args.config is not None and not Path(args.config).is_file():
        raise UsageError(f"--config {args.config}: no such file")
    paths = [] if stdin else (args.paths or ["."])
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError("\n".join(f"{p}: no such file or folder" for p in missing))
    return paths, stdin


@dataclass
class _Run:
    """Settings per folder for one run, each configuration problem reported once."""

    overrides: dict
    config: Path | None
    problems: list[str] = field(default_factory=list)
    cache: dict[Path, Settings] = field(default_factory=dict)

    def settings_for(self, path: Path) -> Settings:
        folder = path if path.is_dir() else path.parent
        settings = self.cache.get(folder)
        if settings is None:
            settings, problems, _ = resolve_settings(path, overrides=self.overrides, config=self.config)
            self.cache[folder] = settings
            for problem in problems:
                if problem not in self.problems:
                    self.problems.append(problem)
        return settings


def _add_noqa(text: str, violations: list) -> tuple[str, int]:
    """``text`` with ``# noqa: CODE`` for every finding, where :mod:`noqa` reads it
    (after the closing quotes of a multi-line string, merged into an existing
    ``# noqa: X``); and the number of lines that got or extended a comment."""
    from .noqa import add_noqa_edits

    lines = LineIndex(text)
    edits = add_noqa_edits(text, [(lines.line_of(v.start), v.code) for v in violations], lines)
    return apply_edits(text, edits), len(edits)


def _write_output(target: Path, text: str) -> None:
    if target.exists():
        write_atomically(target, text)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def run_check(args: argparse.Namespace) -> int:
    try:
        overrides = _overrides(args)
        paths, from_stdin = _check_arguments(args)
    except UsageError as exc:
        for line in str(exc).splitlines():
            print(f"lime-task-lint: {line}", file=sys.stderr)
        return EXIT_ERROR
    run = _Run(overrides, Path(args.config) if args.config else None)
    stdin_path = Path(args.stdin_filename) if args.stdin_filename else None
    if from_stdin:
        targets = [stdin_path if stdin_path is not None else Path("-")]
        settings_of = {targets[0]: run.settings_for(stdin_path if stdin_path is not None else Path.cwd())}
    else:
        targets = list(discover(paths, settings_for=run.settings_for))
        settings_of = {path: run.settings_for(path) for path in targets}
    for problem in run.problems:
        print(f"lime-task-lint: {problem}", file=sys.stderr)
    config_error = bool(run.problems)
    # A version the project does not accept must not touch its files.
    version_problems = sorted({p for s in settings_of.values() if (p := required_version_problem(s))})
    if version_problems:
        for problem in version_problems:
            print(f"lime-task-lint: {problem}", file=sys.stderr)
        return EXIT_ERROR
    # Fixes made with settings the project did not mean (the defaults of bad keys) are not applied.
    writing = args.fix or args.add_noqa
    if writing and config_error:
        print("lime-task-lint: the configuration has errors (above); no fix is applied"
              + ("" if from_stdin else " and no file is changed"), file=sys.stderr)
        writing = False
    fixing = (args.fix and writing) or args.diff

    _tune_gc()
    root = Path.cwd()
    workspaces: dict[Path, Workspace] = {}

    def workspace_for(project_root: Path) -> Workspace:
        workspace = workspaces.get(project_root)
        if workspace is None:
            # No time budget: a CI run waits for every cross-file answer, so its findings and fix
            # labels never depend on how loaded the machine is (the editor re-publishes instead).
            workspace = workspaces[project_root] = Workspace(project_root, time_budget=None)
        return workspace

    cache = ResultCache(disabled=args.no_cache or from_stdin)  # cache.py: findings of unchanged files
    findings: list[FileFindings] = []
    diffs: list[str] = []
    applied: list[tuple[str, dict[str, int]]] = []
    fixed_total = noqa_added = 0
    written: set[str] = set()  # --fix: files changed (fixes of helpers change other files too)
    write_failed = False
    reported: dict[str, tuple[int, Path]] = {}  # resolved path -> (its entry in findings, the target)
    virtual: dict[str, str] = {}  # --diff: path -> the text fixes gave it, not written
    originals: dict[str, str] = {}  # --diff: path -> its text before the first fix (in the order met)
    shown_as: dict[str, str] = {}  # --diff: a checked file's path as given on the command line
    stdout_source: str | None = None
    if not fixing and not from_stdin:  # many files: checked on every core first (parallel.py)
        cache.prefetch([(path, settings_of[path], settings_of[path].project_root or root) for path in targets],
                       workspace_for)
    for path in targets:
        settings = settings_of[path]
        display = str(path)
        try:
            text = sys.stdin.read() if from_stdin else virtual.get(str(path.resolve())) or read_source(path)
        except UnreadableFile as exc:
            print(f"lime-task-lint: {path}: {exc}; skipped", file=sys.stderr)
            continue
        project_root = settings.project_root or root
        workspace = workspace_for(project_root)
        if fixing:
            from .checker import check  # only here: a run answered from the cache imports no rule code
            from .fixer import fix_text

            # A fix of a helper in another module edits that file too (not for stdin: its
            # fixed source is the output, and no other file may change behind it).
            result = fix_text(text, settings, path=display, unsafe=args.unsafe_fixes or None, root=project_root,
                              workspace=workspace, other_files=not from_stdin)
            if args.diff:
                document = SourceDocument(text, display)
                violations = check(document, settings, root=project_root, workspace=workspace).violations
                # Nothing is written: later files are fixed against the texts fixes gave
                # (the workspace is told), and each file's diff is printed once, at the end.
                shown_as.setdefault(str(path.resolve()), display)
                for changed, new in ((str(path.resolve()), result.text), *result.other_texts.items()):
                    before = virtual.get(changed, text if changed == str(path.resolve()) else None)
                    if before is None:
                        before = current_text(changed, workspace) or ""
                    originals.setdefault(changed, before)
                    virtual[changed] = new
                    workspace.set_text(changed, new)
            elif from_stdin:
                stdout_source = result.text
                fixed_total += sum(result.applied.values())
                applied.append((display, dict(result.applied)))
                document = SourceDocument(result.text, display)
                violations = result.remaining
            else:
                # The other files first: a helper that gained a keyword with a default
                # still serves every caller, while a caller passing it to a helper
                # without it would fail.  A file that cannot be written stops this
                # file's fixes there, reported, never a half-applied fix.
                document = SourceDocument(result.text, display)
                violations = result.remaining
                try:
                    for other, new in result.other_texts.items():
                        write_atomically(Path(other), new)
                        written.add(other)
                    if result.text != text:
                        write_atomically(path, result.text)
                        written.add(str(path.resolve()))
                except OSError as exc:
                    print(f"lime-task-lint: {exc.filename or path}: cannot write ({exc.strerror or exc}); "
                          f"the fixes of {display} are not applied", file=sys.stderr)
                    write_failed = True
                    document = SourceDocument(text, display)
                    violations = check(document, settings, root=project_root, workspace=workspace).violations
                else:
                    fixed_total += sum(result.applied.values())
                    applied.append((display, dict(result.applied)))
                    # A file reported earlier in this run that these fixes changed: its
                    # findings are those of its new text.
                    for other, new in result.other_texts.items():
                        earlier = reported.get(other)
                        if earlier is not None:
                            other_settings = settings_of[earlier[1]]
                            refreshed = check(SourceDocument(new, findings[earlier[0]].path), other_settings,
                                              root=other_settings.project_root or root, workspace=workspace)
                            findings[earlier[0]] = FileFindings(findings[earlier[0]].path, refreshed.document.index,
                                                                refreshed.violations)
        else:
            # The same workspace as --fix and the editor, so CI reports what the editor
            # shows; jedi starts only for a question that needs another file.
            document = SourceDocument(text, display)
            violations = cache.violations(document, settings, root=project_root, workspace=workspace)
            if from_stdin and args.fix:
                stdout_source = text  # configuration errors: the source goes back unchanged
            if args.add_noqa and writing and violations:
                new_text, added = _add_noqa(text, violations)
                if new_text != text:
                    write_atomically(path, new_text)
                    noqa_added += added
        if not from_stdin:
            reported[str(path.resolve())] = (len(findings), path)
        findings.append(FileFindings(display, document.index, violations))

    fixed_files = len(written)
    for changed, before in originals.items():
        if virtual[changed] != before:
            shown = shown_as.get(changed) or shown_path(changed)
            diffs.append("".join(difflib.unified_diff(
                before.splitlines(keepends=True), virtual[changed].splitlines(keepends=True),
                fromfile=f"a/{shown}", tofile=f"b/{shown}")))
    if args.add_noqa:
        print(f"Added {noqa_added} noqa directive{'s' if noqa_added != 1 else ''}.", file=sys.stderr)
        return EXIT_ERROR if config_error else EXIT_CLEAN
    if args.diff:
        report = "".join(diffs)
    elif args.statistics:
        report = format_statistics(findings, args.format)
    else:
        report = FORMATTERS[args.format]([f for f in findings if f.violations] if args.format != "sarif"
                                         else findings)
    if args.fix and not args.diff and args.format == "text" and not args.statistics:
        summary = format_fixed(applied) if args.show_fixes else (
            f"Fixed {fixed_total} problem{'s' if fixed_total != 1 else ''} in {fixed_files} "
            f"file{'s' if fixed_files != 1 else ''}." if fixed_total and not from_stdin else "")
        report = "\n".join(part for part in (report, summary) if part)
    if stdout_source is not None:
        # `check - --fix`: the fixed source is the output (editors and pre-commit replace the buffer with it).
        sys.stdout.write(stdout_source)
        if report and args.output_file is None:
            print(report, file=sys.stderr)
    if args.output_file is not None:
        _write_output(Path(args.output_file), report + "\n" if report else "")
    elif report and stdout_source is None:
        if args.diff:
            sys.stdout.write(report)
        else:
            print(report)
    if config_error or write_failed:
        return EXIT_ERROR
    if args.diff:
        return EXIT_FINDINGS if diffs and not args.exit_zero else EXIT_CLEAN
    remaining = sum(len(f.violations) for f in findings)
    if remaining and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
