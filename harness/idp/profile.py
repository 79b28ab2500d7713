"""IdP behaviour as data: a frozen :class:`Profile` loaded from ``profiles/<name>.toml``.

The one source of IdP facts: the simulators (``mock_idp``), the readiness checks
(``scenarios/readiness``), load and replay all read these profiles, and build their requests
with :mod:`harness.idp.requests`. Every difference between Entra ID (legacy and
``aadOptscim062020``), JumpCloud and Okta lives in a profile knob, never in an
``if idp == ...`` branch (style.md principle 10). Each knob is backed
by a fact in ``shared/briefs/idp-behaviors.md``; the ``[facts]`` table of a profile marks each
one ``confirmed`` or ``unconfirmed`` with its source, and the loader refuses a profile whose
knob has no fact entry, so an unconfirmed default can never hide.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Profile", "ProfileError", "load_profile", "profile_names", "PROFILE_DIR", "AUTH_METHODS"]

PROFILE_DIR = Path(__file__).parent / "profiles"

_CHOICES: dict[str, tuple[str, ...]] = {
    "trigger": ("cycles", "events"),
    "op_case": ("capitalized", "lower"),
    "update_form": ("pathed", "pathless", "put"),
    "member_remove_form": ("value-list", "filter-path"),
    "on_conflict": ("escrow", "lookup-update"),
    "on_failure": ("escrow", "next-event", "admin-retry"),
    "scope_model": ("assignments", "bound-groups"),
    "manager_value": ("object", "string"),
    "deactivate_form": ("pathed", "pathless"),
    "group_rename_form": ("update-form", "pathless-with-id"),
    "linked_read": ("lookup", "by-id"),
    "pathless_keys": ("dotted", "nested"),
    "group_update_form": ("patch", "put"),
    "import_schedule": ("manual", "hourly", "daily", "weekly"),
    "pathless_active": ("own-op", "in-value"),
}

#: ``auth_methods``: the harness's kinds of authentication (``harness.http.Auth.kind``).
AUTH_METHODS = {"bearer": "a bearer token", "basic": "HTTP Basic", "header": "an API-key header",
                "oauth": "OAuth 2.0 client credentials"}

_TEST_STEPS = (
    "probe-user",
    "probe-group",
    "page-users",
    "page-groups",
    "lookup-test-user",
    "create-test-user",
    "create-test-group",
    "delete-test-group",
    "delete-test-user",
)


class ProfileError(ValueError):
    """A profile file that does not describe a valid IdP profile."""


@dataclass(frozen=True)
class Profile:
    """How one IdP turns directory intents into SCIM requests. Field docs = knob docs."""

    name: str
    description: str
    #: False: the simulator's engine cannot play this IdP yet (its readiness suite can).
    simulated: bool
    #: Mapping file (in mock_idp/mappings/) used when the user gives none.
    default_mapping: str
    #: "cycles" (Entra: initial + incremental) or "events" (JumpCloud: real time).
    trigger: str
    cycle_interval_minutes: float
    #: Delay between a directory event and its requests (event-driven IdPs).
    event_delay_seconds: float
    #: How often cycles run while the job is in quarantine.
    quarantine_interval_hours: float
    #: Weeks in quarantine after which the job is disabled (0 = never).
    quarantine_disable_weeks: float
    #: Query string the admin types onto the Tenant URL (Entra's aadOptscim062020), or "".
    tenant_url_query: str
    #: Test connection steps, in order (see _TEST_STEPS).
    test_connection: tuple[str, ...]
    test_user_email: str
    #: Who is in scope: Entra assignments (users and groups) or JumpCloud bound groups.
    scope_model: str
    user_probe_filter: str
    group_probe_filter: str
    #: ``excludedAttributes`` sent with group lookups ("" for none).
    group_probe_excluded_attributes: str
    #: Query parameters sent after the filter of every lookup ("startIndex=1", "count=100").
    lookup_extra_params: tuple[str, ...]
    #: ``count`` of the "page-users" / "page-groups" test connection steps (0 = not sent).
    test_page_users: int
    test_page_groups: int
    #: True: a 404 to a lookup means "not found"; False: it is an error (Entra: quarantine).
    not_found_404_ok: bool
    op_case: str
    #: Booleans in PATCH values as the strings "True"/"False" (Entra legacy).
    patch_booleans_as_strings: bool
    #: "pathed": one op per attribute; "pathless": one replace with dotted keys; "put".
    update_form: str
    #: Legacy: "Add" instead of "Replace" when the target had no value.
    add_when_absent: bool
    manager_value: str
    #: Deactivation: a pathed op on ``active`` or a path-less replace ``{"active": false}``.
    deactivate_form: str
    #: Legacy Entra PATCHes ``roles`` as ``[{"value": "<JSON text of {id, value, displayName}>"}]`` (E6).
    roles_patch_as_json_string: bool
    #: Extra top-level members of a user POST (Entra: meta.resourceType, roles []).
    user_create_meta: bool
    user_create_empty_roles: bool
    #: Okta: ``groups: []`` and a random ``password`` in every user POST.
    user_create_empty_groups: bool
    user_create_password: bool
    group_create_meta: bool
    #: Extra schema URIs in a group POST (Entra's ADSCIM Group schema).
    group_extra_schemas: tuple[str, ...]
    manage_groups: bool
    #: POST a group before it has members (Entra) or only once non-empty (JumpCloud).
    create_empty_groups: bool
    #: Members in the group POST body itself instead of a PATCH after it.
    group_create_with_members: bool
    #: Member values carry ``"$ref": null`` (Entra).
    member_ref_null: bool
    #: Member values carry ``display`` (Okta: the userName).
    member_display: bool
    #: Group renames: the user update form, or Okta's path-less replace ``{id, displayName}``
    #: also sent with every membership PATCH.
    group_rename_form: str
    member_remove_form: str
    #: Members per PATCH (0 = all at once).
    member_batch_size: int
    delete_user_on_hard_delete: bool
    #: A hard delete after the user already left scope sends nothing (Entra).
    delete_after_unassign: bool
    delete_group_on_delete: bool
    #: Statuses to a user DELETE that make the IdP deactivate instead (JumpCloud test user).
    delete_fallback_statuses: tuple[int, ...]
    on_conflict: str
    on_failure: str
    escrow_retry_hours: tuple[float, ...]
    escrow_then_every_hours: float
    escrow_max_days: float
    #: Immediate retries of a 429, waiting Retry-After (capped by rate_limit_max_wait_seconds).
    rate_limit_retries: int
    rate_limit_max_wait_seconds: float
    quarantine_on_probe_404: bool
    quarantine_on_auth_failure: bool
    #: How the IdP can authenticate to the app (AUTH_METHODS keys); anything else is refused.
    auth_methods: tuple[str, ...]
    quarantine_min_failures: int
    quarantine_failure_ratio: float
    quarantine_max_failures: int
    quarantine_total_failures: int
    timeout_seconds: float
    content_type: str
    user_agent: str
    #: Profile whose request forms "Provision on demand" uses ("" = this one). Entra's
    #: on-demand provisioning ignores the aadOptscim062020 flag (E2).
    on_demand_profile: str
    #: Documented pace of an initial cycle: minutes per object (users + groups + members), [low, high]
    #: (``load --pace documented``); [0, 0] when the IdP documents none.
    initial_minutes_per_object: tuple[float, ...]
    #: Objects one job works on at once (``load --job-concurrency`` overrides it).
    job_concurrency: int
    #: Keys of a path-less replace: Entra's dotted paths ``{"name.givenName": …}`` or a
    #: nested resource fragment ``{"name": {"givenName": …}}`` (Okta OIN, unconfirmed).
    pathless_keys: str
    #: How a user the IdP already linked is read before an update: the lookup by filter
    #: (Entra, JumpCloud) or ``GET /Users/{id}`` (Okta: GET, then PUT or PATCH).
    linked_read: str
    #: Group membership pushes: PATCHes (Entra, JumpCloud, Okta OIN) or a PUT of the group
    #: with its displayName and every member (Okta AIW, O1).
    group_update_form: str
    #: A push that leaves a group empty sends ``replace members []`` (Okta, O11).
    empty_push_replace_members: bool
    #: Headers sent on every request besides User-Agent, Accept, Content-Type ("Name: value").
    extra_headers: tuple[str, ...]
    #: A failed change's admin-facing task text ("" = none): ``{action}``, ``{display}`` and
    #: ``{sp}`` (the target's own message) are filled in (Okta's Tasks, O8).
    task_message_template: str
    #: Imports from the app (Okta, O3): "manual" (only scripted ``import`` events) or a schedule,
    #: "hourly" / "daily" / "weekly", that the engine's clock runs (mock_idp.imports.scheduled_imports).
    import_schedule: str
    #: A path-less update that also changes ``active``: ``active`` keeps its own pathed op beside
    #: the path-less replace ("own-op"), or rides in the replace's value ("in-value"). Okta OIN's
    #: body is undocumented (unconfirmed); only ``update_form = "pathless"`` reads it.
    pathless_active: str
    #: Fact per knob: "confirmed: source" or "unconfirmed: why this default".
    facts: dict[str, str] = field(default_factory=dict, compare=False)

    # -- derived helpers ------------------------------------------------------------------
    def headers(self) -> list[tuple[str, str]]:
        """:attr:`extra_headers` as (name, value) pairs."""
        return [(h.partition(":")[0].strip(), h.partition(":")[2].strip()) for h in self.extra_headers]

    def tenant_url(self, url: str) -> str:
        """The Tenant URL as this IdP's admin types it: with ``tenant_url_query`` (Entra's
        ``aadOptscim062020``) appended when the given URL lacks it."""
        query = self.tenant_url_query
        if not query:
            return url
        parts = urlsplit(url)
        if query in parts.query.split("&"):
            return url
        return urlunsplit(parts._replace(query="&".join(p for p in (parts.query, query) if p)))

    def op(self, name: str) -> str:
        """An op name in this profile's casing: ``op("replace")`` → "Replace" or "replace"."""
        return name.capitalize() if self.op_case == "capitalized" else name.lower()

    def refuses(self, auth_kind: str) -> str | None:
        """Why this IdP cannot authenticate with ``auth_kind`` (one line), or ``None`` if it can."""
        if auth_kind in self.auth_methods:
            return None
        offered = ", ".join(AUTH_METHODS[m] for m in self.auth_methods)
        return (f"{self.name} cannot authenticate with {AUTH_METHODS.get(auth_kind, auth_kind)}; "
                f"it offers {offered}")

    def patch_bool(self, value: bool) -> bool | str:
        """A boolean as this profile writes it inside PATCH values."""
        if self.patch_booleans_as_strings:
            return "True" if value else "False"
        return value

    @property
    def confirmed(self) -> list[str]:
        return sorted(k for k, v in self.facts.items() if v.startswith("confirmed"))

    @property
    def unconfirmed(self) -> list[str]:
        return sorted(k for k, v in self.facts.items() if not v.startswith("confirmed"))

    def is_confirmed(self, knob: str) -> bool:
        """True when the fact behind ``knob`` is confirmed (unknown knobs are not)."""
        return self.facts.get(knob, "").startswith("confirmed")

    def knobs(self) -> dict[str, Any]:
        """Every knob and its value (for results.json)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in _META:
                continue
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "confirmed": self.confirmed,
            "unconfirmed": self.unconfirmed,
            "knobs": self.knobs(),
        }


_META = {"name", "description", "simulated", "facts"}
_KNOBS = [f for f in fields(Profile) if f.name != "facts"]
_KNOB_NAMES = {f.name for f in _KNOBS}


def profile_names() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def load_profile(name_or_path: str | Path, **overrides: Any) -> Profile:
    """Load ``profiles/<name>.toml`` (or a path), validate every key, apply ``overrides``.

    Raises :class:`ProfileError` naming the file and listing the valid keys or choices.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = PROFILE_DIR / f"{name_or_path}.toml"
        if not path.exists():
            raise ProfileError(f"unknown IdP profile {str(name_or_path)!r}; known: {', '.join(profile_names())}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path.name}: {exc}") from exc
    facts = data.pop("facts", {})
    data.update(overrides)
    return _build(data, facts, path.name)


def _build(data: dict[str, Any], facts: dict[str, Any], where: str) -> Profile:
    unknown = sorted(set(data) - _KNOB_NAMES)
    if unknown:
        raise ProfileError(
            f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(_KNOB_NAMES))}"
        )
    missing = sorted(_KNOB_NAMES - set(data))
    if missing:
        raise ProfileError(f"{where}: missing key(s) {', '.join(missing)}")
    values: dict[str, Any] = {}
    for f in _KNOBS:
        value = data[f.name]
        kind = str(f.type)
        if kind.startswith("tuple"):
            if not isinstance(value, (list, tuple)):
                raise ProfileError(f"{where}: {f.name} must be a list")
            value = tuple(value)
        elif kind == "bool" and not isinstance(value, bool):
            raise ProfileError(f"{where}: {f.name} must be true or false, got {value!r}")
        elif kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ProfileError(f"{where}: {f.name} must be an integer, got {value!r}")
        elif kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ProfileError(f"{where}: {f.name} must be a number, got {value!r}")
        elif kind == "str" and not isinstance(value, str):
            raise ProfileError(f"{where}: {f.name} must be a string, got {value!r}")
        if f.name in _CHOICES and value not in _CHOICES[f.name]:
            raise ProfileError(f"{where}: {f.name} = {value!r}; choose one of {', '.join(_CHOICES[f.name])}")
        values[f.name] = float(value) if kind == "float" else value
    bad_methods = [m for m in values["auth_methods"] if m not in AUTH_METHODS]
    if bad_methods or not values["auth_methods"]:
        raise ProfileError(f"{where}: auth_methods {bad_methods or '[]'}; choose from {', '.join(AUTH_METHODS)}")
    bad_steps = [s for s in values["test_connection"] if s not in _TEST_STEPS]
    if bad_steps:
        raise ProfileError(f"{where}: test_connection step(s) {bad_steps}; valid: {', '.join(_TEST_STEPS)}")
    if not isinstance(facts, dict):
        raise ProfileError(f"{where}: [facts] must be a table")
    facts = {str(k): str(v) for k, v in facts.items()}
    stray = sorted(set(facts) - _KNOB_NAMES)
    if stray:
        raise ProfileError(f"{where}: [facts] names unknown knob(s) {', '.join(stray)}")
    undocumented = sorted(_KNOB_NAMES - _META - set(facts))
    if undocumented:
        raise ProfileError(f"{where}: knob(s) without a [facts] entry: {', '.join(undocumented)}")
    for key, text in facts.items():
        if not text.startswith(("confirmed", "unconfirmed")):
            raise ProfileError(f"{where}: fact {key} must start with 'confirmed' or 'unconfirmed'")
    return Profile(**values, facts=facts)
