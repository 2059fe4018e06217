"""LIME301-LIME306 beyond the fixture files: secret names, logger recognition,
the clean example, and fixed code run against the fake Lime application."""

from __future__ import annotations

import ast
import logging
import sys
from pathlib import Path

import pytest

from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Applicability
from lime_task_lint.fixer import fix_text
from lime_task_lint.logging_model import build_logging_model, is_secret_name
from lime_task_lint.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from fakelime import load_task_module, make_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CODES = {"LIME301", "LIME302", "LIME303", "LIME304", "LIME305", "LIME306"}

CREDENTIALS = [
    "password", "passwd", "pwd", "secret", "client_secret", "token", "access_token", "refresh_token",
    "api_key", "apikey", "apiKey", "x-api-key", "X-Api-Key", "authorization", "Authorization", "bearer",
    "private_key", "credentials", "session_key", "auth_header", "db_password", "smtpPassword", "jwt",
    "secret_key", "passphrase",
    # collections of them: every item is one
    "api_keys", "tokens", "passwords", "client_secrets", "accessTokens", "smtp_passwords",
]
# api_key_id: the public identifier of a key (shown in dashboards), not the key itself.
LOOK_ALIKES = [
    "token_count", "password_policy_url", "tokenizer", "secretary", "keyboard", "author",
    "authorized_users_count", "passage", "max_tokens", "api_key_id", "token_type", "password_length",
    "num_passwords", "passes", "authors", "keys", "token_counts",
]


def findings(text: str, codes=CODES, path: str | None = None):
    return check(SourceDocument(text, path), Settings(), codes=set(codes)).violations


@pytest.mark.parametrize("name", CREDENTIALS)
def test_credential_spellings_are_flagged(name):
    assert is_secret_name(name)
    # As a parameter, an attribute, a dict key and an f-string part.
    ident = name.replace("-", "_")
    text = (
        "import logging\nlogger = logging.getLogger(__name__)\n"
        f"def f({ident}, config, headers):\n"
        f"    logger.info('a %s', {ident})\n"
        f"    logger.info('b %s', config.{ident})\n"
        f"    logger.info('c %s', headers[{name!r}])\n"
        f"    logger.info(f'd {{{ident}}}')\n"
        f"    sent = {{{name!r}: config.value}}\n"
        f"    logger.info('e %s', sent)\n"
    )
    lines = sorted(SourceDocument(text).index.to_row_column(v.start)[0] for v in findings(text, {"LIME302"}))
    assert lines == [4, 5, 6, 7, 9]


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_look_alikes_are_not_flagged(name):
    assert not is_secret_name(name)
    text = (
        "import logging\nlogger = logging.getLogger(__name__)\n"
        f"def f({name}, config, headers):\n"
        f"    logger.info('a %s %s %s', {name}, config.{name}, headers[{name!r}])\n"
        f"    logger.info(f'd {{{name}}}')\n"
        f"    sent = {{{name!r}: config.value}}\n"
        f"    logger.info('e %s', sent)\n"
    )
    assert findings(text, {"LIME302"}) == []


def test_secret_fix_redacts_instead_of_making_lazy():
    text = (
        "import logging\nlogger = logging.getLogger(__name__)\n"
        "def f(url, token):\n"
        "    headers = {'Authorization': f'Bearer {token}'}\n"
        "    logger.info(f'Calling {url} with {headers}')\n"
    )
    fixed = fix_text(text, Settings(), unsafe=True, codes=CODES).text
    assert "logger.info('Calling %s with ***', url)" in fixed
    assert "headers" not in fixed.splitlines()[-1] and "token" not in fixed.splitlines()[-1]


LOGGER_SOURCES = {
    "module": "import logging\nlog = logging.getLogger(__name__)\ndef f(x):\n    log.info('{x}')\n",
    "local": "import logging\ndef f(x):\n    lg = logging.getLogger('a')\n    lg.info('{x}')\n",
    "logging": "import logging\ndef f(x):\n    logging.warning('{x}')\n",
    "alias": "import logging as L\ndef f(x):\n    L.getLogger().info('{x}')\n",
    "from-import": "from logging import getLogger\nlogger = getLogger(__name__)\ndef f(x):\n    logger.info('{x}')\n",
    "attribute": ("import logging\nclass C:\n    def __init__(self):\n        self.logger = logging.getLogger('c')\n"
                  "    def f(self, x):\n        self.logger.info('{x}')\n"),
    "parameter": "import logging\ndef f(x, sink: logging.Logger):\n    sink.info('{x}')\n",
    "parameter-from-import": "from logging import Logger\ndef f(x, out: 'Logger'):\n    out.info('{x}')\n",
    "optional-parameter": ("import logging\nfrom typing import Optional\n"
                           "def f(x, out: Optional[logging.Logger] = None):\n    out.info('{x}')\n"),
    "parameter-default": "import logging\ndef f(x, out=logging.getLogger('a')):\n    out.info('{x}')\n",
    "attribute-from-parameter": ("import logging\nclass C:\n    def __init__(self, log: logging.LoggerAdapter):\n"
                                 "        self.out = log\n    def f(self, x):\n        self.out.info('{x}')\n"),
    "fetched-inline": "import logging\ndef f(x):\n    logging.getLogger(__name__).getChild('y').info('{x}')\n",
}
NOT_LOGGERS = {
    "named-like-a-logger": "logger = make_sink()\ndef f(x):\n    logger.info('{x}')\n",
    "third-party": "from structlog import logger\ndef f(x):\n    logger.info('{x}')\n",
    "shadowed": "import logging\nlogger = logging.getLogger(__name__)\ndef f(x, logger):\n    logger.info('{x}')\n",
    "unannotated-parameter": "import logging\ndef f(x, log):\n    log.info('{x}')\n",
    "other-annotation": "import logging\ndef f(x, log: 'Sink'):\n    log.info('{x}')\n",
    "local-shadows": ("import logging\nlogger = logging.getLogger(__name__)\ndef f(x):\n    logger = make_sink()\n"
                      "    logger.info('{x}')\n"),
}


@pytest.mark.parametrize("source", LOGGER_SOURCES.values(), ids=LOGGER_SOURCES.keys())
def test_loggers_are_recognised_by_binding(source):
    assert [v.code for v in findings(source, {"LIME303"})] == ["LIME303"]


@pytest.mark.parametrize("source", NOT_LOGGERS.values(), ids=NOT_LOGGERS.keys())
def test_names_alone_do_not_make_a_logger(source):
    assert findings(source, {"LIME303"}) == []


def test_imported_logger_from_same_package(tmp_path):
    package = tmp_path / "limepkg_x"
    (package / "tasks").mkdir(parents=True)
    source = "from ..log import logger\ndef f(x):\n    logger.info('{x}')\n"
    path = str(package / "tasks" / "t.py")
    # Single-file run: accepted because the import is relative, the name reads like a
    # logger and the module calls .info on it.
    assert [v.code for v in findings(source, {"LIME303"}, path)] == ["LIME303"]
    # With a workspace the other module decides: a logger there...
    (package / "log.py").write_text("import logging\nlogger = logging.getLogger('x')\n")

    class FakeWorkspace:
        def __init__(self, text):
            self.text = text

        def source(self, p):
            return type("Parsed", (), {"tree": ast.parse(self.text)})()

    tree = ast.parse(source)
    assert "logger" in build_logging_model(tree, path, FakeWorkspace((package / "log.py").read_text())).module_loggers
    # ...and not a logger when it is bound to something else.
    assert "logger" not in build_logging_model(tree, path, FakeWorkspace("logger = object()\n")).module_loggers


def test_clean_example_has_no_logging_findings():
    path = ROOT / "examples" / "limepkg_acme" / "tasks" / "clean.py"
    assert findings(path.read_text(), CODES, str(path)) == []


def test_deals_example_shows_every_logging_rule_but_306_alone():
    path = ROOT / "examples" / "limepkg_acme" / "tasks" / "deals.py"
    codes = {v.code for v in findings(path.read_text(), CODES, str(path))}
    assert {"LIME301", "LIME302", "LIME303", "LIME305"} <= codes


TASK = '''import logging
import traceback

from lime_task import task


@task
def archive_deals(app, year: int):
    """Archive the deals of a year."""
    archived = 0
    for deal in app.limetypes.deal.get_all():
        try:
            if deal.id == BAD_ID:
                raise ValueError("bad deal")
            archived += 1
        except Exception as e:
            print(e)
            traceback.print_exc()
    print("Archived", archived, "deals")
    return f"{archived} deals archived"
'''


def test_fixed_task_logs_exceptions_with_key_and_inputs(caplog, capsys):
    result = fix_text(TASK, Settings(), unsafe=True, codes=CODES)
    fixed = result.text
    assert not [v for v in result.remaining if v.code in CODES], [v.message for v in result.remaining]
    app = make_app(companies=3, persons_per_company=0)
    bad = next(iter(app.limetypes.deal.get_all()))
    module = load_task_module(fixed, "fixed_deals")
    module.BAD_ID = bad.id
    with caplog.at_level(logging.INFO, logger="fixed_deals"):
        assert module.archive_deals(app, 2024) == "2 deals archived"
    assert capsys.readouterr().out == ""  # nothing printed any more
    messages = [r.getMessage() for r in caplog.records]
    assert "archive_deals started: year=2024" in messages
    assert "Archived 2 deals" in messages
    # print(e) keeps its text (plus the loop key); print_exc() becomes its own record: nothing deleted.
    failures = [r for r in caplog.records if r.exc_info]
    assert [r.getMessage() for r in failures][0] == f"bad deal (deal {bad.id})"
    assert [r.getMessage() for r in failures][1].startswith("archive_deals failed")
    assert all("bad deal" in str(r.exc_info[1]) for r in failures)


# -- odd shapes: the logging model and the rules built on it must never crash ----------
ODD_SNIPPETS = [
    "f = lambda x: x.a",
    "g(lambda: 1)",
    "h = lambda token: logger.info(token)",
    "k = lambda *a, **kw: (lambda: (lambda: kw)())()",
    "m = lambda x=(t := password): t",
    "if (n := len(rows)) > 1:\n    logger.info(f'{n} rows {password}')",
    "match row:\n    case {'token': tok}:\n        logger.info(tok)\n    case [first, *rest]:\n"
    "        print(rest)\n    case Point(x=0) | None:\n        pass\n    case _:\n        logger.info('%s' % row)",
    "values = [logger.info(v) for v in rows if (w := v)]",
    "pairs = {k: v for k, v in rows}\nflat = {x for x in (y for y in rows)}",
    "first, *rest = rows\nlogger.info('%s', *rest)",
    "logger.info(*rows, **{'exc_info': True})",
    "headers = {**base, 'Authorization': token}\nlogger.info(headers)",
    "global counter\ncounter = 1",
    "async def inner():\n    async for r in rows:\n        await logger.info(r)\n    async with lock as (a, b):\n        pass",
    "def outer():\n    state = 0\n    def inner():\n        nonlocal state\n        state += 1\n        logger.info(f'{state}')\n    return inner",
    "class C:\n    log = logging.getLogger(__name__)\n    def m(self):\n        self.log.info(f'{self.token}')\n"
    "        cls = lambda: self.log\n        cls().warning('x %s' % self)",
    "try:\n    pass\nexcept* ValueError as group:\n    logger.error('failed')",
    "try:\n    import missing\nexcept (ImportError, lambda: 1) as e:\n    logger.info('no')",
    "try:\n    pass\nexcept:\n    logger.error(f'{password}')\nelse:\n    pass\nfinally:\n    print(token)",
    "with open(p) as f, lock:\n    logger.info(f.read())",
    "del rows[0]\nrows[0]: int = 1\nrows.x += password\n(a, b), c = rows",
    "logger.log(level, f'{x}')\nlogger.log()\nlogger.info()\nlogger.info(msg=f'{x}')",
    "print(*rows, sep=password)\ntraceback.print_exc()",
    "x = f'{f\"{password!r:>{width}}\"}'\nlogger.info(x)",
    "while (line := read()):\n    for i in range(3):\n        break\n    else:\n        continue",
    "type Alias = list[int]" if sys.version_info >= (3, 12) else "Alias = list[int]",
    "def gen[T](x: T) -> T:\n    yield x" if sys.version_info >= (3, 12) else "def gen(x):\n    yield x",
    "@(lambda f: f)\ndef decorated(app, password=lambda: token):\n    logger.info('%s' % password)",
    "lambda: (yield)",
    "logging.info('%d' % len(rows))\nlogging.getLogger().info(f'{token}')",
    "print",
    "logger = None\nlogger.info(f'{x}')",
]
ODD_PLACES = [
    "{snippet}\n",
    "@task\ndef job(app, rows):\n{indented}\n",
    "def job(app, rows):\n    for row in rows:\n        try:\n{indented3}\n        except Exception as e:\n"
    "            logger.warning(f'{{row}}')\n",
    "class K:\n    def job(self, rows):\n        with x:\n{indented3}\n",
    "f = lambda: [\n    lambda: 0 for _ in ()\n]\n{snippet}\n",
]
HEAD = "import logging\nimport traceback\nfrom lime_task import task\nlogger = logging.getLogger(__name__)\n"


def _odd_sources():
    for snippet in ODD_SNIPPETS:
        for place in ODD_PLACES:
            indented = "\n".join("    " + line for line in snippet.splitlines())
            indented3 = "\n".join("            " + line for line in snippet.splitlines())
            source = HEAD + place.format(snippet=snippet, indented=indented, indented3=indented3)
            try:
                ast.parse(source)
            except SyntaxError:  # e.g. `nonlocal` or `yield` where Python forbids it
                continue
            yield source


def test_logging_rules_survive_odd_shapes():
    """Lambdas (whose body is an expression, not a list: this crashed LIME302 and
    LIME306), walrus, match, starred, except*, global/nonlocal, nested lambdas and
    comprehensions, in every kind of place: no rule of the family may fail."""
    from lime_task_lint.analysis import analyse
    from lime_task_lint.logging_model import taint

    sources = list(_odd_sources())
    assert len(sources) > 100
    for source in sources:
        analysis = analyse("file:///odd.py", source, Settings())
        failed = [n for n in analysis.result.notes if " failed" in n and n[:7] in CODES]
        assert not failed, f"{failed}\n{source}"
        model = build_logging_model(ast.parse(source))
        for function in model.function_nodes():
            taint(model.index, function)
        for call in model.calls:
            call.message, call.format_args, call.has_exc_info  # noqa: B018 - properties must not raise


def test_taint_reads_a_lambda_body_and_keeps_module_taint():
    from lime_task_lint.logging_model import taint

    from lime_task_lint.semantic import syntax_index

    tree = ast.parse("headers = {'Authorization': token}\nf = lambda: (h := headers)\n")
    index = syntax_index(tree)
    module = taint(index, tree)
    assert module == {"headers": "Authorization"}
    lam = tree.body[1].value
    assert taint(index, lam, module) == {"headers": "Authorization", "h": "headers"}
    assert taint(index, ast.parse("x = 1")) == {}


def test_print_in_an_optional_import_guard_is_lime304_not_lime301():
    """An expected ImportError needs no traceback (not LIME301); a print there
    still goes to stdout instead of the task log, which LIME304 reports."""
    text = ("import logging\nfrom lime_task import task\n\nlogger = logging.getLogger(__name__)\n\n\n"
            "@task\ndef job(app):\n    try:\n        import yaml  # noqa: F401\n    except ModuleNotFoundError:\n"
            "        print('yaml is missing')\n    try:\n        run(app)\n    except ImportError:\n"
            "        print('run failed')\n")
    found = sorted((v.code, text[v.start:v.end]) for v in findings(text, {"LIME301", "LIME304"}))
    assert found == [("LIME301", "print('run failed')"), ("LIME304", "print('yaml is missing')")]


STDERR_SCRIPT = """{head}import sys

import requests


def fetch(path, ref):
    try:
        return requests.get(path, params={{"ref": ref}}).text
    except requests.HTTPError as exc:
        print(f"could not fetch {{path}}@{{ref}}: {{exc}}", file=sys.stderr)
        return None
{tail}"""


@pytest.mark.parametrize("head, tail", [("#!/usr/bin/env python3\n", ""),
                                        ("", "\n\nif __name__ == '__main__':\n    fetch('a', 'b')\n")])
def test_a_stand_alone_script_is_not_held_to_task_rules(head, tail):
    assert findings(STDERR_SCRIPT.format(head=head, tail=tail)) == []


def test_a_print_to_stderr_is_reported_as_stderr_and_keeps_its_text():
    text = STDERR_SCRIPT.format(head="from lime_task import task\n", tail="")
    [finding] = findings(text, {"LIME301"})
    assert "writes to stderr" in finding.message
    fixed = fix_text(text, Settings(), codes={"LIME301"}).text
    assert 'logger.exception("could not fetch %s@%s: %s", path, ref, exc)' in fixed


def test_log_calls_of_a_helper_with_a_logger_parameter_are_checked():
    text = ("import logging\n\n\ndef push_all(rows, log: logging.Logger):\n    for row in rows:\n        try:\n"
            "            row.push()\n        except Exception:\n            log.error('push failed')\n")
    [finding] = findings(text, {"LIME301"})
    fixed = fix_text(text, Settings(), codes={"LIME301"}).text
    assert "log.exception('push failed (row %s)', row)" in fixed


def test_new_logger_never_takes_a_name_a_function_binds():
    text = ("import logging\nlogger = logging.getLogger(__name__)\n\n\ndef push(row, logger=None):\n    try:\n"
            "        row.push()\n    except ValueError as e:\n        print('push failed', e)\n")
    fixed = fix_text(text, Settings(), codes={"LIME301"}).text
    # The module's `logger` is hidden by the parameter: a second module logger with a free name is used.
    assert "_logger = logging.getLogger(__name__)" in fixed
    assert "_logger.exception('push failed %s', e)" in fixed


def test_exc_info_false_is_switched_on_not_overridden():
    text = ("import logging\nlogger = logging.getLogger(__name__)\n\n\ndef push(row):\n    try:\n"
            "        row.push()\n    except ValueError:\n        logger.error('failed', exc_info=False)\n")
    fixed = fix_text(text, Settings(), codes={"LIME301"}).text
    assert "logger.error('failed', exc_info=True)" in fixed


def test_plain_field_before_python_311_is_unsafe_unless_its_type_is_proven():
    """`format(x, "")` and `str(x)` differ for mixed-in enums before 3.11."""
    text = ("import logging\nlogger = logging.getLogger(__name__)\n\n\ndef f(status, rows):\n"
            "    logger.info(f'status {status}')\n    logger.info(f'rows {len(rows)}')\n")
    old = check(SourceDocument(text), Settings(target_version=(3, 10)), codes={"LIME306"}).violations
    assert [v.fix.applicability for v in old] == [Applicability.UNSAFE, Applicability.SAFE]
    assert "Enum" in old[0].fix.title
    new = check(SourceDocument(text), Settings(target_version=(3, 11)), codes={"LIME306"}).violations
    assert [v.fix.applicability for v in new] == [Applicability.SAFE, Applicability.SAFE]


REDACTIONS = [
    # (logged expression, fixed call, applicability)
    ("'key %s', api_key.strip()", "'key %s', \"***\"", "unsafe"),
    ("'key %s' % api_key", "'key %s' % \"***\"", "safe"),
    ("'key %s', api_key", "'key %s', \"***\"", "safe"),
    ("'key %r', [api_key, 1]", "'key %r', [\"***\", 1]", "safe"),
    ("'key %s', 'Bearer ' + api_key", "'key %s', \"***\"", "unsafe"),
    ("'key %d', api_key", None, None),
    ("f'key {api_key.encode()!r:>40}'", "f'key ***'", "unsafe"),
    ("'key', extra={'api_key': api_key.strip()}", "'key', extra={'api_key': \"***\"}", "unsafe"),
    ("'key', extra=dict(api_key=api_key)", None, None),
]


@pytest.mark.parametrize("logged, expected, applicability", REDACTIONS)
def test_redaction_replaces_a_whole_formatted_value(logged, expected, applicability):
    text = ("import logging\nlogger = logging.getLogger(__name__)\n\n\ndef f(api_key):\n"
            f"    logger.info({logged})\n")
    [finding] = findings(text, {"LIME302"})
    if expected is None:
        assert finding.fix is None
        return
    assert finding.fix.applicability.value == applicability
    fixed = fix_text(text, Settings(), unsafe=True, codes={"LIME302"}).text
    assert f"logger.info({expected})" in fixed
    namespace: dict = {}
    exec(compile(fixed, "<fixed>", "exec"), namespace)  # noqa: S102 - the fixed code must run
    namespace["f"]("s3cr3t-value")


def test_fixes_never_start_logging_a_credential():
    text = ("import logging\nlogger = logging.getLogger(__name__)\n\n\ndef rotate(keys, client):\n"
            "    for api_key in keys:\n        try:\n            client.use(api_key)\n        except ValueError:\n"
            "            logger.error('key rejected')\n    token = client.token\n"
            "    logger.info('rotated, last token {token}')\n")
    fixed = fix_text(text, Settings(), unsafe=True, codes={"LIME301", "LIME303"}).text
    assert "logger.exception('key rejected')" in fixed  # no loop key: the key is the secret
    assert "logger.info('rotated, last token {token}')" in fixed  # the braces stay: no fix logs the token
