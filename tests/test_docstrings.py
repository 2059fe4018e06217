"""Tests for the docstring engine (lime_task_lint.docstrings).

Most behaviour is pinned by before/after pairs in tests/data/docstrings (see
its README); the unit tests below cover the exception analysis, style
detection, exact byte preservation (tabs, CRLF, raw literals) and the
contract that generated text is valid Python with the expected docstring.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from lime_task_lint.docstrings import (
    PLACEHOLDER,
    TASK_RETURNS,
    RaiseAnalysis,
    detect_style,
    docstring_node,
    generate_docstring,
    raised_exceptions,
    stale_reasons,
    update_docstring,
)

DATA = Path(__file__).parent / "data" / "docstrings"
PAIRS = sorted(p.name[: -len(".before.py")] for p in DATA.glob("*.before.py"))
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


# --------------------------------------------------------------------------
# Driver: what an editor integration does with the engine
# --------------------------------------------------------------------------


def _offsets(source: str):
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:
        line = lines[lineno - 1]
        return starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8"))

    return lines, starts, offset


def _config(source: str) -> dict[str, str]:
    first = source.split("\n", 1)[0]
    if first.startswith("# docstring-test:"):
        return dict(item.split("=", 1) for item in first.split(":", 1)[1].split())
    return {}


def rewrite(source: str, style: str | None = None) -> str:
    """Update every docstring and generate the missing public ones."""
    style = style or _config(source).get("style", "google")
    module = ast.parse(source)
    newline = "\r\n" if "\r\n" in source else "\n"
    lines, starts, offset = _offsets(source)
    parents = {child: node for node in ast.walk(module) for child in ast.iter_child_nodes(node)}
    analysis = RaiseAnalysis(module)
    edits: list[tuple[int, int, str]] = []
    for func in ast.walk(module):
        if not isinstance(func, FUNCS):
            continue
        parent = parents[func]
        options = dict(
            style=style,
            is_method=isinstance(parent, ast.ClassDef),
            is_task=any(
                (d.func if isinstance(d, ast.Call) else d).__dict__.get("id") == "task"
                for d in func.decorator_list
            ),
            analysis=analysis,
        )
        node = docstring_node(func)
        if node is not None:
            start = offset(node.lineno, node.col_offset)
            end = offset(node.end_lineno, node.end_col_offset)
            new = update_docstring(source[start:end], func, module, newline=newline, **options)
            if new is not None:
                edits.append((start, end, new))
        elif not isinstance(parent, FUNCS) and not func.name.startswith("_"):
            first = func.body[0]
            if first.lineno == func.lineno:
                continue
            indent = lines[first.lineno - 1][: first.col_offset]
            literal = generate_docstring(func, module, indent=indent, newline=newline, **options)
            pos = starts[first.lineno - 1]
            edits.append((pos, pos, indent + literal + newline))
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    return source


def _func(source: str, name: str = "f"):
    module = ast.parse(source)
    func = next(n for n in ast.walk(module) if isinstance(n, FUNCS) and n.name == name)
    return func, module


def _literal(source: str, func) -> str:
    node = docstring_node(func)
    assert node is not None
    return ast.get_source_segment(source, node)


def update(source: str, name: str = "f", **kw) -> str | None:
    func, module = _func(source, name)
    return update_docstring(_literal(source, func), func, module, **kw)


def docstring_after_update(source: str, name: str = "f", **kw) -> str:
    """Apply update_docstring and return the resulting source."""
    func, module = _func(source, name)
    old = _literal(source, func)
    new = update_docstring(old, func, module, **kw)
    return source if new is None else source.replace(old, new, 1)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --------------------------------------------------------------------------
# Before/after pairs
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAIRS)
def test_pair(name: str) -> None:
    before = (DATA / f"{name}.before.py").read_text()
    after = (DATA / f"{name}.after.py").read_text()
    result = rewrite(before)
    assert result == after
    ast.parse(result)


@pytest.mark.parametrize("name", PAIRS)
def test_pair_after_is_fixed_point(name: str) -> None:
    """Updating a complete docstring changes nothing: update(update(x)) == update(x)."""
    after = (DATA / f"{name}.after.py").read_text()
    assert rewrite(after) == after
    module = ast.parse(after)
    parents = {c: n for n in ast.walk(module) for c in ast.iter_child_nodes(n)}
    for func in ast.walk(module):
        if isinstance(func, FUNCS) and docstring_node(func) is not None:
            is_method = isinstance(parents[func], ast.ClassDef)
            assert stale_reasons(func, module, is_method=is_method) == [], func.name


@pytest.mark.parametrize("name", PAIRS)
def test_pair_keeps_author_sentences(name: str) -> None:
    """Every sentence an author wrote for something that still exists survives.

    Sentences are the lines ending in a full stop; the text after the last
    ': ' is the description (the part before it may be a retyped entry or a
    renamed field).  Lines marked DROPPED document things that are gone.
    """
    before = (DATA / f"{name}.before.py").read_text()
    after = (DATA / f"{name}.after.py").read_text()
    before_module, after_module = ast.parse(before), ast.parse(after)
    after_docs = {
        (f.name, f.lineno): ast.get_docstring(f, clean=False)
        for f in ast.walk(after_module)
        if isinstance(f, FUNCS)
    }
    after_by_name: dict[str, list[str]] = {}
    for (fname, _), doc in sorted(after_docs.items(), key=lambda kv: kv[0][1]):
        after_by_name.setdefault(fname, []).append(doc or "")
    checked = 0
    for func in ast.walk(before_module):
        if not isinstance(func, FUNCS) or docstring_node(func) is None:
            continue
        new_doc = after_by_name[func.name].pop(0)
        for line in ast.get_docstring(func, clean=False).splitlines():
            line = line.strip()
            if line.endswith(".") and "DROPPED" not in line:
                assert line.rsplit(": ", 1)[-1] in new_doc, (func.name, line)
                checked += 1
    assert checked or name.startswith("generate")


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------

STYLES = ["google", "numpy", "sphinx"]


def _insert_generated(source: str, name: str = "f", **kw) -> tuple[str, str]:
    func, module = _func(source, name)
    first = func.body[0]
    lines = source.splitlines(keepends=True)
    indent = lines[first.lineno - 1][: first.col_offset]
    newline = kw.pop("newline", "\n")
    literal = generate_docstring(func, module, indent=indent, newline=newline, **kw)
    at = sum(len(line) for line in lines[: first.lineno - 1])
    return source[:at] + indent + literal + newline + source[at:], literal


@pytest.mark.parametrize("style", STYLES)
def test_generated_is_valid_python_with_expected_docstring(style: str) -> None:
    source = src(
        '''
        class K:
            async def f(self, a: int, /, b: "list[str]" = [], *rest, key=None, **extra) -> dict:
                if a:
                    raise KeyError(a)
                return {}
        '''
    )
    new_source, literal = _insert_generated(source, style=style, is_method=True)
    func, _ = _func(new_source)
    doc = ast.get_docstring(func)
    assert doc is not None and doc.startswith(f"{PLACEHOLDER} Summarise what f does.")
    expected = {
        "google": """\
            TODO: Summarise what f does.

            Args:
                a (int): A.
                b (list[str], optional): B. Defaults to [].
                *rest: Extra positional arguments.
                key (optional): Key. Defaults to None.
                **extra: Extra keyword arguments.

            Returns:
                dict: TODO: Describe the return value.

            Raises:
                KeyError: If `a`.""",
        "numpy": """\
            TODO: Summarise what f does.

            Parameters
            ----------
            a : int
                A.
            b : list[str], optional
                B. Defaults to [].
            *rest
                Extra positional arguments.
            key : optional
                Key. Defaults to None.
            **extra
                Extra keyword arguments.

            Returns
            -------
            dict
                TODO: Describe the return value.

            Raises
            ------
            KeyError
                If `a`.""",
        "sphinx": """\
            TODO: Summarise what f does.

            :param a: A.
            :type a: int
            :param b: B. Defaults to [].
            :type b: list[str], optional
            :param *rest: Extra positional arguments.
            :param key: Key. Defaults to None.
            :type key: optional
            :param **extra: Extra keyword arguments.
            :returns: TODO: Describe the return value.
            :rtype: dict
            :raises KeyError: If `a`.""",
    }[style]
    assert doc == textwrap.dedent(expected)
    assert detect_style(doc) == style
    # The literal is what gets inserted: no leading indentation, no trailing newline.
    assert literal.startswith('"""') and literal.endswith('"""')
    assert not literal.endswith("\n") and literal.splitlines()[-1] == '        """'


@pytest.mark.parametrize("style", STYLES)
def test_generated_then_update_is_unchanged(style: str) -> None:
    source = src(
        '''
        def f(x: int, *, y="s") -> Iterator[int]:
            if x:
                raise ValueError
            yield x
        '''
    )
    new_source, _ = _insert_generated(source, style=style)
    assert update(new_source) is None
    func, module = _func(new_source)
    assert stale_reasons(func, module) == []


def test_generate_summary_only_is_one_line() -> None:
    func, module = _func("def f():\n    pass\n")
    assert generate_docstring(func, module) == f'"""{PLACEHOLDER} Summarise what f does."""'


def test_generate_quote_and_raw_prefix() -> None:
    func, module = _func("def f(a):\n    pass\n")
    literal = generate_docstring(func, module, quote="'''")
    assert literal.startswith("'''") and literal.endswith("'''")
    literal = generate_docstring(func, module, quote='r"""')
    assert literal.startswith('r"""')


def test_generate_escapes_backslashes_from_annotations() -> None:
    source = 'def f(a: Literal["\\\\d+"]):\n    pass\n'
    new_source, _ = _insert_generated(source)
    func, _ = _func(new_source)
    assert "a (Literal['\\\\d+'])" in ast.get_docstring(func)


def test_generate_tabs_and_crlf() -> None:
    source = "class K:\r\n\tdef f(self, a: int) -> str:\r\n\t\treturn 'x'\r\n"
    new_source, literal = _insert_generated(source, newline="\r\n", is_method=True)
    assert "\n" not in literal.replace("\r\n", "")
    assert literal == (
        '"""TODO: Summarise what f does.\r\n'
        "\r\n"
        "\t\tArgs:\r\n"
        "\t\t\ta (int): A.\r\n"
        "\r\n"
        "\t\tReturns:\r\n"
        "\t\t\tstr: TODO: Describe the return value.\r\n"
        '\t\t"""'
    )
    ast.parse(new_source)
    assert update(new_source, is_method=True) is None


def test_task_returns_is_the_summary() -> None:
    func, module = _func("@task\ndef f(app):\n    return 'Done'\n")
    literal = generate_docstring(func, module, is_task=True)
    assert f"str: {TASK_RETURNS}" in literal
    func, module = _func("def f(app):\n    return 'Done'\n")
    assert TASK_RETURNS not in generate_docstring(func, module)


@pytest.mark.parametrize(
    ("default", "expected"),
    [
        ("1", "int"),
        ("-1.5", "float"),
        ("'x'", "str"),
        ("f'{x}'", "str"),
        ("True", "bool"),
        ("b''", "bytes"),
        ("[]", "list"),
        ("{}", "dict"),
        ("()", "tuple"),
        ("{1}", "set"),
        ("dict()", "dict"),
        ("Options()", "Options"),
        ("models.Deal(1)", "models.Deal"),
        ("make_options()", None),
        ("None", None),
        ("SOME_CONSTANT", None),
    ],
)
def test_types_inferred_from_defaults(default: str, expected: str | None) -> None:
    func, module = _func(f"def f(a={default}):\n    pass\n")
    literal = generate_docstring(func, module)
    if expected is None:
        assert "a (optional): " in literal
    else:
        assert f"a ({expected}, optional): " in literal


def test_annotation_wins_over_default() -> None:
    func, module = _func("def f(a: 'Optional[int]' = None):\n    pass\n")
    assert "a (Optional[int], optional):" in generate_docstring(func, module)


def test_yields_type_from_annotations() -> None:
    for annotation, expected in [
        ("Iterator[int]", "int"),
        ("typing.Iterable[str]", "str"),
        ("Generator[bytes, None, None]", "bytes"),
        ("AsyncGenerator[dict, None]", "dict"),
        ("collections.abc.AsyncIterator[float]", "float"),
    ]:
        func, module = _func(f"async def f() -> {annotation}:\n    yield 1\n")
        literal = generate_docstring(func, module)
        assert f"Yields:\n        {expected}: " in literal, annotation
        assert "Returns" not in literal


def test_generator_detection_ignores_nested_scopes() -> None:
    func, module = _func(
        src(
            """
            def f(items):
                def inner():
                    yield 1
                g = lambda: (yield)
                class C:
                    pass
                return [x for x in items]
            """
        )
    )
    literal = generate_docstring(func, module)
    assert "Returns:" in literal and "Yields" not in literal


def test_returns_omitted_when_nothing_is_returned() -> None:
    for code in [
        "def f(a) -> None:\n    return\n",
        "def f(a):\n    print(a)\n",
        "def f(a) -> NoReturn:\n    raise SystemExit\n",
    ]:
        func, module = _func(code)
        assert "Returns" not in generate_docstring(func, module), code


# --------------------------------------------------------------------------
# Exceptions
# --------------------------------------------------------------------------


def raised(code: str, name: str = "f") -> list[str]:
    func, module = _func(src(code), name)
    return raised_exceptions(func, module)


def test_a_function_parsed_from_other_text_uses_the_modules_helpers() -> None:
    """A fix's rewritten function (parsed on its own) is analysed with the
    module's helpers, and its nested helpers with its own tree."""
    _, module = _func(src(
        """
        def check(x):
            raise KeyError(x)

        def f(x):
            return x
        """
    ))
    rewritten, _ = _func(src(
        """
        def f(x):
            def inner():
                raise ValueError(x)

            inner()
            yield check(x)
        """
    ))
    analysis = RaiseAnalysis(module)
    assert raised_exceptions(rewritten, module, analysis=analysis) == ["ValueError", "KeyError"]
    assert "Yields:" in generate_docstring(rewritten, module, analysis=analysis)


def test_nested_helpers_resolved_through_enclosing_functions_not_classes() -> None:
    code = """
        def f():
            def check():
                raise KeyError

            class Local:
                def check(self):
                    raise ValueError

                def run(self):
                    check()
                    self.check()

            return Local
        """
    assert raised(code, "run") == ["KeyError", "ValueError"]


def test_raises_deduplicated_in_first_seen_order() -> None:
    assert raised(
        """
        def f(a):
            if a:
                raise ValueError("a")
            raise KeyError("b")
            raise ValueError("c")
        """
    ) == ["ValueError", "KeyError"]


def test_helper_raises_transitive_deduplicated_and_cycle_safe() -> None:
    code = """
        def _a(n):
            if n:
                return _b(n - 1)
            raise KeyError(n)

        def _b(n):
            if n > 10:
                raise ValueError(n)
            return _a(n)

        def f(n):
            _a(n)
            _b(n)
            raise ValueError("again")
        """
    # _a calls _b before raising KeyError itself: first-seen order follows the code.
    assert raised(code, "_a") == ["ValueError", "KeyError"]
    assert raised(code, "_b") == ["ValueError", "KeyError"]
    assert raised(code) == ["ValueError", "KeyError"]


def test_caught_exceptions_not_listed() -> None:
    assert (
        raised(
            """
        def _helper():
            raise KeyError("x")

        def f():
            try:
                _helper()
                raise ValueError
            except (KeyError, ValueError):
                pass
            try:
                raise OSError
            except Exception:
                pass
            try:
                raise TypeError
            except:
                pass
        """
        )
        == []
    )


def test_catching_uses_known_hierarchy() -> None:
    assert raised(
        """
        class LimeError(Exception):
            pass

        class NotFound(LimeError, LookupError):
            pass

        def f(x):
            try:
                if x:
                    raise NotFound
                raise KeyError
            except LookupError:
                pass
            try:
                raise NotFound
            except LimeError:
                pass
            try:
                raise SystemExit
            except Exception:
                pass
            try:
                raise errors.Custom
            except errors.Other:
                pass
        """
    ) == ["SystemExit", "errors.Custom"]


def test_reraise_reraises_the_handled_types() -> None:
    assert raised(
        """
        def _helper():
            raise KeyError

        def f(x):
            try:
                x()
            except (OSError, TimeoutError):
                log()
                raise
            try:
                _helper()
            except Exception as err:
                if x:
                    raise err
                raise
            try:
                pass
            except ValueError as err:
                raise RuntimeError("wrapped") from err
        """
    ) == ["OSError", "TimeoutError", "KeyError", "RuntimeError"]


def test_raises_in_handlers_else_and_finally_escape_their_try() -> None:
    assert raised(
        """
        def f():
            try:
                pass
            except ValueError:
                raise ValueError("handler bodies are not protected")
            else:
                raise KeyError
            finally:
                raise OSError
        """
    ) == ["ValueError", "KeyError", "OSError"]


def test_nested_functions_raise_for_themselves() -> None:
    code = """
        def f(items):
            def key(item):
                raise KeyError(item)
            def check(item):
                raise ValueError(item)
            check(items)
            return sorted(items, key=key)
        """
    assert raised(code) == ["ValueError"]
    assert raised(code, "key") == ["KeyError"]


def test_methods_constructors_and_suppress() -> None:
    code = """
        import contextlib

        class Repo:
            def __init__(self, path):
                if not path:
                    raise ValueError(path)

            def _get(self, key):
                raise KeyError(key)

            def get(self, key):
                return self._get(key)

            @staticmethod
            def make():
                return Repo("x")

        def f():
            with contextlib.suppress(KeyError):
                Repo("p").get(1)
                Repo.make()
        """
    assert raised(code, "get") == ["KeyError"]
    assert raised(code, "make") == ["ValueError"]
    assert raised(code) == ["ValueError"]


def test_parameter_shadowing_a_helper_is_not_followed() -> None:
    assert (
        raised(
            """
        def _helper():
            raise KeyError

        def f(_helper):
            _helper()
        """
        )
        == []
    )


def test_non_class_raise_targets_are_ignored() -> None:
    assert raised("def f(err):\n    raise err\n") == []


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11+")
def test_except_star() -> None:
    assert raised(
        """
        def f():
            try:
                raise ValueError
            except* ValueError:
                pass
            raise KeyError
        """
    ) == ["KeyError"]


# --------------------------------------------------------------------------
# Style detection
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "style"),
    [
        ("Summary.\n\nArgs:\n    x: An x.\n", "google"),
        ("Summary.\n\n    Returns:\n        int: One.\n    ", "google"),
        ("Summary.\n\nParameters\n----------\nx : int\n    An x.\n", "numpy"),
        ("Summary.\n\n    Returns\n    -------\n    int\n    ", "numpy"),
        ("Summary.\n\n:param x: An x.\n:rtype: int\n", "sphinx"),
        ("Summary.\n\n    :raises ValueError: Bad.\n    ", "sphinx"),
        ("Summary only.", None),
        ("Summary.\n\nThis is: not a section.\n", None),
    ],
)
def test_detect_style(doc: str, style: str | None) -> None:
    assert detect_style(doc) == style


# --------------------------------------------------------------------------
# Updates: exact bytes
# --------------------------------------------------------------------------


def test_update_complete_docstring_is_unchanged_byte_for_byte() -> None:
    source = src(
        '''
        def f(a: int, b,   *args, **kw) -> dict[str,int]:
            r"""Summary with a \\d backslash.

              Odd indentation is the author's business.

            Args:
                a (int): An a.
                b: A b,
                   continued oddly.

                *args: Extra.
                **kw: More.

            Returns:
                dict[str, int]: Mapping.

            Raises:
                errors.Bad: Sometimes.

            Example:
                >>> f(1, 2)
            """
            if a:
                raise errors.Bad
            return {}
        '''
    )
    assert update(source) is None
    func, module = _func(source)
    assert stale_reasons(func, module) == []


def test_update_keeps_crlf_tabs_and_raw_prefix() -> None:
    source = (
        "class K:\r\n"
        "\tdef f(self, a: int, b: str) -> str:\r\n"
        '\t\tr"""Summary \\w.\r\n'
        "\r\n"
        "\t\tArgs:\r\n"
        "\t\t\ta (str): An a.\r\n"
        '\t\t"""\r\n'
        "\t\treturn b\r\n"
    )
    new = update(source, is_method=True)
    assert new == (
        'r"""Summary \\w.\r\n'
        "\r\n"
        "\t\tArgs:\r\n"
        "\t\t\ta (int): An a.\r\n"
        "\t\t\tb (str): B.\r\n"
        "\r\n"
        "\t\tReturns:\r\n"
        "\t\t\tstr: TODO: Describe the return value.\r\n"
        '\t\t"""'
    )
    fixed = source.replace(_literal(source, _func(source)[0]), new)
    assert update(fixed, is_method=True) is None


def test_update_one_line_docstring_grows_sections() -> None:
    source = "def f(a):\n    'Do it.'\n    return a\n"
    new = update(source, style="sphinx")
    assert new == (
        "'''Do it.\n"
        "\n"
        "    :param a: A.\n"
        "    :returns: TODO: Describe the return value.\n"
        "    '''"
    )


def test_update_empty_docstring_generates() -> None:
    source = 'def f(a):\n    """ """\n'
    assert update(source) == '"""TODO: Summarise what f does.\n\n    Args:\n        a: A.\n    """'
    func, module = _func(source)
    assert stale_reasons(func, module) == ["the docstring is empty"]


def test_update_types_follow_the_authors_convention() -> None:
    """Untyped entries stay untyped; typed entries get typed siblings."""
    untyped = src(
        '''
        def f(a: int, b: str):
            """Do it.

            Args:
                a: An a.
            """
        '''
    )
    assert "        b: B." in update(untyped)


def test_update_param_order_follows_signature() -> None:
    source = src(
        '''
        def f(a, b):
            """Do it.

            Args:
                b: A b.
                a: An a.
            """
        '''
    )
    func, module = _func(source)
    assert stale_reasons(func, module) == [
        "parameters are documented in a different order than the signature"
    ]
    assert update(source) == '"""Do it.\n\n    Args:\n        a: An a.\n        b: A b.\n    """'


def test_stale_reasons() -> None:
    source = src(
        '''
        def f(a: int, c) -> Iterator[int]:
            """Do it.

            Args:
                a (str): An a.
                b: Gone.

            Returns:
                The values.

            Raises:
                KeyError: Never now.
            """
            if a:
                raise ValueError
            yield a
        '''
    )
    func, module = _func(source)
    assert stale_reasons(func, module) == [
        "documents parameter 'b', which is not in the signature",
        "parameter 'a' is documented as str but annotated int",
        "parameter 'c' is not documented",
        "the function is a generator: Returns should be Yields",
        "documents KeyError, which the function does not raise",
        "raises ValueError, which is not documented",
    ]
    fixed = docstring_after_update(source)
    func, module = _func(fixed)
    assert stale_reasons(func, module) == []


def test_stale_reasons_without_docstring_is_empty() -> None:
    func, module = _func("def f(a):\n    return a\n")
    assert stale_reasons(func, module) == []


def test_update_rejects_non_literals() -> None:
    func, module = _func("def f():\n    pass\n")
    with pytest.raises(ValueError):
        update_docstring('f"""x"""', func, module)
    with pytest.raises(ValueError):
        update_docstring('"""a""" """b"""', func, module)


def test_abstract_stub_keeps_its_returns() -> None:
    source = src(
        '''
        def f(a):
            """Do it.

            Args:
                a: An a.

            Returns:
                Something useful.
            """
            raise NotImplementedError
        '''
    )
    assert update(source) is None


def test_prune_raises_false_keeps_unseen_exceptions() -> None:
    source = src(
        '''
        def f(response):
            """Check a response.

            Args:
                response: The HTTP response.

            Raises:
                requests.HTTPError: When the server said no.
            """
            response.raise_for_status()
        '''
    )
    func, module = _func(source)
    assert stale_reasons(func, module) == [
        "documents requests.HTTPError, which the function does not raise"
    ]
    assert stale_reasons(func, module, prune_raises=False) == []
    assert update(source, prune_raises=False) is None


def test_equivalent_type_spellings_are_not_stale() -> None:
    source = src(
        '''
        def f(a: Optional[List[int]], b: "pathlib.Path", c: Union[str, None]) -> Dict[str, int]:
            """Do it.

            Args:
                a (list[int] | None): An a.
                b (Path): A b.
                c (str | None): A c.

            Returns:
                dict[str, int]: Counts.
            """
            return {}
        '''
    )
    assert update(source) is None


def test_unknown_handler_types_are_ignored() -> None:
    assert raised(
        """
        def f():
            try:
                raise KeyError
            except errors_to_catch():
                raise
        """
    ) == ["KeyError"]


@pytest.mark.parametrize("style", STYLES)
def test_non_ascii_names_are_entries_in_every_style(style: str) -> None:
    """Python names are Unicode: `会社_ids` and `año` are documented entries, so an
    update recognises them instead of adding them again on every run (found by
    the fuzz suite: fix-all never converged)."""
    source = src(
        '''
        class 会社Error(Exception):
            pass


        def f(会社_ids: list[int], año=1):
            if not 会社_ids:
                raise 会社Error(año)
            return 会社_ids
        '''
    )
    generated, _ = _insert_generated(source, style=style)
    assert "会社_ids" in generated and "会社Error" in generated
    assert update(generated) is None
    func, module = _func(generated)
    assert stale_reasons(func, module) == []
    # An entry the author wrote for a non-ASCII name is kept and completed, not duplicated.
    once = docstring_after_update(generated.replace("año", "anno").replace("anno=1", "año=1"))
    assert once.count("会社_ids") == generated.count("会社_ids")
    assert docstring_after_update(once) == once


def test_known_descriptions_replace_placeholders() -> None:
    source = src(
        '''
        def f(app, rows):
            return rows
        '''
    )
    generated, _ = _insert_generated(source, described={"app": "The Lime application."})
    doc = ast.get_docstring(_func(generated)[0])
    assert "app: The Lime application." in doc and "rows: Rows." in doc
    # An update adds a missing entry with the known description, and keeps the author's.
    stale = generated.replace("        app: The Lime application.\n", "")
    updated = docstring_after_update(stale, described={"app": "The Lime application."})
    assert updated == generated
    # A task's first parameter is the application even without being told.
    task, _ = _insert_generated(source, is_task=True)
    assert "app: The Lime application." in ast.get_docstring(_func(task)[0])
