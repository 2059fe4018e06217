"""Proof by running: the logging fixes (LIME301-LIME306) keep what a task does.

Each test writes a small task in the shape of one kind of fault, fixes it with
the project's fixer and runs the original and the fixed module on the fake Lime
application (tests/fakelime) with the same data.  It compares the result, the
raised exception, the log records (level and message text), stdout and
whether a credential reaches the log or stdout.  Where a fix turns prints into
records on purpose, the texts are compared as one list (stdout lines plus
record messages).
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakelime import FakeLimeApplication, load_task_module, seed  # noqa: E402

from lime_task_lint.checker import check  # noqa: E402
from lime_task_lint.document import SourceDocument  # noqa: E402
from lime_task_lint.edits import Applicability  # noqa: E402
from lime_task_lint.fixer import fix_text  # noqa: E402
from lime_task_lint.settings import Settings  # noqa: E402

SCHEMA = {"deal": {"name": "string", "value": "decimal", "quantity": "integer", "note": "string"}}


@dataclass
class Outcome:
    result: object = None
    error: str | None = None
    records: list[tuple[str, str]] = field(default_factory=list)
    stdout: str = ""

    @property
    def texts(self) -> list[str]:
        """Everything the run wrote for a reader: stdout lines and record messages."""
        return sorted([line for line in self.stdout.splitlines() if line] + [m for _, m in self.records])

    def leaks(self, secret: str) -> bool:
        return secret in self.stdout or any(secret in m for _, m in self.records)


class _Capture(logging.Handler):
    """Keeps (level, message) of every record; a record whose message cannot be
    formatted is lost, as with a real handler (logged as such, to be seen)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.records.append((record.levelname, record.getMessage()))
        except Exception as error:  # what logging's handleError reports on stderr
            self.records.append(("LOST", type(error).__name__))


def run(source: str, name: str, call) -> Outcome:
    """Load ``source`` as a fresh module and run ``call(module)``."""
    module = load_task_module(source, name)
    capture = _Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    out = io.StringIO()
    outcome = Outcome()
    try:
        with contextlib.redirect_stdout(out):
            outcome.result = call(module)
    except Exception as error:  # the exception is part of what the task does
        outcome.error = f"{type(error).__name__}: {error}"
    finally:
        root.removeHandler(capture)
        root.setLevel(previous)
    outcome.records = capture.records
    outcome.stdout = out.getvalue()
    return outcome


def fixes_of(source: str, code: str) -> list:
    return [v.fix for v in check(SourceDocument(source), Settings(), codes={code}).violations if v.fix is not None]


def fixed(source: str, code: str, unsafe: bool) -> str:
    return fix_text(source, Settings(), unsafe=unsafe, codes={code}).text


def make_app(rows: list[dict]) -> FakeLimeApplication:
    app = FakeLimeApplication(SCHEMA)
    seed(app, "deal", rows)
    return app


# -- LIME303: a placeholder names something the handler cannot read --------------------
RATES = '''
import logging

from lime_task import task

logger = logging.getLogger(__name__)


@task
def refresh_rates(app, lookup):
    missing = 0
    label = "rate"
    for deal in app.limetypes.deal.get_all():
        try:
            quote = lookup(deal.id)
            quote.check()
        except LookupError:
            logger.warning("No {label} for deal, last seen {quote.amount}")
            missing += 1
    return missing
'''


def _failing_lookup(deal_id):
    raise LookupError(deal_id)


def test_303_placeholder_unbound_in_its_handler_is_not_fixed_safely():
    [fix] = fixes_of(RATES, "LIME303")
    assert fix.applicability is Applicability.UNSAFE and "may be unbound" in fix.title

    def call(module):
        return module.refresh_rates(make_app([{"name": "a"}, {"name": "b"}]), _failing_lookup)

    before = run(RATES, "rates_before", call)
    after = run(fixed(RATES, "LIME303", unsafe=False), "rates_after", call)
    assert (before.result, before.error) == (2, None)
    assert (after.result, after.error, after.records) == (before.result, before.error, before.records)


BOUND = '''
import logging

logger = logging.getLogger(__name__)


def report(total, label, ratio):
    width = len(label)
    logger.info("{label!r:>12} total {total!s:<6}| {width:+04d} {ratio} 100%")
'''


@pytest.mark.parametrize("values", [(12, "deals", 0.5), (None, "a%sb", -3), (Decimal("2.675"), "", float("nan"))])
def test_303_safe_fix_logs_what_the_f_string_would(values):
    [fix] = fixes_of(BOUND, "LIME303")
    assert fix.applicability is Applicability.SAFE, fix.title
    after = run(fixed(BOUND, "LIME303", unsafe=False), "bound_after", lambda m: m.report(*values))
    total, label, ratio = values
    width = len(label)
    assert after.records == [("INFO", f"{label!r:>12} total {total!s:<6}| {width:+04d} {ratio} 100%")]


# -- LIME306: format semantics ----------------------------------------------------------
INVOICES = '''
import logging
from decimal import Decimal

from lime_task import task

logger = logging.getLogger(__name__)


@task
def log_invoices(app):
    checked = 0
    for deal in app.limetypes.deal.get_all():
        amount = Decimal(deal.properties.value.value)
        offset = int(deal.properties.quantity.value) - 3
        logger.info(f"deal {deal.id:-8d} amount {amount:.2f}")
        logger.info(f"deal {deal.id:<6d}|{offset:-5d}|{offset:+d}|{offset: 4d}|{checked:05d}")
        logger.debug(f"note {deal.properties.note.value:.3s} value {deal.properties.value.value:.1f}")
        logger.debug(f"quantity {deal.properties.quantity.value:d}")
        checked += 1
    return checked
'''


@pytest.mark.parametrize("rows", [
    [{"value": Decimal("2.675"), "quantity": 1, "note": "abcdef"}, {"value": Decimal("1.005"), "quantity": 9}],
    [{"value": None, "quantity": 2}],  # {None:.1f} raises in the task
    [{"value": Decimal("3.5"), "quantity": None}],  # int(None) raises before any log call
])
def test_306_fixes_keep_text_and_exceptions(rows):
    def call(module):
        return module.log_invoices(make_app(rows))

    before = run(INVOICES, "invoices_before", call)
    for unsafe in (False, True):
        after = run(fixed(INVOICES, "LIME306", unsafe), "invoices_after", call)
        assert (after.result, after.error, after.records) == (before.result, before.error, before.records)
    # The Decimal line and the lines on values of unknown type stay eager; the int line is lazy.
    text = fixed(INVOICES, "LIME306", unsafe=True)
    assert 'f"deal {deal.id:-8d} amount {amount:.2f}"' in text
    assert '"deal %-6d|%5d|%+d|% 4d|%05d", deal.id, offset, offset, offset, checked' in text
    assert 'f"quantity {deal.properties.quantity.value:d}"' in text


def test_306_parenthesised_message_stays_one_message():
    source = ("import logging\nlogger = logging.getLogger(__name__)\n\n\ndef warn(count):\n"
              "    logger.warning(\n        (\n            f\"{count} rows\" \" skipped\"\n        )\n    )\n")
    after = run(fixed(source, "LIME306", unsafe=False), "paren_after", lambda m: m.warn(7))
    assert after.records == [("WARNING", "7 rows skipped")]


# -- LIME302: redaction of an expression ----------------------------------------------
TOKEN = '''
import base64
import logging

from lime_task import task

logger = logging.getLogger(__name__)


@task
def authorise(app, client: str) -> str:
    session_token = base64.b64encode(f"{client}:HUSH-42".encode())
    logger.info("token %s for %s", session_token.decode(), client)
    logger.info(f"raw {session_token!r}")
    passcode = 4242
    logger.info("passcode %d", passcode)
    return client
'''


def test_302_redaction_replaces_the_whole_logged_value():
    secret = base64.b64encode(b"acme:HUSH-42").decode()
    before = run(TOKEN, "token_before", lambda m: m.authorise(make_app([]), "acme"))
    assert before.leaks(secret)
    for unsafe in (False, True):
        after = run(fixed(TOKEN, "LIME302", unsafe), "token_after", lambda m: m.authorise(make_app([]), "acme"))
        assert (after.result, after.error) == (before.result, before.error) == ("acme", None)
        assert len(after.records) == len(before.records) and all(level != "LOST" for level, _ in after.records)
    assert not after.leaks(secret)
    assert after.leaks("4242")  # "***" under "%d" would fail in the handler: left to the author
    text = fixed(TOKEN, "LIME302", unsafe=True)
    assert 'logger.info("token %s for %s", "***", client)' in text
    assert 'logger.info("passcode %d", passcode)' in text


# -- LIME305: inputs without credentials or contents ------------------------------------
MAILER = '''
import logging

from lime_task import task

logger = logging.getLogger(__name__)


@task
def mail_digest(app, relay: str, relay_pass: str, db_conn_str: str, basic_auth: str, recipients: list,
                retries: int = 3) -> int:
    return len(recipients)
'''


def test_305_logs_scalars_and_sizes_never_credentials_or_contents():
    args = ("relay.example", "P4SS-relay", "Server=x;Password=P4SS-db", "Basic P4SS-auth",
            ["ann@example.com", "bo@example.com"])

    def call(module):
        return module.mail_digest(make_app([]), *args)

    before = run(MAILER, "mailer_before", call)
    for unsafe in (False, True):
        after = run(fixed(MAILER, "LIME305", unsafe), "mailer_after", call)
        assert (after.result, after.error) == (before.result, before.error)
        assert not after.leaks("P4SS") and not after.leaks("ann@example.com")
    assert after.records == [("INFO", "mail_digest started: relay=relay.example, recipients=2 items, retries=3")]


# -- LIME301: prints in branches, a parameter named logger --------------------------------
RETRIES = '''
from lime_task import task


def push(row):
    if row.get("broken"):
        raise ConnectionError("erp down")


@task
def push_all(app, rows: list, attempts: int = 2) -> int:
    failed = 0
    for row in rows:
        for attempt in range(attempts):
            try:
                push(row)
                break
            except ConnectionError as error:
                if attempt + 1 < attempts:
                    print("retrying", row["id"], error)
                else:
                    print("giving up on", row["id"], "after", attempts, "attempts:", error)
                    failed += 1
    return failed
'''


def test_301_each_print_becomes_its_own_record_with_its_text():
    def call(module):
        return module.push_all(make_app([]), [{"id": 1, "broken": True}, {"id": 2}])

    before = run(RETRIES, "retries_before", call)
    for unsafe in (False, True):
        after = run(fixed(RETRIES, "LIME301", unsafe), "retries_after", call)
        assert (after.result, after.error) == (before.result, before.error) == (1, None)
        assert after.stdout == "" and after.texts == before.texts
        assert {level for level, _ in after.records} == {"ERROR"}


HOOK = '''
import logging

from lime_task import task


def notify(deal, logger=None):
    try:
        raise TimeoutError("hook timed out")
    except TimeoutError as error:
        print("hook failed for", deal.id, error)
        return False
    if logger:
        logger.info("notified")
    return True


@task
def notify_all(app) -> int:
    logging.getLogger(__name__).info("notify_all started")
    return sum(1 for deal in app.limetypes.deal.get_all() if not notify(deal))
'''


def test_301_never_uses_a_parameter_named_logger():
    def call(module):
        return module.notify_all(make_app([{"name": "a"}, {"name": "b"}]))

    before = run(HOOK, "hook_before", call)
    text = fixed(HOOK, "LIME301", unsafe=True)
    after = run(text, "hook_after", call)
    assert (after.result, after.error) == (before.result, before.error) == (2, None)
    assert after.texts == before.texts
    # The parameter `logger` (None here) is never used: the new module logger has a name nothing else uses.
    assert re.search(r"(?<!\w)logger\.exception", text) is None and "_logger.exception" in text
