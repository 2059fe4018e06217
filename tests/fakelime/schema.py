"""Schema declaration for a fake Lime application.

A schema maps limetype names to their properties::

    schema = {
        "company": {"name": "string", "status": Option("active", "inactive"),
                    "persons": HasMany("person")},
        "person": {"name": "string", "company": BelongsTo("company")},
    }

A property spec is a `LimeProperty` (built with `Field`, `Option`,
`BelongsTo`, `HasMany`, `FileField`) or a plain type-name string such as
"string", "integer", "decimal", "yesno", "time", "text" (= `Field(type)`).
Values of plain fields are not type-checked.

Mimics the real limetype property kinds of lime-api.md §2.6 (plain, option,
belongsto, hasmany, file).  Storage model (an assumption, real Lime uses SQL
tables): a belongsto property stores the related object's id (the foreign
key); a hasmany property stores nothing, it is the reverse of a belongsto on
the other limetype (`via`, inferred when there is exactly one candidate).
"""

from __future__ import annotations

from typing import NamedTuple

PLAIN_TYPES = ("string", "text", "integer", "decimal", "yesno", "time", "phone", "link")


class OptionValue(NamedTuple):
    """An option item: real code reads `prop.value.key` and `prop.options[i].key/.id`."""

    key: str
    id: int
    text: str


class LimeProperty:
    """Metadata of one property; `limetype.get_property(name)` returns it."""

    def __init__(self, type, *, default=None, options=(), related=None, via=None):
        self.type = type
        self.default = default
        self.options = tuple(options)
        self.related = related  # name of the related limetype (belongsto/hasmany)
        self.via = via  # hasmany: the belongsto property on `related` pointing back
        self.name = None
        self.limetype = None  # owning limetype name

    @property
    def stored(self) -> bool:
        """True when the property has a column in the store (not hasmany)."""
        return self.type != "hasmany"

    @property
    def is_relation(self) -> bool:
        return self.type in ("belongsto", "hasmany")

    def option(self, key):
        for opt in self.options:
            if opt.key == key:
                return opt
        raise ValueError(f"{self.limetype}.{self.name}: no option with key {key!r}")

    def bound(self, name, limetype):
        copy = LimeProperty(self.type, default=self.default, options=self.options,
                            related=self.related, via=self.via)
        copy.name, copy.limetype = name, limetype
        return copy

    def __repr__(self):
        return f"<LimeProperty {self.limetype}.{self.name} ({self.type})>"


def Field(type="string", default=None) -> LimeProperty:
    """A plain value field (string, integer, decimal, yesno, time, ...)."""
    return LimeProperty(type, default=default)


def Option(*keys, default=None) -> LimeProperty:
    """An option field.  Assumption: an option field always has a value; the
    default is `default` or else the first key (Lime option fields have a
    default option)."""
    if not keys:
        raise ValueError("Option() needs at least one key")
    if default is None:
        default = keys[0]
    if default not in keys:
        raise ValueError(f"default {default!r} is not one of {keys}")
    # Option ids are made up but deterministic.
    opts = [OptionValue(k, 100 + i, k.replace("_", " ").capitalize()) for i, k in enumerate(keys)]
    return LimeProperty("option", default=default, options=opts)


def BelongsTo(limetype) -> LimeProperty:
    """The "one" side of a relation: stores the related object's id."""
    return LimeProperty("belongsto", related=limetype)


def HasMany(limetype, via=None) -> LimeProperty:
    """The "many" side: the objects of `limetype` whose belongsto `via` is this object."""
    return LimeProperty("hasmany", related=limetype, via=via)


def FileField() -> LimeProperty:
    """A document/file property: stores a file id; `.fetch()` gives the file."""
    return LimeProperty("file")


def parse_schema(schema: dict) -> dict[str, dict[str, LimeProperty]]:
    """Validate a schema and return {limetype: {prop name: bound LimeProperty}}."""
    parsed: dict[str, dict[str, LimeProperty]] = {}
    for lt_name, props in schema.items():
        if not lt_name.isidentifier() or lt_name.startswith("_") or lt_name == "get_limetype":
            raise ValueError(f"bad limetype name {lt_name!r}")
        parsed[lt_name] = {}
        for name, spec in props.items():
            if name in ("id", "_id") or not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"bad property name {lt_name}.{name}")
            if isinstance(spec, str):
                spec = Field(spec)
            if not isinstance(spec, LimeProperty):
                raise TypeError(f"{lt_name}.{name}: spec must be a type name or LimeProperty")
            parsed[lt_name][name] = spec.bound(name, lt_name)
    for lt_name, props in parsed.items():
        for prop in props.values():
            if prop.is_relation and prop.related not in parsed:
                raise ValueError(f"{prop!r} relates to unknown limetype {prop.related!r}")
            if prop.type == "hasmany" and prop.via is None:
                back = [p.name for p in parsed[prop.related].values()
                        if p.type == "belongsto" and p.related == lt_name]
                if len(back) != 1:
                    raise ValueError(f"{prop!r}: give via=, candidates are {back}")
                prop.via = back[0]
            if prop.type == "hasmany":
                back = parsed[prop.related].get(prop.via)
                if back is None or back.type != "belongsto" or back.related != lt_name:
                    raise ValueError(f"{prop!r}: via={prop.via!r} is not a belongsto to {lt_name}")
    return parsed
