"""The properties every input must satisfy, checked the way the server calls the analysis.

``check_document(text)`` runs :func:`lime_task_lint.analysis.analyse` (what the
server runs on every keystroke), hovers on a sample of offsets, the provided
code actions on a sample of ranges, and the quick fixes of a sample of the
findings, and fails with a message naming the broken property when:

* an exception escapes, or a rule / hover / action provider fails (the checker
  and the extension registries swallow those and log them, so the log is
  watched too: a swallowed failure loses the user's findings);
* an answer takes longer than the time bound (:data:`BOUND_S` seconds for a
  document of normal size, scaled by :func:`bound_for` for huge ones);
* a range lies outside the document, or its LSP position (UTF-16 and UTF-8)
  lies outside its line;
* a fix or provided action does not apply, breaks a module that parsed, adds a
  syntax error to one that did not, or (for a fix) does not remove its own
  finding;
* fix-all is not idempotent (``fix_text`` twice != once).
"""

from __future__ import annotations

import logging
import random
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lime_task_lint.analysis import Analysis, analyse
from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Applicability, Edit, LineIndex, apply_edits, count_syntax_errors, parses
from lime_task_lint.extensions import hover_markdown, provided_actions
from lime_task_lint.fixer import fix_text
from lime_task_lint.framework import all_rules
from lime_task_lint.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

#: Seconds any one answer (analysis, one hover, one action request, one fix
#: check) may take for a document of normal size (up to NORMAL_LINES lines and
#: NORMAL_CHARS characters).  The measured figures are ~100x lower; the margin
#: absorbs a loaded CI machine.
BOUND_S = 2.0
NORMAL_LINES = 10_000
NORMAL_CHARS = 400_000

#: Rule crashes found by the fuzzing in rules owned by other engineers, tolerated
#: here (code -> a substring of the failure) so the suite stays useful; each is a
#: strict xfail in test_regressions.py, which fails as soon as the rule is fixed,
#: and then its entry here must go.
KNOWN_RULE_FAILURES: dict[str, str] = {}

SETTINGS = Settings()
URI = "file:///fuzz/tasks.py"


def bound_for(text: str) -> float:
    """The time bound for ``text``: BOUND_S, scaled linearly past the normal size."""
    scale = max(1.0, text.count("\n") / NORMAL_LINES, len(text) / NORMAL_CHARS)
    return BOUND_S * scale


def corpus() -> list[Path]:
    """Every example file and rule fixture (read at run time, so new rules' fixtures count)."""
    files = sorted((ROOT / "examples").rglob("*.py")) + sorted((ROOT / "tests" / "fixtures" / "rules").glob("*.py"))
    return [f for f in files if f.is_file()]


def corpus_texts() -> list[tuple[str, str]]:
    return [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in corpus()]


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def watched_log():
    """Collects ERROR records of the package (swallowed rule/provider failures)."""
    logger = logging.getLogger("lime_task_lint")
    handler = _Collector()
    logger.addHandler(handler)
    old = logger.level
    if logger.level == logging.NOTSET or logger.level > logging.ERROR:
        logger.setLevel(logging.ERROR)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


@dataclass
class Report:
    analysis: Analysis
    timings: dict[str, float] = field(default_factory=dict)


def _timed(timings: dict, name: str, bound: float, func, *args, **kwargs):
    """``func(...)``, asserting it ends within ``bound`` seconds: a guard against a
    hang or a blow-up (speed targets live in bench/).  Over the bound, it runs
    once more and only the second time counts: a pause of the machine (another
    job, a garbage collection of the whole test session) does not repeat, a
    blow-up does.  ``func`` must not change anything it reads."""
    value = None
    for attempt in (1, 2):
        start = time.perf_counter()
        value = func(*args, **kwargs)
        elapsed = time.perf_counter() - start
        if elapsed <= bound:
            break
    timings[name] = max(timings.get(name, 0.0), elapsed)
    assert elapsed <= bound, f"{name} took {elapsed:.2f}s twice, over the bound of {bound:.2f}s"
    return value


def check_range(text: str, index: LineIndex, start: int, end: int, what: str) -> None:
    assert 0 <= start <= end <= len(text), f"{what}: range {start}..{end} outside the document (0..{len(text)})"
    positions = []
    for offset in (start, end):
        for encoding in ("utf-16", "utf-8"):
            line, character = index.to_lsp(offset, encoding)
            assert 0 <= line < index.line_count, f"{what}: LSP line {line} past the last line"
            line_text = index.line_text(line)
            width = len(line_text.encode("utf-16-le", "surrogatepass")) // 2 if encoding == "utf-16" \
                else len(line_text.encode("utf-8", "surrogatepass"))
            assert 0 <= character <= width, \
                f"{what}: {encoding} position ({line}, {character}) past the line's end ({width})"
            if encoding == "utf-16":
                positions.append((line, character))
    assert positions[0] <= positions[1], f"{what}: LSP start {positions[0]} after end {positions[1]}"


def check_edits(text: str, index: LineIndex, edits, what: str) -> str:
    for edit in edits:
        assert isinstance(edit, Edit), f"{what}: not an Edit: {edit!r}"
        check_range(text, index, edit.start, edit.end, what)
    return apply_edits(text, edits)  # raises on overlapping edits


def _sample_offsets(text: str, analysis: Analysis, rng: random.Random, count: int) -> list[int]:
    offsets = {0, len(text), len(text) // 2}
    offsets.update(v.start for v in analysis.violations[:count])
    offsets.update(rng.randint(0, len(text)) for _ in range(count))
    return sorted(offsets)[: count * 2 + 3]


def check_document(text: str, *, fixes: int = 3, hovers: int = 8, actions: int = 4, fix_all: bool = True,
                   settings: Settings = SETTINGS, bound: float | None = None) -> Report:
    """Check every property on ``text``; returns the analysis for further checks."""
    bound = bound_for(text) if bound is None else bound
    rng = random.Random(zlib.crc32(text.encode("utf-8", "surrogatepass")))
    timings: dict[str, float] = {}
    with watched_log() as errors:
        analysis = _timed(timings, "analyse", bound, analyse, URI, text, settings, path="/fuzz/tasks.py", version=1)
        document = analysis.document
        assert document.text == text
        index = document.index
        failed = [n for n in analysis.result.notes if " failed: " in n and not _known(n)]
        assert not failed, f"a rule failed: {failed}"
        registered = set(all_rules().codes())
        was_valid = parses(text)
        for violation in analysis.violations:
            assert violation.code in registered, violation
            check_range(text, index, violation.start, violation.end, f"{violation.code} diagnostic")
            if violation.fix is not None:
                check_edits(text, index, violation.fix.edits, f"{violation.code} fix")

        for offset in _sample_offsets(text, analysis, rng, hovers):
            markdown = _timed(timings, "hover", bound, hover_markdown, analysis, offset)
            assert markdown is None or isinstance(markdown, str)

        ranges = {(0, 0), (0, len(text))}
        ranges.update((v.start, v.end) for v in analysis.violations[:actions])
        for _ in range(actions):
            a, b = rng.randint(0, len(text)), rng.randint(0, len(text))
            ranges.add((min(a, b), max(a, b)))
        for start, end in sorted(ranges):
            for action in _timed(timings, "actions", bound, provided_actions, analysis, start, end):
                result = check_edits(text, index, action.edits, f"action {action.title!r}")
                if was_valid:
                    assert parses(result), f"action {action.title!r} breaks the module"

        fixable = [v for v in analysis.violations
                   if v.fix is not None and v.fix.applicability is not Applicability.DISPLAY_ONLY]
        for violation in rng.sample(fixable, min(fixes, len(fixable))):
            _timed(timings, "fix", bound * 3, check_fix, text, violation, settings)  # three analyses

        if fix_all:
            _timed(timings, "fix-all", bound * 4, check_fix_all, text, settings)
        errors = [r for r in errors if not _known(f"{r.getMessage()} {r.exc_info and r.exc_info[1]!r}")]
        assert not errors, "logged errors: " + "; ".join(
            f"{r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage() for r in errors)
    return Report(analysis, timings)


def _known(message: str) -> bool:
    """A rule failure listed in KNOWN_RULE_FAILURES (a checker note or a log line plus its exception)."""
    return any(message.startswith(code + " failed") and needle in message
               for code, needle in KNOWN_RULE_FAILURES.items())


def check_fix(text: str, violation, settings: Settings = SETTINGS) -> None:
    what = f"{violation.code} fix {violation.fix.title!r}"
    fixed = apply_edits(text, violation.fix.edits)
    if parses(text):
        assert parses(fixed), f"{what} breaks a module that parsed:\n{fixed}"
    else:
        assert count_syntax_errors(fixed) <= count_syntax_errors(text), f"{what} adds a syntax error"
    # Its own finding must be gone: no finding of that code left where the flagged
    # text went.  (Counting findings is not enough: a fix may rightly reveal
    # others, e.g. adding `import logging` makes a `logging.getLogger` logger real.)
    low = _mapped(violation.fix.edits, violation.start, inner=False)
    high = _mapped(violation.fix.edits, violation.end, inner=True)
    left = [v for v in check(SourceDocument(fixed), settings, codes={violation.code}).violations
            if low <= v.start <= max(low, high) and (v.start < high or v.start == low)]
    assert not left, f"{what} does not remove its finding: {[(v.start, v.message) for v in left]}"


def _mapped(edits, offset: int, inner: bool) -> int:
    """Where ``offset`` of the original text lies after ``edits``; an offset inside a
    replaced span goes to the start of its replacement (or the end when ``inner``)."""
    shift = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        delta = len(edit.new_text) - (edit.end - edit.start)
        if edit.end <= offset and not (edit.start == edit.end == offset):
            shift += delta
        elif edit.start < offset < edit.end or (edit.start == offset and edit.end > offset):
            return edit.start + shift + (len(edit.new_text) if inner else 0)
    return offset + shift


def check_fix_all(text: str, settings: Settings = SETTINGS) -> None:
    once = fix_text(text, settings, unsafe=True)
    if parses(text):
        assert parses(once.text), "fix-all breaks a module that parsed"
    twice = fix_text(once.text, settings, unsafe=True)
    assert twice.text == once.text, "fix-all is not idempotent: a second run changes the text again"
