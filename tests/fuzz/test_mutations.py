"""Hypothesis: random edits of the corpus, run with a fixed seed in CI.

``derandomize=True`` makes every CI run try the same examples (a failure
reproduces); ``LIME_FUZZ_EXAMPLES=2000`` tries more locally, and
``LIME_FUZZ_RANDOM=1`` a new random seed each run (longer runs that explore
beyond the CI examples; a failure prints its whole input).  The hypothesis
deadline is off: the time bound of :mod:`.properties` is the one that counts,
and it is about one answer, not one whole example.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings, strategies as st

from .properties import check_document, corpus_texts

EXAMPLES = int(os.environ.get("LIME_FUZZ_EXAMPLES", "60"))
FIXED_SEED = os.environ.get("LIME_FUZZ_RANDOM") != "1"
CORPUS = [text for _, text in corpus_texts()]

fuzz = settings(derandomize=FIXED_SEED, max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Fragments a user types half-way, and text that trips tokenizers and position maths.
SNIPPETS = [
    "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "\\", "'", '"', '"""', "'''", "f'{", "#", "@",
    "\t", "\r", "\r\n", "\n", " ", "    ", "\x0c", "\ufeff", "\x00", "\u2028", "\x85",
    "😀", "会社", "ｱﾌﾟﾘ", "𝔘𝔫𝔦", "é", "e\u0301",
    "def ", "async def f(", "class C:", "lambda", "yield", "await ", "return", "for x in ", "while ", "if ",
    "with ", "try:", "except", "import ", "from . import ", "match x:", "case _:", "global x", "del ",
    "app.limetypes.", "app.limetypes.company.get_all()", ".get(", "len(list(", "uow = app.unit_of_work()",
    "uow.commit()", "uow.add(", "@task", "from lime_task import task", "for c in app.limetypes.company.get_all():",
    "# noqa", "# noqa: LIME104", "# lime-task-lint: noqa", "# type: ignore",
]

text_strategy = st.sampled_from(CORPUS)
insertion = st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=12))


@st.composite
def edited(draw):
    """A corpus file with a few random deletions and insertions."""
    text = draw(text_strategy)
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            length = draw(st.integers(1, 40))
            text = text[:position] + text[position + length:]
        else:
            text = text[:position] + draw(insertion) + text[position:]
    return text


@fuzz
@given(edited())
def test_random_edits(text):
    check_document(text, fixes=2, hovers=4, actions=2)


@st.composite
def unbalanced(draw):
    """Brackets and quotes left open or closed too often, at random places."""
    text = draw(text_strategy)
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(1, 4))):
        number = draw(st.integers(0, len(lines) - 1))
        line = lines[number]
        column = draw(st.integers(0, len(line)))
        piece = draw(st.sampled_from(["(", ")", "[", "]", "{", "}", "'", '"', '"""', "(((", ")))", "[{(", "f'{"]))
        lines[number] = line[:column] + piece + line[column:]
    return "".join(lines)


@fuzz
@given(unbalanced())
def test_unbalanced_brackets(text):
    check_document(text, fixes=2, hovers=4, actions=2)


@st.composite
def re_encoded(draw):
    """The same code with other line endings, tabs, a BOM, and non-ASCII names and strings."""
    text = draw(text_strategy)
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    if newline == "mixed":
        lines = text.split("\n")
        text = "".join(line + draw(st.sampled_from(["\n", "\r\n", "\r"])) for line in lines[:-1]) + lines[-1]
    elif newline != "\n":
        text = text.replace("\n", newline)
    if draw(st.booleans()):
        text = text.replace("    ", "\t")
    if draw(st.booleans()):
        # CJK identifiers are valid Python; the byte columns of ast then differ from code points.
        text = text.replace("company", "会社").replace("deal", "取引")
    if draw(st.booleans()):
        text = text.replace('"', '"😀𝔘 ', 4)
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


@fuzz
@given(re_encoded())
def test_line_endings_tabs_bom_and_unicode(text):
    check_document(text, fixes=3, hovers=6, actions=2)


python_ish = st.lists(
    st.sampled_from(list("abcxyz_0123456789 \t\n():[]{}.,=+-*/%<>!'\"#@\\")
                    + ["def ", "app", "for ", " in ", "if ", "return ", "😀", "会", "\r", "lambda ", "    ",
                       "app.limetypes.company.get_all()", "len(list(", "@task\n", "uow.commit()"]),
    max_size=120).map("".join)


@fuzz
@given(python_ish)
def test_random_python_like_text(text):
    check_document(text, fixes=2, hovers=4, actions=2)


@fuzz
@given(st.text(max_size=300))
def test_arbitrary_unicode_text(text):
    check_document(text, fixes=1, hovers=4, actions=2)
