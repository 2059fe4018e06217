"""Red-team regressions: task shapes that made a fix change what a task does.

Each test is one kind of input a demanding Lime integration developer writes,
run before and after ``check --fix`` on the fake Lime application through the
differential harness (tests/differential.py).  A *safe* fix must keep the
result, the raised exception, the data, the ordered commits and HTTP calls,
the log records and the output, except what its rule changes on purpose (the
text of a LIME303 record, a print that becomes a record); an *unsafe* fix may
change only what its rule's Fix safety docs list.
"""

from __future__ import annotations

import textwrap

import pytest

from differential import Scenario, differences, fixed, outcome

SCHEMA = {"company": {"name": "string", "city": "string", "score": "integer", "synced": "yesno"}}
ROWS = [{"name": f"Bolag {i}", "city": "Lund" if i % 2 else "Malmö", "score": i, "synced": False} for i in range(7)]
SCENARIOS = [Scenario("eager", SCHEMA, {"company": ROWS}),
             Scenario("paging", SCHEMA, {"company": ROWS}, page_size=3)]

HEADER = '''
import logging
import sys

from lime_task import task

logger = logging.getLogger(__name__)
'''


def _module(body: str) -> str:
    return HEADER + textwrap.dedent(body)


def _changes(source: str, *, unsafe: bool = False, codes=None, messages: str = "exact") -> list[str]:
    after = fixed(source, unsafe=unsafe, codes=codes)
    compile(after, "<fixed>", "exec")
    found = []
    for scenario in SCENARIOS:
        changed = differences(outcome(source, "run", scenario), outcome(after, "run", scenario),
                              messages=messages, secrets=scenario.secrets)
        found += [f"{scenario.name}: {line}" for line in changed]
    return found + ([f"--- fixed ---\n{after}"] if found else [])


# -- LIME303: the safe fix reads names it must prove bound -------------------------------

@pytest.mark.parametrize("binding", [
    # a module name bound only on one platform / one branch
    'if sys.platform == "no-such-platform":\n    REGION = "eu"\n',
    # bound only when an optional import works
    'try:\n    import no_such_lime_addon as REGION\nexcept ImportError:\n    pass\n',
    # bound only by a function's `global` that never ran
    'def configure():\n    global REGION\n    REGION = "eu"\n',
    # a walrus that short-circuits away
    'FLAG = False\nFLAG and (REGION := "eu")\n',
])
def test_lime303_safe_fix_never_reads_a_module_name_that_may_be_unbound(binding):
    source = _module(binding + '''

@task
def run(app):
    logger.info("syncing {REGION}")
    return "done"
''')
    after = fixed(source, codes={"LIME303"})
    # the record's text may change on purpose; the task may not start failing
    assert not [c for c in _changes(source, codes={"LIME303"}, messages="count")], after
    assert 'logger.info("syncing {REGION}")' in after  # not safe: offered only as unsafe


def test_lime303_safe_fix_never_reads_a_closure_name_bound_after_the_nested_function():
    source = _module('''
@task
def run(app):
    def report():
        logger.info("synced {count} companies")

    for _ in []:
        report()
    count = 0
    return count
''')
    assert not _changes(source, codes={"LIME303"}, messages="count")
    assert 'logger.info("synced {count} companies")' in fixed(source, codes={"LIME303"})


# -- LIME301: the loop key added to the message must not be a credential --------------------

def test_lime301_safe_fix_never_adds_an_item_of_a_collection_of_credentials_to_the_log():
    source = _module('''
def _call_partner(key):
    if not key.startswith("pk-"):
        raise ValueError("rejected")


@task
def run(app, api_keys=("sk-live-7731", "pk-test-0042")):
    for key in api_keys:
        try:
            _call_partner(key)
        except ValueError:
            logger.warning("partner rejected a key")
    return "checked"
''')
    after = fixed(source, codes={"LIME301"})
    assert "exc_info=True" in after  # the traceback is still added
    for scenario in SCENARIOS:
        scenario = Scenario(scenario.name, SCHEMA, scenario.rows, page_size=scenario.page_size,
                            secrets=("sk-live-7731", "pk-test-0042"))
        changed = differences(outcome(source, "run", scenario), outcome(after, "run", scenario),
                              messages="text", secrets=scenario.secrets)
        assert not changed, "\n".join(changed) + "\n" + after


def test_lime302_flags_an_item_of_a_collection_of_credentials():
    from lime_task_lint.checker import check
    from lime_task_lint.document import SourceDocument
    from lime_task_lint.settings import Settings
    source = _module('''
@task
def run(app, api_keys=("sk-1",), settings=None):
    for key in api_keys:
        logger.info("trying %s", key)
    for name, value in (settings or {}).items():
        logger.info("setting %s", name)
    return "ok"
''')
    found = check(SourceDocument(source), Settings(), codes={"LIME302"}).violations
    assert [v.message.split("`")[1] for v in found] == ["key"]  # the item, not the setting's name


# -- LIME304 / LIME301: a print that continues its line -----------------------------------

def _printed_text(run) -> str:
    """What a reader sees: stdout, then each record's message on a line of its own."""
    return run.output + "".join(message + "\n" for _, message, _ in run.logs)


@pytest.mark.parametrize("codes", [{"LIME304"}, {"LIME301"}])
def test_print_continuing_its_line_is_not_turned_into_a_record(codes):
    source = _module('''
@task
def run(app):
    for company in app.limetypes.company.get_all():
        print("syncing", company.properties.name.value, end="... ")
        try:
            int(company.properties.city.value)
        except ValueError:
            print("skipped")
            continue
        print("ok")
    return "done"
''')
    after = fixed(source, codes=codes)
    assert after.count("print(") == 3, after  # the skipped item's print continues a line too
    for scenario in SCENARIOS:
        before_run, after_run = outcome(source, "run", scenario), outcome(after, "run", scenario)
        # a print may become a record on purpose; the text on each line may not change
        assert sorted(_printed_text(before_run).splitlines()) == sorted(_printed_text(after_run).splitlines()), after


# -- LIME101: a generator expression reads its names when each item is taken -------------

LATE_READS = {
    "name rebound between the list and its loop": '''
@task
def run(app):
    city = "Lund"
    local = [c.properties.name.value for c in app.limetypes.company.get_all() if c.properties.city.value == city]
    city = "Malmö"
    names = []
    for name in local:
        names.append((name, city))
    return names
''',
    "name rebound by the consuming loop": '''
@task
def run(app):
    last = -1
    rising = [c for c in app.limetypes.company.get_all() if c.properties.score.value > last]
    count = 0
    for company in rising:
        last = company.properties.score.value + 1
        count += 1
    return count
''',
    "dict the loop fills, read by the element": '''
@task
def run(app):
    per_city = {}
    ranked = [(c.properties.city.value, per_city.get(c.properties.city.value, 0))
              for c in app.limetypes.company.get_all()]
    for city, rank in ranked:
        per_city[city] = rank + 1
    return sorted(per_city.items())
''',
    "attribute of self changed before the sum": '''
class Scoring:
    def __init__(self, app):
        self.application = app
        self.floor = 2

    def total(self):
        scores = [c.properties.score.value for c in self.application.limetypes.company.get_all()
                  if c.properties.score.value >= self.floor]
        self.floor = 5
        return sum(s for s in scores)


@task
def run(app):
    return Scoring(app).total()
''',
    "list() of a generator whose filter reads a rebound name": '''
@task
def run(app):
    wanted = "Lund"
    found = list(c.id for c in app.limetypes.company.get_all() if c.properties.city.value == wanted)
    wanted = None
    return sum(i for i in found)
''',
    "filter that counts in a module dict the loop reads": '''
STATS = {"seen": 0}


def _counted(company):
    STATS["seen"] += 1
    return company.properties.score.value % 2 == 0


@task
def run(app):
    even = [c for c in app.limetypes.company.get_all() if _counted(c)]
    progress = 0
    for company in even:
        progress += STATS["seen"]
    return progress
''',
}


@pytest.mark.parametrize("body", LATE_READS.values(), ids=LATE_READS.keys())
def test_lime101_lazy_items_never_read_names_changed_before_they_are_taken(body):
    source = _module(body)
    assert not _changes(source, codes={"LIME101"})
    assert not _changes(source, unsafe=True, codes={"LIME101"})  # not a listed change either


# -- LIME102: a generator builder reads what it was given while the caller iterates ------

BUILDER_READS = {
    "options dict the caller's loop changes": '''
def _names(app, options):
    names = []
    for company in app.limetypes.company.get_all():
        if company.properties.city.value != options["skip_city"]:
            names.append(company.properties.name.value)
    return names


@task
def run(app):
    options = {"skip_city": "Lund"}
    picked = []
    for name in _names(app, options):
        options["skip_city"] = "Malmö"
        picked.append(name)
    return picked
''',
    "module set the caller's loop fills": '''
DONE = set()


def _pending(app):
    pending = []
    for company in app.limetypes.company.get_all():
        if company.properties.city.value not in DONE:
            pending.append(company.properties.city.value)
    return pending


@task
def run(app):
    handled = 0
    for city in _pending(app):
        DONE.add(city)
        handled += 1
    return handled
''',
    "list the caller's loop appends to": '''
def _with_position(app, taken):
    rows = []
    for company in app.limetypes.company.get_all():
        rows.append((company.properties.name.value, len(taken)))
    return rows


@task
def run(app):
    taken = []
    positions = []
    for name, position in _with_position(app, taken):
        taken.append(name)
        positions.append(position)
    return positions
''',
}


@pytest.mark.parametrize("body", BUILDER_READS.values(), ids=BUILDER_READS.keys())
def test_lime102_generator_never_reads_what_the_caller_changes_while_iterating(body):
    source = _module(body)
    assert not _changes(source, codes={"LIME102"})
    assert not _changes(source, unsafe=True, codes={"LIME102"})


# -- LIME305: a parameter whose default holds a credential in its text ---------------------

@pytest.mark.parametrize("default", ['"Server=crm-db;Database=lime;User Id=sync;Password=Vinter2026!"',
                                     '"https://sync:Vinter2026!@erp.example.se/api"'])
def test_lime305_safe_fix_never_logs_a_parameter_whose_default_is_a_credential(default):
    source = _module(f'''
@task
def run(app, target: str = {default}, retries: int = 3):
    return retries
''')
    after = fixed(source, codes={"LIME305"})
    assert "retries=%s" in after  # the scalar is still logged
    for scenario in SCENARIOS:
        scenario = Scenario(scenario.name, SCHEMA, scenario.rows, secrets=("Vinter2026!",))
        changed = differences(outcome(source, "run", scenario), outcome(after, "run", scenario),
                              messages="count", secrets=scenario.secrets)
        assert changed == ["messages: 0 -> 1"], after  # one record, without the password


# -- LIME104: `len([...])` counts what each element did ----------------------------------

def test_lime104_never_drops_elements_that_do_work():
    source = _module('''
def _mark_synced(app, company):
    company.properties.synced.value = True
    unit = app.unit_of_work()
    unit.add(company)
    unit.commit()
    return company.id


@task
def run(app):
    synced = len([_mark_synced(app, c) for c in app.limetypes.company.get_all()])
    return f"{synced} companies synced"
''')
    assert not _changes(source, codes={"LIME104"})
    assert not _changes(source, unsafe=True, codes={"LIME104"})


def test_lime104_dropping_an_element_that_only_reads_is_unsafe():
    from lime_task_lint.checker import check
    from lime_task_lint.document import SourceDocument
    from lime_task_lint.settings import Settings
    source = _module('''
@task
def run(app):
    plain = len([c for c in app.limetypes.company.get_all()])
    names = len([c.properties.name.value for c in app.limetypes.company.get_all()])
    return plain, names
''')
    fixes = [v.fix for v in check(SourceDocument(source), Settings(), codes={"LIME104"}).violations]
    assert [f.is_safe for f in fixes] == [True, False]
    assert not _changes(source, unsafe=True, codes={"LIME104"})


# -- LIME101: an error while reading moves into a `with` that sees it -----------------------

@pytest.mark.parametrize("guard", ["contextlib.suppress(ValueError)", "_Audit()"])
def test_lime101_safe_fix_never_moves_a_read_error_into_a_with(guard):
    source = _module(f'''
import contextlib


class _Audit:
    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        logger.warning("audit closed after %s", kind.__name__ if kind else "success")
        return True


@task
def run(app):
    scores = [int(c.properties.name.value) for c in app.limetypes.company.get_all()]
    total = 0
    with {guard}:
        for score in scores:
            total += score
    return total
''')
    assert not _changes(source, codes={"LIME101"})


# -- LIME101: a loop that yields lets the caller write between the items ---------------------

def test_lime101_safe_fix_never_makes_items_lazy_across_a_yield():
    source = _module('''
def _in_lund(app):
    in_lund = [c for c in app.limetypes.company.get_all() if c.properties.city.value == "Lund"]
    for company in in_lund:
        yield company


@task
def run(app):
    moved = []
    for company in _in_lund(app):
        moved.append(company.properties.name.value)
        for other in app.limetypes.company.get_all():
            other.properties.city.value = "Malmö"
            unit = app.unit_of_work()
            unit.add(other)
            unit.commit()
    return moved
''')
    assert not _changes(source, codes={"LIME101"})


# -- LIME102: code around the builder's loop runs when the generator ends ------------------

AROUND_THE_LOOP = {
    "an except handler that logs": '''
def _ratios(app):
    ratios = []
    try:
        for company in app.limetypes.company.get_all():
            ratios.append(12 // (company.properties.score.value - 3))
    except ZeroDivisionError:
        logger.warning("stopped at a zero score")
    return ratios


@task
def run(app):
    total = 0
    for ratio in _ratios(app):
        logger.info("ratio %s", ratio)
        total += ratio
    return total
''',
    "a finally that marks the work done": '''
def _names(app, progress):
    names = []
    try:
        for company in app.limetypes.company.get_all():
            names.append(company.properties.name.value)
    finally:
        progress["listed"] = True
    return names


@task
def run(app):
    progress = {"listed": False}
    return [(name, progress["listed"]) for name in _names(app, progress)]
''',
    "a with whose exit logs": '''
class _Timer:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        logger.info("listing took a while")


def _names(app):
    names = []
    with _Timer():
        for company in app.limetypes.company.get_all():
            names.append(company.properties.name.value)
    return names


@task
def run(app):
    for name in _names(app):
        logger.info("company %s", name)
    return "ok"
''',
}


@pytest.mark.parametrize("body", AROUND_THE_LOOP.values(), ids=AROUND_THE_LOOP.keys())
def test_lime102_never_defers_code_around_the_builders_loop(body):
    source = _module(body)
    assert not _changes(source, codes={"LIME102"})
    assert not _changes(source, unsafe=True, codes={"LIME102"})


# -- LIME101: effectful items consumed by a comprehension or map() --------------------------

@pytest.mark.parametrize("consumer", [
    "[_announce(name) for name in names]",
    "list(map(_announce, names))",
    '", ".join(_announce(name) for name in names)',
    "{name: _announce(name) for name in names}",
])
def test_lime101_safe_fix_never_interleaves_item_effects_with_a_consuming_expression(consumer):
    source = _module(f'''
def _listed(company):
    logger.info("listed %s", company.properties.name.value)
    return company.properties.name.value


def _announce(name):
    logger.info("announcing %s", name)
    return name.upper()


@task
def run(app):
    names = [_listed(c) for c in app.limetypes.company.get_all()]
    return {consumer}
''')
    assert not _changes(source, codes={"LIME101"})


# -- LIME101: effectful items whose consumer may not run ---------------------------------

@pytest.mark.parametrize("rest", [
    # consumed only on one branch
    "if verbose:\n        for name in names:\n            logger.info('name %s', name)\n    return 'done'",
    # an early return before the consumer
    "if not verbose:\n        return 'quiet'\n    return ', '.join(n for n in names)",
])
def test_lime101_never_makes_effectful_items_lazy_when_the_consumer_may_not_run(rest):
    source = _module(f'''
def _touched(app, company):
    company.properties.synced.value = True
    unit = app.unit_of_work()
    unit.add(company)
    unit.commit()
    return company.properties.name.value


@task
def run(app, verbose=False):
    names = [_touched(app, c) for c in app.limetypes.company.get_all()]
    {rest}
''')
    assert not _changes(source, codes={"LIME101"})
    assert not _changes(source, unsafe=True, codes={"LIME101"})


def test_lime102_generator_never_defers_changes_to_what_the_caller_passed():
    source = _module('''
def _names(app, tally):
    names = []
    for company in app.limetypes.company.get_all():
        tally["listed"] += 1
        names.append(company.properties.name.value)
    return names


@task
def run(app):
    progress = {"listed": 0}
    return [(name, progress["listed"]) for name in _names(app, progress)]
''')
    assert not _changes(source, codes={"LIME102"})
    assert not _changes(source, unsafe=True, codes={"LIME102"})


def test_lime101_filter_reading_the_collection_its_consumer_fills_stays_a_list():
    source = _module('''
@task
def run(app):
    cities = []
    new = [c.properties.city.value for c in app.limetypes.company.get_all()
           if c.properties.city.value not in cities]
    cities.extend(new)
    return cities
''')
    assert not _changes(source, codes={"LIME101"})
    assert not _changes(source, unsafe=True, codes={"LIME101"})


# -- LIME201: the batch loop needs the itertools module --------------------------------------

HIDDEN_ITERTOOLS = {
    "module variable": ('itertools = "round-robin"\n', "app"),
    "parameter": ("", 'app, itertools="round-robin"'),
}


@pytest.mark.parametrize("module_line, parameters", HIDDEN_ITERTOOLS.values(), ids=HIDDEN_ITERTOOLS.keys())
def test_lime201_batching_never_calls_a_local_itertools(module_line, parameters):
    source = _module(f'''
{module_line}

@task
def run({parameters}):
    for company in app.limetypes.company.get_all():
        company.properties.synced.value = True
        unit = app.unit_of_work()
        unit.add(company)
        unit.commit()
    return itertools
''')
    after = fixed(source, unsafe=True, codes={"LIME201", "LIME204"})
    assert "islice" not in after and "batched" not in after, after
    assert not _changes(source, unsafe=True, codes={"LIME201", "LIME204"})


# -- Effects: a method changes the object it is called on ---------------------------------

def test_lime101_sees_a_method_that_changes_self_while_the_items_are_taken():
    source = _module('''
class _Sync:
    def __init__(self, app):
        self.application = app
        self.done = set()

    def _mark(self, city):
        self.done.add(city)

    def cities(self):
        todo = [c.properties.city.value for c in self.application.limetypes.company.get_all()
                if c.properties.city.value not in self.done]
        handled = []
        for city in todo:
            self._mark(city)
            handled.append(city)
        return handled


@task
def run(app):
    return _Sync(app).cities()
''')
    assert not _changes(source, codes={"LIME101"})
