"""Docstring engine: generate, parse, update and check docstrings.

Lime's guide asks for a docstring on every task explaining its purpose and how
it works.  The popular VS Code generator (autoDocstring) matches the ``def``
line with regular expressions, lists an exception once per ``raise``, and
cannot update a docstring it wrote earlier.  This engine works from the
syntax tree instead (see :mod:`._analysis`), so it knows:

* parameters in signature order, ``self``/``cls`` skipped for methods,
  positional-only, keyword-only, ``*args``/``**kwargs``; types from
  annotations or safe guesses from defaults;
* whether the function returns a value, is a generator (``Yields``, with
  ``T`` taken from ``Iterator[T]`` and friends) or certainly returns nothing;
* which exceptions escape: each once, including those from same-module
  helpers it calls (to a fixed point), minus those caught by an enclosing
  ``try``; re-raises re-raise what was caught; raises inside nested
  functions belong to those functions;
* for a Lime task (``is_task=True``), that the return value is the task's
  summary stored as the task result;
* what to say about each entry (:mod:`._describe`): a parameter's name in
  words and its first clear use, what is returned or yielded, where an
  exception is raised.  Only the summary is always left for the author.

Existing docstrings (google, numpy or sphinx, detected from the text) are
updated in place: every line the author wrote is kept unless the entry it
belongs to no longer exists; only types are spliced and headers renamed.  An
up-to-date docstring is never rewritten, which keeps the code action and the
LIME403 rule (:func:`stale_reasons`) in agreement.

Nothing here knows about LSP or editors: positions, ranges and settings are
the caller's business.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Literal, Union

from ._analysis import FunctionFacts, RaiseAnalysis, function_facts
from ._describe import Describer
from ._text import (
    PLACEHOLDER,
    TASK_RETURNS,
    Lines,
    Parsed,
    cleaned_lines,
    detect_lines,
    escape,
    parse,
    split_lines,
    split_literal,
    summary_placeholder,
)
from ._update import Output, Plan, apply, decide

__all__ = [
    "PLACEHOLDER",
    "TASK_RETURNS",
    "Style",
    "RaiseAnalysis",
    "detect_style",
    "documents_signature",
    "docstring_node",
    "generate_docstring",
    "raised_exceptions",
    "stale_reasons",
    "update_docstring",
]

Style = Literal["google", "numpy", "sphinx"]
Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]


def detect_style(docstring: str) -> Style | None:
    """Style of a docstring's text (its value, not the literal), or None.

    numpy: a header underlined with dashes; sphinx: ``:param``-like fields;
    google: a known section header such as ``Args:`` alone on its line.
    """
    return detect_lines(cleaned_lines(docstring))  # type: ignore[return-value]


def documents_signature(docstring: str) -> bool:
    """Whether a docstring (its value) has an Args/Parameters, Returns, Yields or
    Raises section, or sphinx ``:param``/``:returns``/``:raises`` fields: the
    parts that can disagree with the code.  A summary, or sections such as
    ``Note:`` or ``Example:`` only, document nothing of the signature."""
    text = split_lines(docstring)
    style = detect_lines(text.lines)
    if style is None:
        return False
    parsed = parse(text, style)
    return bool(parsed.entries) or any(section.kind != "other" for section in parsed.sections)


def raised_exceptions(
    func: Function, module: ast.Module, *, analysis: RaiseAnalysis | None = None
) -> list[str]:
    """Exceptions that may escape ``func``, each once, in first-seen order.

    Pass a shared ``RaiseAnalysis(module)`` when asking about many functions
    of the same module, to reuse helper summaries.
    """
    return (analysis or RaiseAnalysis(module)).raised(func)


def docstring_node(func: Function) -> ast.Constant | None:
    """The docstring literal of ``func``, if it has one."""
    if func.body and isinstance(func.body[0], ast.Expr):
        value = func.body[0].value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value
    return None


def _facts(func, module, is_method, is_task, analysis) -> FunctionFacts:
    return function_facts(func, module, is_method=is_method, is_task=is_task, analysis=analysis)


def _unit(indent: str) -> str:
    return "\t" if "\t" in indent else "    "


def _assemble(prefix: str, quote: str, content: list[str], closing: str | None,
              indent: str, newline: str) -> str:  # fmt: skip
    if len(content) == 1 and closing is None:
        return f"{prefix}{quote}{content[0]}{quote}"
    if len(quote) == 1:
        quote *= 3  # a single-quoted one-liner grew sections
    closing_line = closing if closing is not None else indent
    return prefix + quote + newline.join([*content, closing_line]) + quote


def _render(
    parsed: Parsed,
    plan: Plan,
    describer: Describer,
    *,
    style: str,
    prefix: str,
    quote: str,
    is_task: bool,
    indent: str,
    newline: str,
    described: Mapping[str, str] | None = None,
) -> str:
    text = parsed.text
    has_body_lines = any(ln.strip() for ln in text.raw[1:])
    doc_indent = text.indent if has_body_lines else indent
    out = Output(
        parsed=parsed,
        indent=doc_indent,
        unit=_unit(doc_indent or indent),
        literal_raw="r" in prefix.lower(),
        quote=quote if len(quote) == 3 else quote * 3,
        style=style,
        is_task=is_task,
        plan=plan,
        describer=describer,
        described=dict(described or {}),
    )
    content = apply(out)
    return _assemble(prefix, quote, content, text.closing, doc_indent, newline)


def generate_docstring(
    func: Function,
    module: ast.Module,
    *,
    style: Style = "google",
    is_task: bool = False,
    is_method: bool = False,
    indent: str = "    ",
    newline: str = "\n",
    quote: str = '"""',
    analysis: RaiseAnalysis | None = None,
    described: Mapping[str, str] | None = None,
) -> str:
    """A new docstring literal for ``func``.

    Returns the full literal (prefix and quotes included) to insert as the
    first statement of the body: continuation lines carry ``indent``, the
    first line carries none and there is no trailing newline.  ``quote`` may
    carry a prefix (``'r\"\"\"'``).  The summary is a ``TODO:`` placeholder
    (:data:`PLACEHOLDER`); entries are described from the code (see
    :mod:`._describe`), keeping a placeholder where it says nothing certain.
    A task's Returns entry says that the value is the task's summary, and a
    task's first parameter is described as the Lime application.
    ``described`` maps parameter names to descriptions known without the
    author (e.g. a helper's parameter that holds the application), used
    instead of the derived ones.
    """
    if style not in ("google", "numpy", "sphinx"):
        raise ValueError(f"unknown docstring style {style!r}")
    k = len(quote) - len(quote.lstrip("rRuU"))
    prefix, quote = quote[:k], quote[k:]
    summary = escape(summary_placeholder(func.name), "r" in prefix.lower(), quote)
    parsed = Parsed(None, Lines([summary], [summary], "", None, newline))
    analysis = analysis or RaiseAnalysis(module)
    facts = _facts(func, module, is_method, is_task, analysis)
    plan = decide(facts, [])
    return _render(
        parsed, plan, Describer(func, facts, analysis), style=style, prefix=prefix, quote=quote, is_task=is_task,
        indent=indent, newline=newline, described=described,
    )  # fmt: skip


def update_docstring(
    existing_literal_source: str,
    func: Function,
    module: ast.Module,
    *,
    style: Style = "google",
    is_task: bool = False,
    is_method: bool = False,
    indent: str = "    ",
    newline: str = "\n",
    prune_raises: bool = True,
    analysis: RaiseAnalysis | None = None,
    described: Mapping[str, str] | None = None,
) -> str | None:
    """The updated docstring literal, or None when it is already up to date.

    ``existing_literal_source`` is the exact source text of the docstring
    literal (prefix and quotes included); the result replaces exactly that
    range.  The style is detected from the docstring; ``style`` is used only
    when it has no sections yet.  The prefix (``r``) and quotes are kept (a
    single-quoted one-liner becomes triple-quoted when it grows sections);
    the newline style of the literal wins over ``newline``.  An empty
    docstring is replaced by a generated one.

    Documented exceptions that the function no longer raises are removed;
    pass ``prune_raises=False`` to keep them (the analysis cannot see what
    code from other modules raises).

    Raises:
        ValueError: ``existing_literal_source`` is not a single plain string
            literal (f-strings, bytes and implicit concatenation).
    """
    lit = split_literal(existing_literal_source)
    text = split_lines(lit.body, newline)
    if not any(ln.strip() for ln in text.lines):
        return generate_docstring(
            func, module, style=style, is_task=is_task, is_method=is_method, indent=indent,
            newline=text.newline, quote=lit.prefix + (lit.quote if len(lit.quote) == 3 else lit.quote * 3),
            analysis=analysis, described=described,
        )  # fmt: skip
    detected = detect_lines(text.lines)
    parsed = parse(text, detected)
    analysis = analysis or RaiseAnalysis(module)
    facts = _facts(func, module, is_method, is_task, analysis)
    plan = decide(facts, parsed.entries, prune_raises=prune_raises)
    if not plan.reasons:
        return None
    return _render(
        parsed, plan, Describer(func, facts, analysis), style=detected or style, prefix=lit.prefix, quote=lit.quote,
        is_task=is_task, indent=indent, newline=text.newline, described=described,
    )  # fmt: skip


def stale_reasons(
    func: Function,
    module: ast.Module,
    *,
    is_method: bool = False,
    is_task: bool = False,
    prune_raises: bool = True,
    analysis: RaiseAnalysis | None = None,
) -> list[str]:
    """Why ``func``'s docstring disagrees with its code (empty: up to date).

    Human-readable reasons for the LIME403 rule, e.g. ``"parameter 'x' is not
    documented"``.  A function without a docstring has no stale docstring
    (returns ``[]``); reporting a missing docstring is another rule's job.
    The reasons are exactly those that make :func:`update_docstring` change
    the docstring (given the same ``prune_raises``).
    """
    node = docstring_node(func)
    if node is None:
        return []
    text = split_lines(node.value)
    if not any(ln.strip() for ln in text.lines):
        return ["the docstring is empty"]
    parsed = parse(text, detect_lines(text.lines))
    facts = _facts(func, module, is_method, is_task, analysis)
    return decide(facts, parsed.entries, prune_raises=prune_raises).reasons
