"""Property: every SAFE LIME306 / LIME303 fix logs the same text as the original.

Hypothesis composes log calls from the shapes the fixes convert (f-strings,
``.format(...)``, ``"..." % (...)`` and messages missing their ``f``), with
format specs drawn from the whole format mini-language (fill, alignment, sign,
``#``, ``0``, width, grouping, precision, type) and conversions, over values
whose kind the code proves (``int()``, ``float()``, ``str()``, ``Decimal()``,
``len()``) or does not (a parameter).  Each generated module is linted; when
the fix is SAFE, the original and the fixed module run on generated values
(None, Decimal, negative numbers, text with ``%`` and braces, NaN...) and
must give the same records (level, message text) and raise the same exception
at the call.  For LIME303 the reference is the message with its ``f``: what
the author meant.

``derandomize=True`` makes every run try the same examples;
``LIME_FUZZ_EXAMPLES=N`` tries more, ``LIME_FUZZ_RANDOM=1`` a new seed each run.
"""

from __future__ import annotations

import logging
import os
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Applicability
from lime_task_lint.fixer import fix_text
from lime_task_lint.settings import Settings

EXAMPLES = int(os.environ.get("LIME_FUZZ_EXAMPLES", "60"))
FIXED_SEED = os.environ.get("LIME_FUZZ_RANDOM") != "1"
fuzz = settings(derandomize=FIXED_SEED, max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

#: How a field's variable is bound: the expression over the raw value ``raw``.
BINDINGS = {
    "int": "int(raw)",
    "float": "float(raw)",
    "text": "str(raw)",
    "decimal": "Decimal(raw)",
    "size": "len(str(raw))",
    "unknown": "raw",
}
RAW_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.integers(-10**30, 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=False, places=3),
    st.text(alphabet="ab%{}-+ 0.5é", max_size=6),
)

FILL_ALIGN = st.sampled_from(["", "<", ">", "^", "=", " <", "*>", "0=", "0<", "0>"])
SIGN = st.sampled_from(["", "+", "-", " "])
ALT = st.sampled_from(["", "#"])
ZERO = st.sampled_from(["", "0"])
WIDTH = st.sampled_from(["", "1", "6", "12"])
GROUPING = st.sampled_from(["", "", ",", "_"])
PRECISION = st.sampled_from(["", "", ".0", ".2", ".5"])
TYPE = st.sampled_from(["", "", "d", "s", "f", "F", "e", "g", "G", "x", "X", "o", "%", "n", "c"])
SPECS = st.builds(lambda *parts: "".join(parts), FILL_ALIGN, SIGN, ALT, ZERO, WIDTH, GROUPING, PRECISION, TYPE)
CONVERSIONS = st.sampled_from(["", "", "", "!r", "!s", "!a"])
TEXT = st.text(alphabet="ab %{}:", max_size=5).map(lambda t: t.replace("{", "{{").replace("}", "}}"))


@st.composite
def fields(draw):
    kind = draw(st.sampled_from(sorted(BINDINGS)))
    spec = draw(st.one_of(st.just(""), SPECS))
    return kind, draw(CONVERSIONS), spec


@st.composite
def messages(draw):
    parts = draw(st.lists(fields(), min_size=1, max_size=3))
    texts = draw(st.lists(TEXT, min_size=len(parts) + 1, max_size=len(parts) + 1))
    return parts, texts


def _module(parts, texts, shape: str) -> tuple[str, str]:
    """(the linted module, the reference module) for one message shape."""
    lines = []
    for i, (kind, _, _) in enumerate(parts):
        lines.append(f"    v{i} = {BINDINGS[kind].replace('raw', f'raw{i}')}")
    fields = [f"{{v{i}{conv}{':' + spec if spec else ''}}}" for i, (_, conv, spec) in enumerate(parts)]
    body = "".join(t + f for t, f in zip(texts, fields)) + texts[-1]
    reference = f'    logger.info(f"{body}")'
    if shape == "fstring":
        call = reference
    elif shape == "missing_f":
        call = f'    logger.info("{body}")'
    else:  # .format with positional fields
        template = "".join(t + f.replace(f"v{i}", "", 1) for i, (t, f) in enumerate(zip(texts, fields))) + texts[-1]
        call = f'    logger.info("{template}".format({", ".join(f"v{i}" for i in range(len(parts)))}))'
    params = ", ".join(f"raw{i}" for i in range(len(parts)))
    head = ("import logging\nfrom decimal import Decimal\n\nlogger = logging.getLogger('prop')\n\n\n"
            f"def emit({params}):\n")
    return head + "\n".join(lines + [call]) + "\n", head + "\n".join(lines + [reference]) + "\n"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.seen.append((record.levelname, record.getMessage()))
        except Exception as error:  # lost in a real handler: must show as a difference
            self.seen.append(("LOST", type(error).__name__))


def _run(source: str, values: tuple) -> tuple[str | None, list[tuple[str, str]]]:
    namespace: dict = {"__name__": "prop_module"}
    exec(compile(source, "<prop>", "exec"), namespace)  # noqa: S102 - running generated code is the point
    logger = logging.getLogger("prop")
    handler = _Records()
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        namespace["emit"](*values)
        error = None
    except Exception as exc:
        error = type(exc).__name__
    finally:
        logger.handlers[:] = []
    return error, handler.seen


def _check_safe_fix(source: str, reference: str, code: str, values_list: list[tuple]) -> bool:
    found = [v for v in check(SourceDocument(source), Settings(), codes={code}).violations if v.code == code]
    if not found or found[0].fix is None or found[0].fix.applicability is not Applicability.SAFE:
        return False
    fixed = fix_text(source, Settings(), unsafe=False, codes={code}).text
    assert fixed != source
    for values in values_list:
        expected = _run(reference, values)
        assert _run(fixed, values) == expected, f"{fixed}\nvalues={values!r}\nexpected={expected}"
    return True


@fuzz
@given(messages(), st.sampled_from(["fstring", "format", "missing_f"]),
       st.lists(st.tuples(RAW_VALUES, RAW_VALUES, RAW_VALUES), min_size=4, max_size=8))
def test_safe_lazy_fixes_keep_the_message_text(message, shape, raw_values):
    parts, texts = message
    source, reference = _module(parts, texts, shape)
    values = [v[:len(parts)] for v in raw_values]
    _check_safe_fix(source, reference, "LIME303" if shape == "missing_f" else "LIME306", values)


PERCENT_TYPES = st.sampled_from(["s", "r", "a", "d", "i", "5d", "-5d", "+.2f", "x", "e", "06.1f"])


@fuzz
@given(st.lists(st.tuples(st.sampled_from(sorted(BINDINGS)), PERCENT_TYPES), min_size=1, max_size=3),
       st.lists(st.tuples(RAW_VALUES, RAW_VALUES, RAW_VALUES), min_size=4, max_size=8))
def test_safe_percent_fixes_keep_the_message_text(parts, raw_values):
    lines = [f"    v{i} = {BINDINGS[kind].replace('raw', f'raw{i}')}" for i, (kind, _) in enumerate(parts)]
    template = " | ".join(f"%{conversion}" for _, conversion in parts) + " 100%%"
    args = ", ".join(f"v{i}" for i in range(len(parts)))
    params = ", ".join(f"raw{i}" for i in range(len(parts)))
    source = ("import logging\nfrom decimal import Decimal\n\nlogger = logging.getLogger('prop')\n\n\n"
              f"def emit({params}):\n" + "\n".join(lines) + f'\n    logger.info("{template}" % ({args},))\n')
    values = [v[:len(parts)] for v in raw_values]
    _check_safe_fix(source, source, "LIME306", values)


def test_the_generator_reaches_safe_fixes():
    """The properties above prove something only if SAFE fixes occur: a few
    fixed shapes that must be converted safely."""
    cases = [
        ([("int", "", "-6d"), ("text", "!r", ">8")], ["n ", " t ", " 5%"], "fstring"),
        ([("unknown", "", ""), ("size", "", "+05d")], ["", " / ", ""], "format"),
        ([("float", "", ".2e"), ("text", "", "<4")], ["x", "y", "z"], "missing_f"),
    ]
    for parts, texts, shape in cases:
        source, reference = _module(parts, texts, shape)
        values = [(-3, "a%b", 1.5), ("7", Decimal("2.675"), None)]
        values = [tuple(v[:len(parts)]) for v in values]
        code = "LIME303" if shape == "missing_f" else "LIME306"
        safe_values = [(1, "x"), (-42, "%s")] if parts[0][0] == "int" else (
            [(None, "abc"), (Decimal("2.5"), "")] if parts[0][0] == "unknown" else [(2.5, "ab"), (-0.0, "%%")])
        assert _check_safe_fix(source, reference, code, safe_values), source
