"""No client mistake produces a 5xx (ERR-08): random bodies, filters and parameters, in-process."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.helpers import PATCH_OP, USER, client

C = client()
UID = C.user("fuzz-base")["id"]
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids,
                                                                                       max_size=4), max_leaves=20)
names = st.sampled_from(["userName", "name", "emails", "active", "title", "groups", "id", "meta", "password",
                         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "name.givenName", "x"])
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _ok(r) -> bool:
    return r.status_code < 500 and r.headers["content-type"] == "application/scim+json"


@SETTINGS
@given(st.dictionaries(names, json_values, max_size=5))
def test_random_create_bodies(body):
    assert _ok(C.post("/Users", json={"schemas": [USER], **body}))


@SETTINGS
@given(st.lists(st.fixed_dictionaries({"op": st.sampled_from(["add", "remove", "replace", "Add", "move", 3]),
                                       "path": st.text(max_size=30) | names, "value": json_values}), max_size=3))
def test_random_patches(ops):
    assert _ok(C.patch(f"/Users/{UID}", json={"schemas": [PATCH_OP], "Operations": ops}))


@SETTINGS
@given(st.text(max_size=60), st.text(max_size=10), st.text(max_size=10), st.text(max_size=20))
def test_random_query_parameters(flt, start, count, sort):
    r = C.get("/Users", params={"filter": flt, "startIndex": start, "count": count, "sortBy": sort,
                                "attributes": sort})
    assert _ok(r)
