"""The pytest entry point (``pytest11``) of scim-harness: options only, until they are used.

Every pytest start in an environment where scim-harness is installed loads this module, so it
imports nothing but pytest: it registers the ``--scim-*`` options, and only when
``--scim-target`` is given does it load the real plugin (``scenarios.pytest_plugin``: the
checks, or a recorded session with ``--scim-replay``). ``bench/bench_replay.py`` measures
pytest's start-up with and without it.

It lives outside the packages on purpose: importing any module of ``harness`` or ``scenarios``
runs their ``__init__``, which loads the client, the runner and every check.
"""

from __future__ import annotations

import pytest

#: Kept equal to harness.checks.SUITES and harness.config.FAIL_ON by tests/replay/test_pytest_replay.py
#: (importing them here would cost the very start-up time this module saves).
SUITES = ("rfc", "entra", "jumpcloud", "okta")
FAIL_ON = ("must", "should")
COMPARE = ("status", "shape", "strict")
#: Kept equal to the keys of harness.oauth.CLIENT_AUTH by tests/harness/test_oauth_client.py.
CLIENT_AUTH = ("basic", "post")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scim-harness", "SCIM conformance checks and replays (scim-harness)")
    group.addoption("--scim-target", metavar="URL", default=None,
                    help="SCIM base URL to test; without it this plugin does nothing.")
    group.addoption("--scim-token", metavar="T", default=None,
                    help="Bearer token for the target (default: $SCIM_HARNESS_TOKEN or $SCIM_TOKEN, which keeps it out of ps).")
    group.addoption("--scim-basic", metavar="USER:PASS", default=None, help="HTTP Basic credentials instead.")
    group.addoption("--scim-header", metavar="'NAME: VALUE'", default=None, help="A credential header instead.")
    group.addoption("--scim-oauth-token-url", metavar="URL", default=None,
                    help="OAuth 2.0 token endpoint: fetch a bearer token with the client-credentials grant.")
    group.addoption("--scim-client-id", metavar="ID", default=None, help="OAuth client id.")
    group.addoption("--scim-client-secret", metavar="S", default=None,
                    help="OAuth client secret (default: $SCIM_HARNESS_CLIENT_SECRET or $SCIM_CLIENT_SECRET).")
    group.addoption("--scim-oauth-scope", metavar="X", default=None, help="Scope to request with the token.")
    group.addoption("--scim-audience", metavar="A", default=None, help="'audience' form parameter of the token request.")
    group.addoption("--scim-client-auth", choices=CLIENT_AUTH, default="basic",
                    help="Client authentication at the token endpoint: basic (default) or post.")
    group.addoption("--scim-oauth-expiry-wait", type=float, default=5.0, metavar="S",
                    help="How long the expired-token check may wait for expires_in (default 5).")
    group.addoption("--scim-suite", action="append", default=[], metavar="SUITE",
                    help=f"Suite(s) to run: {', '.join((*SUITES, 'all'))} (repeatable; default all).")
    group.addoption("--scim-select", action="append", default=[], metavar="ID_OR_TAG",
                    help="Only checks matching an id, id prefix*, tag or area (repeatable); with --scim-replay, "
                         "only exchanges matching 'METHOD /path glob'.")
    group.addoption("--scim-exclude", action="append", default=[], metavar="ID_OR_TAG", help="Leave these out.")
    group.addoption("--scim-timeout", type=float, default=10.0, metavar="S", help="Seconds per request (default 10).")
    group.addoption("--scim-insecure", action="store_true", default=False, help="Do not verify TLS certificates.")
    group.addoption("--scim-fail-on", choices=FAIL_ON, default="must",
                    help="must: only FAIL fails an item; should: WARN fails it too.")
    group.addoption("--scim-replay", metavar="SESSION", default=None,
                    help="Replay a recorded session (HAR, recordings export, results.json or a bundled name) "
                         "instead of the checks: one item per exchange.")
    group.addoption("--scim-compare", choices=COMPARE, default="shape",
                    help="With --scim-replay: compare answers by status, shape (default) or strict values.")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("scim_target", None):
        return  # inert: nothing else is imported
    from scenarios import pytest_plugin

    if not config.pluginmanager.is_registered(pytest_plugin):
        config.pluginmanager.register(pytest_plugin, "scim-harness-checks")
