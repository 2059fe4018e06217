"""Fast, deterministic test data: `seed()` rows straight into the store and
`make_app()` for a ready-made CRM-like application.

Seeding writes the store directly: no unit of work and no recorded round
trip (it is the state the database was in before the task ran).
"""

from __future__ import annotations

import random

from .app import FakeLimeApplication
from .schema import BelongsTo, FileField, HasMany, Option

DEMO_SCHEMA = {
    "company": {
        "name": "string", "email": "string", "city": "string", "turnover": "integer",
        "status": Option("active", "inactive", "prospect"),
        "persons": HasMany("person"), "deals": HasMany("deal"),
        "documents": HasMany("document"),
    },
    "person": {
        "firstname": "string", "lastname": "string", "email": "string", "phone": "string",
        "status": Option("current", "former"),
        "company": BelongsTo("company"), "deals": HasMany("deal"),
    },
    "deal": {
        "name": "string", "value": "decimal", "probability": "decimal",
        "dealstatus": Option("contact", "offer", "agreement", "lost"),
        "company": BelongsTo("company"), "person": BelongsTo("person"),
    },
    "history": {
        "note": "text", "date": "time", "type": Option("comment", "call", "email"),
        "company": BelongsTo("company"), "person": BelongsTo("person"),
        "deal": BelongsTo("deal"),
    },
    "document": {"title": "string", "document": FileField(), "company": BelongsTo("company")},
}


def seed(app: FakeLimeApplication, limetype: str, rows) -> list:
    """Insert rows ({property: value}) of `limetype`; returns their new ids in
    order.  Missing properties get their default; options are given by key,
    belongsto by the related id (not checked, so dangling ids are possible)."""
    props = app.schema[limetype]
    stored = {n: p for n, p in props.items() if p.stored}
    defaults = {n: p.default for n, p in stored.items()}
    options = {n: {o.key for o in p.options} for n, p in stored.items() if p.type == "option"}
    table = app._store.tables[limetype]
    ids = []
    for values in rows:
        if not values.keys() <= stored.keys():
            raise ValueError(f"{limetype}: unknown properties {set(values) - set(stored)}")
        row = {"id": app._store.new_id(), **defaults, **values}
        for name, keys in options.items():
            if row[name] not in keys:
                raise ValueError(f"{limetype}.{name}: no option {row[name]!r}")
        table.put(row)
        ids.append(row["id"])
    return ids


seed_rows = seed  # alias, for code where a `seed` argument shadows the function

_FIRST = ["Anna", "Bo", "Carl", "Dana", "Erik", "Frida", "Gustav", "Hanna", "Ivar", "Johanna"]
_LAST = ["Andersson", "Berg", "Carlsson", "Dahl", "Ek", "Falk", "Gran", "Holm", "Lind", "Nord"]
_CITIES = ["Lund", "Malmö", "Stockholm", "Göteborg", "Uppsala", "Oslo", "Helsinki"]


def make_app(companies=1000, persons_per_company=3, deals_per_company=1, duplicates=0,
             seed=0, case_insensitive=True) -> FakeLimeApplication:
    """A DEMO_SCHEMA app with `companies` companies, `persons_per_company`
    persons each, `deals_per_company` deals each, plus `duplicates` extra
    persons that repeat the first name, last name and email of a random
    earlier person (at another random company): data for dedupe tasks.
    Same arguments, same data (and same ids)."""
    rnd = random.Random(seed)
    app = FakeLimeApplication(DEMO_SCHEMA, case_insensitive=case_insensitive)
    company_ids = seed_rows(app, "company", (
        {"name": f"Company {i:06d}", "email": f"info@company{i}.example", "city": rnd.choice(_CITIES),
         "turnover": rnd.randrange(0, 10_000_000),
         "status": rnd.choice(("active", "active", "inactive", "prospect"))}
        for i in range(companies)))
    people = []
    for n, cid in enumerate(c for c in company_ids for _ in range(persons_per_company)):
        first, last = rnd.choice(_FIRST), rnd.choice(_LAST)
        people.append({"firstname": first, "lastname": last,
                       "email": f"{first}.{last}.{n}@example.com".lower(),
                       "phone": f"+46 46 {n:07d}", "company": cid,
                       "status": "current" if rnd.random() < 0.9 else "former"})
    for _ in range(duplicates if people else 0):
        orig = rnd.choice(people)
        people.append({**orig, "company": rnd.choice(company_ids),
                       "phone": f"+46 70 {rnd.randrange(10**7):07d}"})
    person_ids = seed_rows(app, "person", people)
    by_company = {}
    for pid, person in zip(person_ids, people):
        by_company.setdefault(person["company"], []).append(pid)
    seed_rows(app, "deal", (
        {"name": f"Deal {j} for {cid}", "value": float(rnd.randrange(1000, 500_000)),
         "probability": rnd.choice((0.1, 0.25, 0.5, 0.75, 0.9)),
         "dealstatus": rnd.choice(("contact", "offer", "agreement", "lost")),
         "company": cid,
         "person": rnd.choice(by_company[cid]) if by_company.get(cid) else None}
        for cid in company_ids for j in range(deals_per_company)))
    return app
