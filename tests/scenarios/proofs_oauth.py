"""Proofs for the OAuth token-endpoint readiness checks (scenarios/readiness/oauth.py).

Each run authenticates with OAuth client credentials against the reference server's
``POST /oauth2/token`` (``settings`` gives it a client); the defects are the server's OAuth
quirks or a fault on the token endpoint's answers.
"""

from __future__ import annotations

import json

from tests.scenarios import faults as f
from tests.scenarios.faults import Req, Resp
from tests.scenarios.proof import Proof

TOKEN_PATH = "/oauth2/token"
CLIENT = (("proof-client", "proof-client-secret"),)
OAUTH = {"oauth_clients": CLIENT}


def _refuse_other_grants_vaguely(req: Req) -> Req | Resp:
    if b"grant_type=client_credentials" in req.body:
        return req
    return Resp(400, [("content-type", "application/json")], json.dumps({"error": "invalid_request"}).encode())


PROOFS: dict[str, Proof] = {
    "entra.oauth-token-issued": Proof(
        "not Bearer", fault=f.edit_json(f.set_key("token_type", "mac"), "POST", TOKEN_PATH, status=200), settings=OAUTH),
    "entra.oauth-expires-in": Proof(
        "expires_in", fault=f.edit_json(f.set_key("expires_in", "an hour"), "POST", TOKEN_PATH, status=200),
        settings=OAUTH),
    "entra.oauth-wrong-secret": Proof("got a token", quirks=("oauth-any-secret",), settings=OAUTH),
    "entra.oauth-unsupported-grant": Proof(
        "invalid_request", fault=f.on_request(_refuse_other_grants_vaguely, "POST", TOKEN_PATH), settings=OAUTH),
    "entra.oauth-token-accepted": Proof(
        "answered 403", fault=f.set_status(403, "GET", "/Users", when=200), settings=OAUTH),
    "entra.oauth-made-up-token": Proof("no Bearer", quirks=("401-without-challenge",), settings=OAUTH),
    "entra.oauth-invalid-token-error": Proof(
        "invalid_token", fault=f.set_header("www-authenticate", 'Bearer realm="scim"', "GET", "/Users"),
        settings=OAUTH),
    "entra.oauth-expired-token-refused": Proof(
        "answered 200", quirks=("oauth-tokens-never-expire",), settings={**OAUTH, "token_ttl": 1}),
}
