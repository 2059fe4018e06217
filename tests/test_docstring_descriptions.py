"""Descriptions of generated docstring entries (lime_task_lint.docstrings._describe).

Each derivation rule is pinned on a small function: parameters (name in
words, first clear use, default), results (returned/yielded value, getter
names, predicates), exceptions (message, ``if``, helper, re-raise), how the
text sits in each style and in each kind of literal, and the example
workspace, whose functions must get docstrings with nothing left to write but
the summary.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from lime_task_lint.analysis import analyse
from lime_task_lint.docstrings import docstring_node, generate_docstring, stale_reasons, update_docstring
from lime_task_lint.docstrings._describe import humanize
from lime_task_lint.docstrings.editing import generate_edit, known_descriptions
from lime_task_lint.settings import Settings

STYLES = ("google", "numpy", "sphinx")
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def doc(source: str, name: str = "f", **kw) -> str:
    """The generated docstring (its value) of function ``name`` in ``source``."""
    module = ast.parse(textwrap.dedent(source))
    func = next(n for n in ast.walk(module) if isinstance(n, FUNCS) and n.name == name)
    literal = generate_docstring(func, module, **kw)
    value = ast.literal_eval(literal)  # the literal parses
    return textwrap.dedent("\n".join(value.splitlines()[1:]))


def entry(source: str, key: str, name: str = "f") -> str:
    """The description of google entry ``key`` ("rows", "Returns", "ValueError")."""
    lines = doc(source, name).splitlines()
    if key in ("Returns", "Yields"):
        line = lines[lines.index(key + ":") + 1].strip()
        type_, sep, desc = line.partition(": ")
        return desc if sep and " " not in type_ and type_ != "TODO" else line  # without the type
    for line in lines:
        head, _, desc = line.strip().partition(": ")
        if head.split(" (")[0] == key:
            return desc
    raise AssertionError(f"{key} not documented:\n" + "\n".join(lines))


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("company_ids", "Company IDs"),
        ("erp_id", "ERP ID"),
        ("apiKey", "API key"),
        ("parseURL", "Parse URL"),
        ("_json_payload", "JSON payload"),
        ("csv_path", "CSV path"),
        ("created_utc", "Created UTC"),
        ("MAX_ROWS", "Max rows"),
        ("año", "Año"),
        ("会社_ids", "会社 IDs"),
        ("ÅsaName", "Åsa name"),
    ],
)
def test_names_in_words(name, words):
    assert humanize(name) == words


def test_a_parameter_described_by_its_first_clear_use():
    source = """
        import logging
        import lime_filter
        logger = logging.getLogger(__name__)

        def helper(x, y=None):
            pass

        def f(app, company_ids, limit, region, status, since, count, year, batch, api_key, later):
            logger.info("logged first: %s %s", company_ids, region)
            print(year)
            for company_id in company_ids:
                pass
            app.limetypes.company.get_all(limit=limit)
            lime_filter.EqualsOperator("region", region)
            lime_filter.NotEqualsOperator(field="status", value=status)
            payload = {"since": since}
            helper(count)
            helper(1, y=batch)
            for deal in app.limetypes.deal.get_all():
                if deal.properties.year.value == year:
                    pass
            headers = {"Authorization": api_key}
            later = later.strip()
            helper(later)
    """
    assert entry(source, "company_ids") == "Company IDs to process."
    assert entry(source, "limit") == "Limit, the most objects to read."
    assert entry(source, "region") == "Region, the value of `region` to match."
    assert entry(source, "status") == "Status, compared with `status`."
    assert entry(source, "since") == "Since, the `since` value."
    assert entry(source, "count") == "Count, passed to `helper`."
    assert entry(source, "batch") == "Batch, passed to `helper` as `y`."
    assert entry(source, "year") == "Year, compared with the `year` property."  # print() is no use
    assert entry(source, "api_key") == "API key, the `Authorization` value."
    # Reassigned before any clear use: what the body does later is to another value.
    assert entry(source, "later") == "Later."


def test_the_first_use_is_the_first_in_the_trees_field_order():
    """A comprehension's element comes before its ``for``; a conditional
    expression's test before its value (the order of the tree's fields)."""
    source = """
        def f(contacts, path):
            names = [send(c, contacts) for c in load(contacts)]
            resolved = resolve(path) if isabs(path) else None
            return {c: notify(c) for c in names}
    """
    assert entry(source, "contacts") == "Contacts, passed to `send`."
    assert entry(source, "path") == "Path, passed to `isabs`."


def test_helpers_named_in_the_order_the_function_shows_them():
    source = """
        def _parse(row):
            raise ValueError(row)

        def _read(path):
            raise ValueError(path)

        def f(path):
            return [_parse(row) for row in _read(path)]
    """
    assert entry(source, "ValueError") == "Raised by `_parse` and `_read`."


def test_uses_that_say_nothing_are_skipped():
    source = """
        def f(rows, key, size, *args, **kwargs):
            print(len(rows), str(key))
            if rows is None or key in rows:
                raise KeyError(key)
            total = size + 1
            rows.sort()
            helper(*args, **kwargs)
    """
    assert entry(source, "rows") == "Rows."  # len(), a method call on it, an `is` test
    assert entry(source, "key") == "Key."  # `in`, an exception's argument
    assert entry(source, "size") == "Size."
    assert entry(source, "*args") == "Extra positional arguments, passed to `helper`."
    assert entry(source, "**kwargs") == "Extra keyword arguments, passed to `helper`."


def test_comprehension_iteration_is_a_use():
    assert entry("def f(ids):\n    return [i for i in ids]\n", "ids") == "IDs to process."


def test_defaults_short_literals_only_and_never_for_secrets():
    source = """
        def f(page_size=500, name="SEK", flags=(1, 2), neg=-1, none=None,
              long="a string that is much too long to repeat", made=object(),
              *, password="hunter2", token=None, api_key="k"):
            pass
    """
    assert entry(source, "page_size") == "Page size. Defaults to 500."
    assert entry(source, "name") == "Name. Defaults to 'SEK'."
    assert entry(source, "flags") == "Flags. Defaults to (1, 2)."
    assert entry(source, "neg") == "Neg. Defaults to -1."
    assert entry(source, "none") == "None. Defaults to None."
    assert entry(source, "long") == "Long."
    assert entry(source, "made") == "Made."
    assert entry(source, "password") == "Password."
    assert entry(source, "token") == "Token."
    assert entry(source, "api_key") == "API key."


def test_non_ascii_names_and_defaults():
    source = 'def f(año="😀 Åsa", 会社_ids=()):\n    for x in 会社_ids:\n        pass\n'
    assert entry(source, "año") == "Año. Defaults to '😀 Åsa'."
    assert entry(source, "会社_ids") == "会社 IDs to process. Defaults to ()."


@pytest.mark.parametrize("style", STYLES)
def test_parameter_descriptions_in_every_style(style):
    source = "def f(rows, limit=10):\n    for row in rows:\n        helper(row)\n"
    text = doc(source, style=style)
    expected = {
        "google": "Args:\n    rows: Rows to process.\n    limit (int, optional): Limit. Defaults to 10.",
        "numpy": "Parameters\n----------\nrows\n    Rows to process.\nlimit : int, optional\n"
                 "    Limit. Defaults to 10.",
        "sphinx": ":param rows: Rows to process.\n:param limit: Limit. Defaults to 10.\n"
                  ":type limit: int, optional",
    }[style]
    assert text.strip() == expected


def test_known_descriptions_win():
    module = ast.parse("def f(app, rows):\n    helper(app)\n")
    literal = generate_docstring(module.body[0], module, described={"app": "The Lime application."})
    assert "app: The Lime application." in literal and "rows: Rows." in literal


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f(app):\n    names = []\n    return names\n", "The names."),
        ("def get_task_modules():\n    return [a, b]\n", "The task modules."),
        ("def _fetch_erp_rows(api):\n    return api.rows()\n", "The ERP rows."),
        ("def f():\n    return [Task(1), Task(2)]\n", "A list of `Task` objects."),
        ("def f(companies):\n    return [c for c in companies]\n", "A list of the companies."),
        ("def f(companies):\n    return {c for c in companies if c.active}\n",
         "A set of the companies where `c.active`."),
        ("def f(persons):\n    return [p.properties.name.value for p in persons]\n",
         "A list of the name of each of the persons."),
        ("def f(app):\n    return len(app.items)\n", "The number of items."),
        ("async def f(client):\n    return await client.get('x')\n", "The result of `client.get`."),
        ("def f(app, key):\n    if key:\n        return helper(key)\n    return None\n",
         "The result of `helper`, or None."),
        ("def f(api):\n    return Client(api)\n", "A new `Client` object."),
        ("class K:\n    @classmethod\n    def f(cls):\n        return cls()\n", "A new instance of the class."),
        ("def is_expired(deal) -> bool:\n    return deal.x < 1\n", "Whether the deal is expired."),
        ("def has_rows() -> bool:\n    return bool(ROWS)\n", "Whether it has rows."),
        ("def find_dupes(rows) -> bool:\n    return check(rows)\n", "The result of `check`."),
    ],
)
def test_returns_described_from_the_value_or_a_getter_name(source, expected):
    name = next(n.name for n in ast.walk(ast.parse(source)) if isinstance(n, FUNCS))
    assert entry(source, "Returns", name) == expected


@pytest.mark.parametrize(
    "source",
    [
        "def f(a):\n    return a + 1\n",  # an expression: nothing certain to say
        "def f():\n    result = compute()\n    return result\n",  # a vague name
        "def f(a):\n    if a:\n        return 1\n    return 'x'\n",  # different values
        "def check(rows) -> bool:\n    return not rows\n",  # a bool, not a predicate's name
        "def f():\n    return {}\n",
    ],
)
def test_returns_left_as_a_placeholder_when_nothing_is_certain(source):
    name = next(n.name for n in ast.walk(ast.parse(source)) if isinstance(n, FUNCS))
    assert entry(source, "Returns", name) == "TODO: Describe the return value."


def test_a_tasks_returns_stays_the_summary():
    module = ast.parse("def get_rows(app):\n    return rows\n")
    literal = generate_docstring(module.body[0], module, is_task=True)
    assert "The task's summary: a short result stored in the task status." in literal


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f(rows):\n    for batch in rows:\n        yield batch\n", "Each batch."),
        ("def fetch_erp_contracts():\n    yield from rows\n", "Each of the ERP contracts."),
        ("def f(pages):\n    yield from pages\n", "Each item of the pages."),
        ("def f(rows):\n    for x in rows:\n        yield x\n", "TODO: Describe the yielded values."),
        ("def f(rows):\n    yield {'a': rows}\n", "TODO: Describe the yielded values."),
    ],
)
def test_yields(source, expected):
    name = next(n.name for n in ast.walk(ast.parse(source)) if isinstance(n, FUNCS))
    assert entry(source, "Yields", name) == expected


@pytest.mark.parametrize("style", STYLES)
def test_results_in_every_style(style):
    text = doc("def f(rows) -> list:\n    names = []\n    return names\n", style=style)
    expected = {
        "google": "Returns:\n    list: The names.",
        "numpy": "Returns\n-------\nlist\n    The names.",
        "sphinx": ":returns: The names.\n:rtype: list",
    }[style]
    assert expected in text
    text = doc("def f(rows):\n    for batch in rows:\n        yield batch\n", style=style)
    expected = {"google": "Yields:\n    Each batch.", "numpy": "Yields\n------\nEach batch.",
                "sphinx": ":yields: Each batch."}[style]  # fmt: skip
    assert expected in text


# --------------------------------------------------------------------------
# Exceptions
# --------------------------------------------------------------------------

RAISES = """
class QuotaError(Exception):
    pass


def _guard(app):
    if app.quota < 1:
        raise QuotaError(app.quota)


def _check(value):
    if not value:
        raise ValueError("empty")
    _guard(value)


def message(limit):
    if limit < 0:
        raise ValueError("negative   limit\\n(see the docs)")


def condition(limit):
    if limit > 10:
        raise OverflowError(limit)


def helper(app):
    _guard(app)


def both(app, limit):
    _check(app)
    if limit < 0:
        raise ValueError("negative limit")


def caught(app):
    try:
        _guard(app)
    except QuotaError:
        pass
    _check(app)


def reraised(client):
    try:
        client.get()
    except TimeoutError:
        raise
    except OSError as err:
        raise err


def unclear(limit):
    raise ValueError(limit)


def template(row):
    if row:
        raise KeyError("row %s has no id", row)
    raise LookupError("no {field}".format(field=row))
"""


@pytest.mark.parametrize(
    ("name", "exception", "expected"),
    [
        ("message", "ValueError", "Negative limit (see the docs)."),  # one line, whitespace collapsed
        ("condition", "OverflowError", "If `limit > 10`."),
        ("helper", "QuotaError", "Raised by `_guard`."),
        ("both", "ValueError", "Negative limit. Also raised by `_check`."),
        ("both", "QuotaError", "Raised by `_check`."),
        # The call in a try that catches it is not where it comes from.
        ("caught", "QuotaError", "Raised by `_check`."),
        ("reraised", "TimeoutError", "Re-raised from `client.get`."),
        ("reraised", "OSError", "Re-raised from `client.get`."),
        ("unclear", "ValueError", "TODO: Explain when ValueError is raised."),
        # A message to be filled in is not the text: the if it is raised in is.
        ("template", "KeyError", "If `row`."),
        ("template", "LookupError", "TODO: Explain when LookupError is raised."),
    ],
)
def test_raises_described_from_the_raise_site_or_the_helper(name, exception, expected):
    assert entry(RAISES, exception, name) == expected


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("quote", ['"""', "'''", 'r"""', "r'''"])
def test_messages_with_quotes_and_backslashes_keep_the_literal_valid(style, quote):
    source = (
        "def f(a):\n"
        "    if a == 1:\n"
        "        raise ValueError('say \"\"\"hi\"\"\" now')\n"
        "    if a == 2:\n"
        "        raise KeyError(\"not \\\\d+ or ''' here\")\n"
    )
    module = ast.parse(source)
    literal = generate_docstring(module.body[0], module, style=style, quote=quote)
    value = ast.literal_eval(literal)
    if quote.startswith("r") and quote[1:] == '"""':
        # A raw literal cannot hold three quotes: a backslash breaks the run.
        assert 'Say ""\\"hi""\\" now.' in value
    else:
        assert 'Say """hi""" now.' in value
    if quote.startswith("r") and quote[1:] == "'''":
        assert "Not \\d+ or ''\\' here." in value
    else:
        assert "Not \\d+ or ''' here." in value


@pytest.mark.parametrize("style", STYLES)
def test_raises_in_every_style(style):
    text = doc(RAISES, "both", style=style)
    expected = {
        "google": "Raises:\n    ValueError: Negative limit. Also raised by `_check`.\n"
                  "    QuotaError: Raised by `_check`.",
        "numpy": "Raises\n------\nValueError\n    Negative limit. Also raised by `_check`.\n"
                 "QuotaError\n    Raised by `_check`.",
        "sphinx": ":raises ValueError: Negative limit. Also raised by `_check`.\n"
                  ":raises QuotaError: Raised by `_check`.",
    }[style]
    assert expected in text


# --------------------------------------------------------------------------
# LIME403 updates
# --------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_an_update_describes_what_it_adds_and_keeps_the_authors_text(style):
    written = {
        "google": '"""Sync.\n\n    Args:\n        rows: Written by the author.\n    """',
        "numpy": '"""Sync.\n\n    Parameters\n    ----------\n    rows\n        Written by the author.\n    """',
        "sphinx": '"""Sync.\n\n    :param rows: Written by the author.\n    """',
    }[style]
    source = f"def f(rows, limit=5):\n    {written}\n    for row in rows[:limit]:\n        _check(row)\n" \
             "\n\ndef _check(row):\n    if not row:\n        raise ValueError('empty row')\n"
    module = ast.parse(source)
    func = module.body[0]
    updated = update_docstring(written, func, module, style=style)
    assert updated is not None and "Written by the author." in updated
    assert "Limit. Defaults to 5." in updated and "Raised by `_check`." in updated
    assert "TODO" not in updated
    # Idempotent: the updated docstring is up to date.
    new_source = source.replace(written, updated)
    new_module = ast.parse(new_source)
    assert update_docstring(updated, new_module.body[0], new_module, style=style) is None
    assert stale_reasons(new_module.body[0], new_module) == []


# --------------------------------------------------------------------------
# The example workspace
# --------------------------------------------------------------------------


def _without_docstrings(text: str) -> str:
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    spans = []
    for node in ast.walk(tree):
        docstring = docstring_node(node) if isinstance(node, FUNCS) else None
        if docstring is not None and len(node.body) > 1:
            spans.append((docstring.lineno, docstring.end_lineno))
    for start, end in sorted(spans, reverse=True):
        del lines[start - 1 : end]
    return "".join(lines)


@pytest.mark.parametrize("style", STYLES)
def test_every_example_function_gets_a_docstring_with_only_the_summary_to_write(style):
    """Strip the docstrings of examples/, generate them again: only the summary
    line may be a TODO, the result parses and LIME403 finds nothing stale."""
    paths = sorted(EXAMPLES.rglob("*.py"))
    generated = 0
    for path in paths:
        text = _without_docstrings(path.read_text(encoding="utf-8"))
        analysis = analyse(path.as_uri(), text, Settings(), path=str(path))
        document = analysis.document
        for func in [n for n in ast.walk(document.tree) if isinstance(n, FUNCS)]:
            info = analysis.model.function_at(func)
            edit = generate_edit(document, document.tree, func, style=style, is_task=bool(info and info.is_task),
                                 is_method=bool(info and info.is_method), described=known_descriptions(info))
            assert edit is not None
            new_text = text[: edit.start] + edit.new_text + text[edit.end :]
            module = ast.parse(new_text)
            new_func = next(n for n in ast.walk(module) if isinstance(n, FUNCS) and n.lineno == func.lineno)
            lines = ast.get_docstring(new_func).splitlines()
            assert lines[0] == f"TODO: Summarise what {func.name} does.", path
            assert not [ln for ln in lines[1:] if "TODO" in ln], f"{path.name} {func.name}:\n" + "\n".join(lines)
            assert stale_reasons(new_func, module, is_method=bool(info and info.is_method),
                                 is_task=bool(info and info.is_task)) == []
            generated += 1
    assert generated >= 18  # every function of the workspace, not a vacuous pass
