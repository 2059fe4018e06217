"""LIME203 query-in-loop: a database read per item (N+1).

## What it does
Flags a Lime read inside a loop or comprehension: `<limetype>.get(id)`,
`get_all(filter=EqualsOperator(field, item))`, a relation `.fetch()`,
`app.files.fetch(...)`, `lime_query.execute_query(...)`, or a call of a helper
that reads (same module, or another workspace module). Paging reads
(`get_all(limit=...)` in a `while` loop) are not flagged.

**The application** is found by data flow, not by position: a parameter
annotated `LimeApplication` (any import form or alias), a parameter named
`app`, `application`, `lime_app`... at any position, any name whose
`.limetypes` is read, a parameter a caller in this module or another
workspace module passes the application to, `obj.application` of a Lime
object, `self.application` in limeobject classes, endpoints and event
handlers, `lime_application.get_application(...)`, and names assigned from
any of these. Limetypes come from `app.limetypes.<name>`,
`get_limetype(...)` (through variables and `self` attributes) and
parameters annotated `LimeType`. A relation is read by `.fetch()` on
`obj.properties.<name>`, `obj.get_property(name)`, `getattr(obj.properties,
name)`, an item of `obj.properties`, or a name checked with
`isinstance(x, BelongsToPropertyAccessor)` (or `HasManyPropertyAccessor`).

**A helper** is a function of this module, or of another module reached
through any import form (`from pkg.mod import f`, `import pkg.mod as m`,
`from . import m`, a re-export in a package's `__init__.py`), or of an
installed package whose source is in the analysed environment's
site-packages. It is resolved from the syntax trees alone, the same way every
run; a helper that cannot be resolved is unknown, never "reads nothing".

**A small loop** is not flagged: one over a literal tuple or list, a module
constant, `range(n)` with literal bounds, a parameter's default, a
configuration mapping (`config[...]`, `get_app_config(...)`, names like
`settings`) or a unit of work's `context`, with every enclosing loop small
too (at most 20 passes counted from the code). A larger count stated in the
code is reported as information with that count. A read under
`if x is None:` / `if not x:` that assigns `x` (a lazy one-time load) runs
once, not per item.

## Why is this bad?
Each read is a database round trip. A read per item of a 100,000-row import
is 100,000 round trips (minutes of latency alone) where one pre-fetch before
the loop would do. A read that does not depend on the loop variable repeats
the same query on every pass.

## Example
```python
for row in rows:
    existing = app.limetypes.contract.get_all(
        filter=lime_filter.Filter(lime_filter.EqualsOperator("erp_id", row["id"])))
    if existing.count:
        continue
```

## Use instead
```python
known_erp_ids = {obj.properties.erp_id.value for obj in app.limetypes.contract.get_all()}
for row in rows:
    if row["id"] in known_erp_ids:
        continue
```
When the keys are known before the loop (the loop runs over a list), the
pre-fetch reads only them with `lime_filter.InOperator(field, keys)`, in
chunks of `prefetch-chunk-size` keys (default 1,000), so a run makes at most
2 + ceil(keys / chunk size) reads. `limetype.get(id)` in a loop becomes one
dict `{obj.id: obj for obj in ...}`; when the loop only reads one value of the
object (`obj.properties.name.value` or `obj.<attribute>`, never writing,
calling or passing the object on), the dict holds that value instead:
`{obj.id: obj.properties.name.value for obj in ...}`.

A relation read per item (`deal.properties.coworker.fetch()`) becomes a dict
of the related objects read by the relations' ids (a belongsto's `.value` is
the related id):
```python
coworker_ids = list({deal.properties.coworker.value for deal in deals} - {None})
coworker_by_id = {obj.id: obj for start in range(0, len(coworker_ids), 1000)
                  for obj in app.limetypes.coworker.get_all(
                      filter=Filter(InOperator("id", coworker_ids[start:start + 1000])))}
for deal in deals:
    coworker = coworker_by_id.get(deal.properties.coworker.value)
```
The related limetype is taken from, in order: the `relations` setting
(`[tool.lime-task-lint.relations]`, `"deal.coworker" = "coworker"`, or
`"coworker" = "coworker"` for every limetype); evidence in this module or the
workspace (the relation's `.value` passed to `<limetype>.get(...)`, or an
object of a known limetype attached to it); else the relation's own name
(Lime's naming convention), and then the fix's title says it is a guess and
how to configure it.

A helper that reads once per call (`find_person(app, email)`, in this module
or another module of the workspace)
whose read is `get_all(filter=Filter(EqualsOperator("email", email)))` and
whose result it only iterates) gets the lookup from the caller: the caller
pre-fetches the objects of the keys it will pass, grouped by the field, and
passes them as `person_by_email=...`; the helper gains the parameter with the
default `None` and reads as before when it is not given, so other callers keep
working. A helper of another module is edited in its own file: the quick fix
and `--fix --unsafe-fixes` change both files (fix-all in the editor edits one
document and leaves this fix out).

## Fix safety
The preconditions of each fix are checked against the module's effects model
(what every call does, through helpers; a call whose code is not visible may
do anything) in `prefetch.py` and `helper_prefetch.py`:

- **Move the read above the loop** (a read that uses neither the loop's
  variables nor anything the loop changes: no rebinding, no store into it such
  as `state["offset"] += 50` or `cfg.page += 1`, no mutating or unknown method
  such as `ids.pop()` or `pager.advance()`). Safe when the read's arguments
  have no effects, nothing in the loop writes, and the read cannot fail
  (`get_all`). Not offered when the loop writes (a unit of work, a helper that
  commits): the read must see those writes. Unsafe, with the hazard in the
  title, when the loop calls code that is not visible (it may write what the
  read returns) or the read is a `get` (a missing id raises, and above the loop
  it runs even when the loop has no items or skips it on some passes).
- **Pre-fetch into a set** (existence tests: `r.count`, `r.count > 0`,
  `bool(r.count)`, `found = list(<read>)` then `if found` / `not found` /
  `len(found) > 0`, in `if`/`while`/conditional tests or `and`/`or` used as
  tests) **or a dict** (`get(id)`): always unsafe. The read's filter is
  `EqualsOperator(field, key)` (also imported under another name, `Eq`), alone
  or in an `AndOperator` whose other conditions do not change with the loop
  (they filter the pre-fetch too). A limetype the loop binds itself
  (`lt = app.limetypes.get_limetype("x")` inside the loop) is read as
  `app.limetypes.x` before it. The keys are computed before the loop from
  the loop's item, with the read's guards (`if ...: continue` before it, an
  `if` around it), when the loop iterates something that can be iterated twice
  (a list, tuple or set bound once, a parameter annotated as one); an iterator
  is first read into a list (not offered when the loop writes, since a paging
  iterator would see those writes). Only those keys are read, with
  `InOperator`, in chunks of `prefetch-chunk-size`. When the keys cannot be
  known (the guards depend on more than the item, the loop may stop early and
  a key may not exist) the whole limetype is read (with the `AndOperator`'s
  fixed conditions), and the title says so. When the loop creates objects of
  the limetype (directly or in a helper) the fix adds each new key to the set;
  not offered when the loop calls code that is not visible (it may create
  them).
- **Pre-fetch the related objects** (a relation `.fetch()` on the loop's item):
  always unsafe. The keys are the relations' `.value` of the items that reach
  the read, each once, without `None`. `dict.get` gives `None` for an item
  without a related object and for a related id that no longer exists, as
  `.fetch()` does. Not offered when the loop changes its item (an `attach`
  would make `.fetch()` return the attached object) or the fetched object (one
  pre-fetched object is shared by every item related to it, so a change would
  carry over), or when no application is in scope before the loop. A wrong
  guess of the related limetype makes the fixed task fail (no such limetype)
  or read the wrong objects: check the title, and set `relations`.
- **Pass a pre-fetched lookup to a reading helper**: always unsafe. Offered
  when the helper is a plain function with positional parameters only (of this
  module, or of another module inside the workspace, outside environment,
  build and hidden folders, whose current text parses: `helper_module.py`; the
  other file's edits are applied only while it still has the text they were
  computed on), defined directly in its module's body and bound by nothing
  else there (not a second `def`, a `name = wrapper(name)`, an import's
  fallback), reading through an application parameter the call passes as a
  name bound before the loop (the pre-fetch reads from that application), makes exactly one read (`get_all` filtered by
  `EqualsOperator(field, <parameter>)`, the parameter never rebound) and
  nothing else that reads or commits, and only iterates the result (`for`,
  `list()`, `next(iter())`...; `.count` or truthiness would change meaning on
  the list that stands in for it); the call passes the key positionally or by
  name; the loop creates no objects of that limetype and calls no code that is
  not visible; the keys follow the rules above. Each group of the lookup keeps
  the database's order by id.
  Behaviour changes the pre-fetch fixes can cause: the set, dict or lookup
  holds every key or object at once (the memory hover shows how much); the
  objects are read before the loop, so writes the loop makes to them later are
  not seen by later items with the same key; a set or lookup compares keys
  exactly while the database may compare strings case-insensitively; a missing
  id raises `KeyError` instead of Lime's not-found error (`get`); an iterator
  argument's items are made before the loop runs.

The chunked pre-fetch the fixes write (`range(0, len(keys), n)` over slices of
the keys) is one read per chunk and is not flagged.

A `get(id)` or relation `.fetch()` per item of a comprehension or generator
expression (`[lt.get(i) for i in ids if i]`) is pre-fetched the same way,
before the statement that holds it, with the comprehension's own filter on
the keys (`comprehension_prefetch.py`): always unsafe, with the same behaviour
changes. Required: one `for` (not `async`), filters that are expressions of
the item without effects, the read in the comprehension's result (not its
`for` or `if`), and nothing else in the statement that writes or calls code
that is not visible (the read now runs before it).

Inside a `for` loop, a comprehension that keeps the items of a collection
loaded before the loop whose relation is the loop's item
(`sum(d.properties.amount.value for d in deals if
d.properties.company.fetch().id == company.id)`: a read per pair, quadratic)
becomes one grouping before the loop (`deals_by_company =
{}`, each deal appended under `d.properties.company.value`) and the
comprehension iterates `deals_by_company.get(company.id, [])` without that
condition. Always unsafe: an item without a related object (or with one that
no longer exists) made `.fetch().id` raise `AttributeError`; grouped, it is
skipped. Required: the condition is `<item>.properties.<relation>.fetch().id
== <key>`, a whole filter or an `and` operand of one, `<key>` does not use the
comprehension's item, the filters have no effects (they now run on each
group's items only), and the loop neither rebinds nor changes the collection.

Not offered, and the message says why: other reads in a comprehension's `for`
or `if`, or in one with several `for`s (rewrite it as a loop first); reads
inside helpers of installed packages or of a module that does not parse,
helpers that do more than one read or use the result beyond
iterating it; relation reads not on the loop's item (`getattr(obj.properties,
name)`); `get(id)` under a `try` (a missing id would raise another error);
results used beyond the supported shapes (the objects themselves: pre-fetch a
dict by hand).
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..helper_prefetch import helper_fix, passes_lookup
from ..prefetch import hoisting_fix, read_dependence
from ..roundtrips import function_sites, loop_size, site_description


def chunked_read(call: ast.Call, loop_node: ast.AST) -> bool:
    """``...get_all(filter=...keys[start:start + N]...)`` in a loop whose ``start``
    runs over ``range(..., len(keys), N)``: ⌈len(keys) / N⌉ reads, one per chunk."""
    steps: dict[str, tuple[str, object]] = {}
    generators = loop_node.generators if isinstance(loop_node, (ast.ListComp, ast.SetComp, ast.DictComp,
                                                                ast.GeneratorExp)) else [loop_node]
    for generator in generators:
        it, target = getattr(generator, "iter", None), getattr(generator, "target", None)
        if isinstance(target, ast.Name) and isinstance(it, ast.Call) and isinstance(it.func, ast.Name) \
                and it.func.id == "range" and len(it.args) == 3 and isinstance(it.args[2], ast.Constant) \
                and isinstance(it.args[1], ast.Call) and isinstance(it.args[1].func, ast.Name) \
                and it.args[1].func.id == "len" and len(it.args[1].args) == 1:
            steps[target.id] = (ast.dump(it.args[1].args[0]), it.args[2].value)
    if not steps:
        return False
    for node in ast.walk(call):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            lower, upper = node.slice.lower, node.slice.upper
            if isinstance(lower, ast.Name) and lower.id in steps and isinstance(upper, ast.BinOp) \
                    and isinstance(upper.op, ast.Add) and isinstance(upper.left, ast.Name) \
                    and upper.left.id == lower.id and isinstance(upper.right, ast.Constant):
                keys, step = steps[lower.id]
                if ast.dump(node.value) == keys and upper.right.value == step:
                    return True
    return False


@register
class QueryInLoop(Rule):
    code = "LIME203"
    name = "query-in-loop"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        model = ctx.model
        for info in model.functions.values():
            for site in function_sites(model, info, ctx.workspace, ctx.document.path):
                if site.loop is None or not site.reads:
                    continue
                loop = site.loop
                read = site.read
                if read is not None and read.bounded and read.kind == "get_all" and isinstance(loop.node, ast.While):
                    continue  # paging
                if loop.is_small:
                    continue  # a few passes the code states (literal, constant, configuration): not an N+1
                if read is not None and chunked_read(read.node, loop.node):
                    continue  # one read per chunk of keys (what the pre-fetch fixes write): not an N+1
                # A small stated loop inside a data loop costs its passes per item of the data loop.
                outer = loop.data_loop()
                size = loop_size(outer, ctx.settings)
                reads = size.count * loop.passes_within(outer) * site.reads
                cost = f"{reads:,} reads at {size.count:,} items ({size.source})"
                if read is not None:
                    dependence = read_dependence(ctx, read)
                    what = site_description(site)
                    if dependence.changed:
                        names = ", ".join(f"`{n}`" for n in dependence.changed)
                        message = (f"{what} runs once per pass and uses {names}, which the loop changes "
                                   f"({cost})")
                    elif dependence.depends:
                        message = f"N+1 query: {what} runs once per item of the loop ({cost})"
                    else:
                        message = (f"{what} does not depend on the loop but runs on every pass ({cost}); "
                                   "move it above the loop")
                    fix = hoisting_fix(ctx, read)
                else:
                    where = {"helper_path": site.helper_path, "helper_name": site.helper}
                    if isinstance(site.node, ast.Call) and passes_lookup(ctx, info, site.node, **where):
                        continue  # the helper reads from the pre-fetched lookup it is given
                    message = f"N+1 query: `{site.helper}()` reads the database once per item of the loop ({cost})"
                    if not isinstance(site.node, ast.Call):
                        fix = f"the read is inside `{site.helper}`; pre-fetch before the loop and pass the result"
                    else:
                        fix = helper_fix(ctx, info, site.node, loop, **where)
                        if isinstance(fix, str):
                            in_file = f" in {site.helper_path}" if site.helper_path else ""
                            fix = f"the read is inside `{site.helper}`{in_file}: {fix}"
                violation = (self.violation(ctx, site.node, f"{message}; no automatic fix: {fix}")
                             if isinstance(fix, str) else self.violation(ctx, site.node, message, fix))
                if loop.chain_size() is not None:
                    violation.severity = Severity.INFORMATION  # bounded by the code: worth knowing, not a warning
                yield violation
