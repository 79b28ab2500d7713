"""App profiles: vendor apps as data (``profiles/*.json``), loaded with ``--app NAME``.

A profile file is::

    {"name": "lens", "description": "...",
     "user": <model spec, see schema.model_from_data>, "group": <model spec>,
     "filterable": ["userName"] | null,       # attributes a filter may name (others -> 400 invalidFilter)
     "constraints": [{"filter": "<SCIM filter>", "detail": "..."}],  # every User must match (else 400)
     "seats": {"limit": 5, "schema": "<urn>", "attribute": "seatAssigned"} | null,
     "auth": "bearer" | "basic"}

Nothing in the server branches on a profile's name; it reads these fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from reference_server.schema import ResourceModel, model_from_data

PROFILE_DIR = Path(__file__).parent / "profiles"


@dataclass(frozen=True)
class Seats:
    """A seat pool (Lens): an active user takes a seat while one is free; deactivating frees it."""

    limit: int
    schema: str
    attribute: str = "seatAssigned"


@dataclass(frozen=True)
class Constraint:
    filter: str
    detail: str


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    user: dict[str, Any] = field(default_factory=lambda: {"base": "User"})
    group: dict[str, Any] = field(default_factory=lambda: {"base": "Group"})
    filterable: tuple[str, ...] | None = None
    constraints: tuple[Constraint, ...] = ()
    seats: Seats | None = None
    auth: str = "bearer"

    def models(self, extra_extensions: tuple[str, ...] = ()) -> dict[str, ResourceModel]:
        """The User and Group models, with ``--extension`` files added to User."""
        user_spec = dict(self.user)
        if extra_extensions:
            user_spec["extensions"] = [*user_spec.get("extensions", ()),
                                       *({"schema": str(Path(e).resolve()), "required": False} for e in extra_extensions)]
        return {"User": model_from_data(user_spec, base_dir=PROFILE_DIR),
                "Group": model_from_data(self.group, base_dir=PROFILE_DIR)}


def _from_dict(d: dict[str, Any]) -> Profile:
    seats = d.get("seats")
    return Profile(
        name=str(d["name"]), description=str(d.get("description", "")),
        user=d.get("user") or {"base": "User"}, group=d.get("group") or {"base": "Group"},
        filterable=tuple(d["filterable"]) if d.get("filterable") is not None else None,
        constraints=tuple(Constraint(c["filter"], c.get("detail", f"must match {c['filter']}"))
                          for c in d.get("constraints", ())),
        seats=Seats(int(seats["limit"]), str(seats["schema"]), str(seats.get("attribute", "seatAssigned")))
        if seats else None,
        auth=str(d.get("auth", "bearer")),
    )


@lru_cache(maxsize=None)
def list_profiles() -> dict[str, Profile]:
    """Every profile shipped in ``profiles/`` by name (``default`` first)."""
    found = {}
    for path in sorted(PROFILE_DIR.glob("*.json")):
        if path.name.startswith("schema_"):
            continue
        p = _from_dict(json.loads(path.read_text(encoding="utf-8")))
        found[p.name] = p
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != "default", kv[0])))


def get_profile(name: str) -> Profile:
    profiles = list_profiles()
    if name not in profiles:
        raise KeyError(f"unknown app profile {name!r}; known: {', '.join(profiles)}")
    return profiles[name]
