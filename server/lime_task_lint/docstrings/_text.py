"""Docstring text: literal splitting, style detection, sections and entries.

The docstring itself has no syntax tree, so it needs text processing, but it
is kept structured: a docstring is split into lines, the lines into sections
(google ``Args:``, numpy ``Parameters`` + underline) or a field list
(sphinx ``:param x:``), and sections into entries that remember which lines
they came from and where their type is written.  An update can then keep
every line the author wrote and only splice a type, rename a header or
insert/drop whole entries.

All positions are in *dedented* coordinates: ``lines[i]`` is the i-th line
of the literal's body without the docstring's common indentation.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

PLACEHOLDER = "TODO:"
TASK_RETURNS = "The task's summary: a short result stored in the task status."
TASK_APP = "The Lime application."

GOOGLE_TITLES = {
    "args": "param",
    "arguments": "param",
    "parameters": "param",
    "params": "param",
    "keyword args": "param",
    "keyword arguments": "param",
    "other parameters": "param",
    "returns": "returns",
    "return": "returns",
    "yields": "yields",
    "yield": "yields",
    "raises": "raises",
    "raise": "raises",
    "exceptions": "raises",
}
NUMPY_TITLES = {
    "parameters": "param",
    "params": "param",
    "other parameters": "param",
    "returns": "returns",
    "yields": "yields",
    "raises": "raises",
}
OTHER_TITLES = {
    "attention", "attributes", "caution", "danger", "error", "example",
    "examples", "hint", "important", "methods", "note", "notes", "receives",
    "references", "see also", "tip", "todo", "warning", "warnings", "warns",
}  # fmt: skip
# Sections conventionally placed after Args/Returns/Raises: new managed
# sections are inserted before the first of these.
LATE_TITLES = {
    "example", "examples", "note", "notes", "references", "see also", "todo",
    "warning", "warnings",
}  # fmt: skip
SPHINX_KINDS = {
    "param": "param",
    "parameter": "param",
    "arg": "param",
    "argument": "param",
    "key": "param",
    "keyword": "param",
    "type": "type",
    "returns": "returns",
    "return": "returns",
    "rtype": "rtype",
    "yields": "yields",
    "yield": "yields",
    "ytype": "ytype",
    "raises": "raises",
    "raise": "raises",
    "except": "raises",
    "exception": "raises",
}
NEW_TITLES = {
    "google": {"param": "Args", "returns": "Returns", "yields": "Yields", "raises": "Raises"},
    "numpy": {"param": "Parameters", "returns": "Returns", "yields": "Yields", "raises": "Raises"},
}

_HEADER_RE = re.compile(r"([A-Za-z][A-Za-z ]*?)\s*:\s*$")
_UNDERLINE_RE = re.compile(r"\s*-{3,}\s*$")
_FIELD_RE = re.compile(r":([^:\s][^:]*):")
_SPHINX_RE = re.compile(
    r"\s*:(" + "|".join(sorted(SPHINX_KINDS, key=len, reverse=True)) + r")(\s[^:]*)?:"
)
# Python identifiers are Unicode (``会社_ids``, ``año``): a letter or ``_`` (any
# word character but a digit), then word characters.
_NAME_RE = re.compile(r"(\\?\*){0,2}[^\W\d]\w*")
_DOTTED_RE = re.compile(r"[^\W\d][\w.]*")


# --------------------------------------------------------------------------
# Literal and lines
# --------------------------------------------------------------------------


@dataclass
class Literal:
    prefix: str  # "", "r", "R", "u"...
    quote: str  # '"""', "'''", '"' or "'"
    body: str

    @property
    def raw(self) -> bool:
        return "r" in self.prefix.lower()


def split_literal(source: str) -> Literal:
    """Split the source text of a string literal into prefix, quote, body."""
    i = 0
    while i < len(source) and source[i] not in "'\"":
        i += 1
    prefix, rest = source[:i], source[i:]
    if not prefix.isalpha() and prefix:
        raise ValueError(f"not a string literal: {source[:40]!r}")
    if "f" in prefix.lower() or "b" in prefix.lower():
        raise ValueError("f-strings and bytes are not docstrings")
    for quote in ('"""', "'''", '"', "'"):
        if rest.startswith(quote) and rest.endswith(quote) and len(rest) >= 2 * len(quote):
            body = rest[len(quote) : len(rest) - len(quote)]
            if quote in body and len(quote) == 3:
                # An implicit concatenation such as '"""a""" """b"""'.
                raise ValueError("implicitly concatenated literals are not supported")
            return Literal(prefix, quote, body)
    raise ValueError(f"not a single string literal: {source[:40]!r}")


def escape(text: str, literal_raw: bool, quote: str) -> str:
    """Make generated text safe inside the literal (content the author did not write)."""
    if not literal_raw:
        text = text.replace("\\", "\\\\")
        if len(quote) == 3 and quote in text:
            text = text.replace(quote, "\\" + quote[0] * 3)
    elif len(quote) == 3 and quote in text:
        # A raw literal has no escapes: a backslash breaks the run of quotes
        # (and stays in the text), the only way the literal still parses.
        text = text.replace(quote, quote[:2] + "\\" + quote[0])
    return text


_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


def newline_of(text: str, default: str) -> str:
    """The newline of a docstring body: its only one, else (mixed endings,
    which Python reads alike) the file's when the body uses it."""
    found = set(_NEWLINE_RE.findall(text))
    if len(found) > 1 and default in found:
        return default
    if "\r\n" in text:
        return "\r\n"
    if "\n" in text:
        return "\n"
    if "\r" in text:
        return "\r"
    return default


def _leading_ws(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


@dataclass
class Lines:
    """The lines of a docstring body, dedented, with the raw originals."""

    raw: list[str]  # content lines as written (closing line excluded)
    lines: list[str]  # dedented
    indent: str  # common indentation of lines 1..n ("" when unknown)
    closing: str | None  # raw whitespace before the closing quotes, own line
    newline: str


def split_lines(body: str, default_newline: str = "\n") -> Lines:
    newline = newline_of(body, default_newline)
    raw = _NEWLINE_RE.split(body)  # every ending Python's tokenizer accepts
    closing = None
    if len(raw) > 1 and raw[-1].strip() == "":
        closing = raw.pop()
    rest = [ln for ln in raw[1:] if ln.strip()]
    indent = ""
    if rest:
        indent = _leading_ws(rest[0])
        for ln in rest[1:]:
            ws = _leading_ws(ln)
            k = 0
            while k < min(len(ws), len(indent)) and ws[k] == indent[k]:
                k += 1
            indent = indent[:k]
    lines = [raw[0].strip()] if raw else [""]
    for ln in raw[1:]:
        lines.append(ln[len(indent) :].rstrip() if ln.strip() else "")
    return Lines(raw, lines, indent, closing, newline)


def cleaned_lines(docstring: str) -> list[str]:
    """Dedented lines of a (cooked) docstring, for style detection."""
    return split_lines(docstring).lines


# --------------------------------------------------------------------------
# Style detection
# --------------------------------------------------------------------------


def _is_numpy_header(lines: list[str], i: int) -> bool:
    return (
        i + 1 < len(lines)
        and bool(lines[i].strip())
        and not lines[i].startswith((" ", "\t"))
        and not _UNDERLINE_RE.fullmatch(lines[i])
        and bool(_UNDERLINE_RE.fullmatch(lines[i + 1]))
    )


def _google_title(line: str) -> str | None:
    if line.startswith((" ", "\t")):
        return None
    m = _HEADER_RE.fullmatch(line)
    if m and (m.group(1).lower() in GOOGLE_TITLES or m.group(1).lower() in OTHER_TITLES):
        return m.group(1)
    return None


def detect_lines(lines: list[str]) -> str | None:
    if any(_is_numpy_header(lines, i) for i in range(len(lines))):
        return "numpy"
    if any(_SPHINX_RE.match(ln) for ln in lines):
        return "sphinx"
    if any(_google_title(ln) for ln in lines[1:]):
        return "google"
    return None


# --------------------------------------------------------------------------
# Entries and sections
# --------------------------------------------------------------------------


@dataclass
class Entry:
    """One documented parameter, result or exception."""

    kind: str  # "param" | "returns" | "yields" | "raises"
    name: str | None
    type: str | None
    lines: list[int]  # line indexes, in order (sphinx: param + type fields)
    type_span: tuple[int, int, int] | None = None  # (line, start, end)
    kind_spans: list[tuple[int, int, int]] = field(default_factory=list)  # sphinx field names
    container: int = 0  # index of the section holding it
    optional: str = ""  # ", optional" suffix written after the type


@dataclass
class Section:
    kind: str  # "param" | "returns" | "yields" | "raises" | "other"
    title: str
    start: int
    body_start: int
    end: int  # exclusive; trailing blank lines excluded
    entry_indent: str = ""
    preamble: list[int] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    @property
    def late(self) -> bool:
        return self.title.lower() in LATE_TITLES


@dataclass
class Parsed:
    style: str | None
    text: Lines
    sections: list[Section] = field(default_factory=list)  # google / numpy
    entries: list[Entry] = field(default_factory=list)
    field_region: tuple[int, int] | None = None  # sphinx [start, end)
    fields: list[tuple[int, int, str, str | None]] = field(default_factory=list)


def _end_without_blanks(lines: list[str], start: int, end: int) -> int:
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end


_OPTIONAL_RE = re.compile(r"\s*,?\s*\boptional\s*$")


def _set_type(entry: Entry, line: int, text: str, start: int, end: int) -> None:
    """Record the type written at text[start:end], splitting off ', optional'."""
    written = text[start:end]
    m = _OPTIONAL_RE.search(written)
    if m and m.start() > 0:
        entry.optional = written[m.start() :]
        end = start + m.start()
        written = written[: m.start()]
    elif m:  # just "optional": no type written
        entry.optional = written
        return
    if written.strip():
        entry.type = written.strip()
        lead = len(written) - len(written.lstrip())
        entry.type_span = (line, start + lead, start + lead + len(written.strip()))


def _closing_bracket(text: str, i: int) -> int:
    """Index of the bracket closing the one at text[i], or -1."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] in "([{":
            depth += 1
        elif text[j] in ")]}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _colon_at_depth0(text: str) -> int:
    depth = 0
    for j, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ":" and depth == 0 and (j + 1 == len(text) or text[j + 1] in " \t"):
            return j
    return -1


def _google_entry(kind: str, text: str, line: int) -> Entry | None:
    """Parse 'name (type): desc' / 'Name: desc' at the start of an entry line."""
    if kind == "param":
        m = _NAME_RE.match(text)
        if not m:
            return None
        entry = Entry(kind, m.group(0), None, [line])
        j = m.end()
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] == "(":
            close = _closing_bracket(text, j)
            if close < 0:
                return None
            _set_type(entry, line, text, j + 1, close)
            j = close + 1
        if text[j : j + 1] != ":":
            return None
        return entry
    m = _DOTTED_RE.match(text)
    if not m or text[m.end() : m.end() + 1] not in (":", ""):
        return None
    return Entry(kind, m.group(0), None, [line])


def _result_type(entry: Entry, text: str, line: int, style: str) -> None:
    """The type of a Returns/Yields entry's first line, if one is written."""
    if style == "google":
        colon = _colon_at_depth0(text)
        if colon <= 0:
            return
        candidate = text[:colon]
        if candidate == PLACEHOLDER[:-1] or any(
            ch in " \t" for ch in _strip_brackets(candidate)
        ):
            return
        _set_type(entry, line, text, 0, colon)
        return
    # numpy: 'type' or 'name : type'; a sentence is a description.
    if text.rstrip().endswith(".") or text.startswith(PLACEHOLDER):
        return
    sep = text.find(" : ")
    start = sep + 3 if sep >= 0 else 0
    _set_type(entry, line, text, start, len(text))


def _strip_brackets(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _numpy_entry(kind: str, text: str, line: int) -> Entry:
    if kind in ("param", "raises"):
        sep = text.find(":")
        name = (text[:sep] if sep >= 0 else text).strip()
        entry = Entry(kind, name, None, [line])
        if kind == "param" and sep >= 0:
            _set_type(entry, line, text, sep + 1, len(text))
        return entry
    return Entry(kind, None, None, [line])


def parse_sections(lines: list[str], style: str) -> list[Section]:
    titles = GOOGLE_TITLES if style == "google" else NUMPY_TITLES
    heads: list[tuple[int, str, int]] = []  # (line, title, header line count)
    for i in range(1, len(lines)):
        if style == "numpy" and _is_numpy_header(lines, i):
            heads.append((i, lines[i].strip(), 2))
        elif style == "google":
            title = _google_title(lines[i])
            if title:
                heads.append((i, title, 1))
    sections = []
    for n, (start, title, count) in enumerate(heads):
        limit = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        body_start = start + count
        end = body_start
        if style == "google":
            while end < limit and (not lines[end].strip() or lines[end][:1] in " \t"):
                end += 1
        else:
            end = limit
        end = _end_without_blanks(lines, body_start, end)
        sec = Section(titles.get(title.lower(), "other"), title, start, body_start, end)
        if sec.kind != "other":
            _parse_entries(sec, lines, style, len(sections))
        sections.append(sec)
    return sections


def _parse_entries(sec: Section, lines: list[str], style: str, index: int) -> None:
    body = [i for i in range(sec.body_start, sec.end)]
    first = next((i for i in body if lines[i].strip()), None)
    if first is None:
        return
    sec.entry_indent = _leading_ws(lines[first])
    if sec.kind in ("returns", "yields") and style == "google":
        entry = Entry(sec.kind, None, None, body, container=index)
        _result_type(entry, lines[first][len(sec.entry_indent) :], first, style)
        if entry.type_span:
            ln, s, e = entry.type_span
            k = len(sec.entry_indent)
            entry.type_span = (ln, s + k, e + k)
        sec.entries.append(entry)
        return
    current: Entry | None = None
    for i in body:
        text = lines[i]
        starts = bool(text.strip()) and _leading_ws(text) == sec.entry_indent
        entry = None
        if starts:
            content = text[len(sec.entry_indent) :]
            if style == "google":
                entry = _google_entry(sec.kind, content, i)
            else:
                entry = _numpy_entry(sec.kind, content, i)
            if entry is not None and entry.type_span:
                ln, s, e = entry.type_span
                entry.type_span = (ln, s + len(sec.entry_indent), e + len(sec.entry_indent))
        if entry is not None:
            entry.container = index
            sec.entries.append(entry)
            current = entry
        elif current is not None:
            current.lines.append(i)
        else:
            sec.preamble.append(i)
    for entry in sec.entries:
        while len(entry.lines) > 1 and not lines[entry.lines[-1]].strip():
            entry.lines.pop()
    if style == "numpy" and sec.kind in ("returns", "yields"):
        # One entry for the whole section: the result is documented once.
        merged = Entry(sec.kind, None, None, [i for i in body if i not in sec.preamble])
        merged.container = index
        if len(sec.entries) == 1:
            first_line = sec.entries[0].lines[0]
            _result_type(merged, lines[first_line], first_line, style)
        sec.entries = [merged]
        _trim(merged, lines)


def _trim(entry: Entry, lines: list[str]) -> None:
    while len(entry.lines) > 1 and not lines[entry.lines[-1]].strip():
        entry.lines.pop()


def parse_fields(lines: list[str]) -> tuple[tuple[int, int] | None, list[Entry], list]:
    """Sphinx field list: region, entries, and every field (start, end, kind, arg)."""
    start = next(
        (i for i in range(1, len(lines)) if lines[i].startswith(":") and _FIELD_RE.match(lines[i])),
        None,
    )
    if start is None:
        return None, [], []
    fields: list[tuple[int, int, str, str | None, re.Match]] = []
    i = start
    while i < len(lines):
        m = _FIELD_RE.match(lines[i]) if lines[i].startswith(":") else None
        if m is None:
            if lines[i].strip() and not lines[i].startswith((" ", "\t")):
                break
            i += 1
            continue
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j][:1] in " \t"):
            j += 1
        end = _end_without_blanks(lines, i + 1, j)
        fields.append((i, max(end, i + 1), m))
        i = j
    region = (start, fields[-1][1]) if fields else None
    entries: list[Entry] = []
    params: dict[str, Entry] = {}
    results: dict[str, Entry] = {}
    simple: list[tuple[int, int, str, str | None]] = []
    for fstart, fend, m in fields:
        spec = m.group(1)
        words = spec.split()
        kind = SPHINX_KINDS.get(words[0].lower(), "other")
        arg = words[-1] if len(words) > 1 else None
        span = (fstart, m.start(1), m.start(1) + len(words[0]))
        rng = list(range(fstart, fend))
        simple.append((fstart, fend, kind, arg))
        text = lines[fstart]
        if kind in ("param", "type") and arg:
            key = _norm_name(arg)
            entry = params.get(key)
            if entry is None:
                entry = Entry("param", arg, None, [])
                params[key] = entry
                entries.append(entry)
            entry.lines += rng
            if kind == "param" and len(words) > 2:  # ':param int x:'
                tstart = m.start(1) + spec.index(words[1], len(words[0]))
                tend = m.start(1) + spec.rindex(words[-1])
                _set_type(entry, fstart, text, tstart, tend)
            elif kind == "type":
                _set_type(entry, fstart, text, m.end(), len(text))
        elif kind in ("returns", "rtype", "yields", "ytype"):
            rkind = "returns" if kind in ("returns", "rtype") else "yields"
            entry = results.get(rkind)
            if entry is None:
                entry = Entry(rkind, None, None, [])
                results[rkind] = entry
                entries.append(entry)
            entry.lines += rng
            entry.kind_spans.append(span)
            if kind in ("rtype", "ytype"):
                _set_type(entry, fstart, text, m.end(), len(text))
        elif kind == "raises":
            name = arg
            if name is None:  # ':raises: ValueError'
                rest = text[m.end() :].strip()
                name = rest.split()[0] if rest else None
            entries.append(Entry("raises", name, None, rng))
    for entry in entries:
        entry.lines.sort()
    return region, entries, simple


def parse(text: Lines, style: str | None) -> Parsed:
    parsed = Parsed(style, text)
    if style in ("google", "numpy"):
        parsed.sections = parse_sections(text.lines, style)
        parsed.entries = [e for s in parsed.sections for e in s.entries]
    elif style == "sphinx":
        parsed.field_region, parsed.entries, parsed.fields = parse_fields(text.lines)
    return parsed


# --------------------------------------------------------------------------
# Normalisation (comparing what is written with what the code says)
# --------------------------------------------------------------------------

_ROLE_RE = re.compile(r":[\w:]+:`~?([^`]*)`")


def _norm_name(name: str | None) -> str:
    return (name or "").replace("\\", "").strip("`").lstrip("*")


def norm_name(name: str | None) -> str:
    return _norm_name(name)


_ALIASES = {"List": "list", "Dict": "dict", "Set": "set", "FrozenSet": "frozenset",
            "Tuple": "tuple", "Type": "type"}  # fmt: skip


class _Canonical(ast.NodeTransformer):
    """Spellings of the same type compare equal: an author who wrote
    ``pathlib.Path`` or ``Optional[List[int]]`` where the annotation says
    ``Path`` or ``list[int] | None`` is not out of date."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        return self.visit(ast.Name(node.attr))  # drop module qualifiers

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(_ALIASES.get(node.id, node.id))

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str):  # forward reference
            try:
                return self.visit(ast.parse(node.value.strip(), mode="eval").body)
            except SyntaxError:
                pass
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        node = self.generic_visit(node)  # type: ignore[assignment]
        name = node.value.id if isinstance(node.value, ast.Name) else None
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if name == "Optional":
            return self._union([*args, ast.Constant(None)])
        if name == "Union":
            return self._union(args)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.generic_visit(node)  # type: ignore[assignment]
        if isinstance(node.op, ast.BitOr):
            return self._union([node.left, node.right])
        return node

    def _union(self, members: list[ast.expr]) -> ast.AST:
        flat: set[str] = set()
        for m in members:
            text = ast.unparse(m)
            flat.update(text.split(" | ") if isinstance(m, ast.BinOp) else [text])
        return ast.Name(" | ".join(sorted(flat)))


def norm_type(text: str | None) -> str:
    text = _ROLE_RE.sub(r"\1", (text or "").replace("\\", "")).strip().strip("`")
    text = _OPTIONAL_RE.sub("", text)
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return "".join(text.split())
    return ast.unparse(_Canonical().visit(tree))


# --------------------------------------------------------------------------
# Rendering new text (dedented lines; the caller adds indentation/escapes)
# --------------------------------------------------------------------------


def summary_placeholder(name: str) -> str:
    return f"{PLACEHOLDER} Summarise what {name} does."


def render_header(style: str, kind: str) -> list[str]:
    title = NEW_TITLES[style][kind]
    if style == "google":
        return [title + ":"]
    return [title, "-" * len(title)]


def render_entry(
    style: str,
    kind: str,
    name: str | None,
    type_: str | None,
    desc: str,
    entry_indent: str,
    unit: str,
) -> list[str]:
    """Lines of one new entry (sphinx: its fields)."""
    if style == "google":
        if kind == "param":
            head = f"{name} ({type_})" if type_ else f"{name}"
            return [f"{entry_indent}{head}: {desc}"]
        if kind == "raises":
            return [f"{entry_indent}{name}: {desc}"]
        return [f"{entry_indent}{type_}: {desc}" if type_ else f"{entry_indent}{desc}"]
    if style == "numpy":
        if kind == "param":
            return [f"{name} : {type_}" if type_ else f"{name}", f"{unit}{desc}"]
        if kind == "raises":
            return [f"{name}", f"{unit}{desc}"]
        return [type_, f"{unit}{desc}"] if type_ else [desc]
    # sphinx
    if kind == "param":
        out = [f":param {name}: {desc}"]
        if type_:
            out.append(f":type {name}: {type_}")
        return out
    if kind == "raises":
        return [f":raises {name}: {desc}"]
    field_name, type_name = ("returns", "rtype") if kind == "returns" else ("yields", "ytype")
    out = [f":{field_name}: {desc}"]
    if type_:
        out.append(f":{type_name}: {type_}")
    return out
