"""Per-model behaviour where a wrong model would be silently used (regressions of two A2 notes).

1. The projection fast path caches each model's "returned by default" key set; the cache must
   never give one model another model's set (an ``id()`` key can be reused after a model dies).
2. A root query (RFC 7644 §3.4.2.1) with sortBy sorts every resource with its own type's model
   (§3.4.2.3): ``members`` is a Group attribute, so it orders the Groups of a mixed result.
"""

from __future__ import annotations

import copy
import gc

from reference_server.endpoints import common
from reference_server.endpoints.common import _plain_keys, project_resource
from reference_server.projection import project
from reference_server.schema import group_model, user_model
from tests.server.helpers import GROUP, USER


def test_plain_key_cache_never_hands_a_model_another_models_keys():
    """A2 reproduced it: with an ``id()`` key a new User model read a dead Group model's set.

    Shallow copies of two template models make the address reuse near certain (a model freed
    just before a same-sized one is allocated); the test also checks that reuse did happen."""
    users, groups = user_model(), group_model()
    wrong = reused = 0
    for _ in range(100):
        g = copy.copy(groups)
        assert "members" in _plain_keys(g)
        dead = id(g)
        del g  # freed at once (no cycles)
        u = copy.copy(users)
        reused += id(u) == dead
        keys = _plain_keys(u)
        wrong += "members" in keys or "userName" not in keys
        del u
    assert reused > 0, "no address was reused: the test proves nothing on this interpreter"
    assert wrong == 0


def test_plain_key_cache_does_not_grow_with_dead_models():
    gc.collect()
    before = len(common._PLAIN)
    for _ in range(50):
        _plain_keys(user_model())
    gc.collect()
    assert len(common._PLAIN) <= before + 1  # entries leave with their models


def test_fast_path_agrees_with_project_for_a_cached_model():
    m = user_model()
    resource = {"schemas": [USER], "id": "1", "userName": "a", "meta": {"resourceType": "User"}}
    for _ in range(2):  # second call is served from the cache
        assert project_resource(m, resource, None, None) == project(m, resource)
    g = group_model()
    group = {"schemas": [GROUP], "id": "2", "displayName": "g", "members": [{"value": "1"}]}
    assert project_resource(g, group, None, None) == project(g, group)


def test_root_query_sorts_each_type_with_its_own_model(c):
    users = [c.user(f"user{i}")["id"] for i in range(2)]
    high, low = sorted(users, reverse=True)
    first = c.group("first", [high])["id"]    # created first, member with the larger id
    second = c.group("second", [low])["id"]

    def ids(**params):
        r = c.get("/", params={"sortBy": "members", **params})
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["Resources"]]

    # Groups ordered by members.value (resolved with the Group model); Users have no members: last
    assert ids() == [second, first, *users]
    assert ids(sortOrder="descending") == [*users, first, second]
    # the same through POST /.search, and an attribute both types have still sorts across them
    r = c.post("/.search", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                 "sortBy": "displayName"})
    assert r.status_code == 200, r.text
    names = [x.get("displayName") for x in r.json()["Resources"]]
    assert names[:2] == ["first", "second"]
