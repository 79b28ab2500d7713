"""IdP readiness suites: what Microsoft Entra ID, JumpCloud and Okta send and rely on.

Written from ``idp-behaviors.md``. Each check names the IdP that breaks, and how, in
``idp_impact``; checks resting on an unconfirmed fact are SHOULD (WARN) and say so.
Importing this package registers the checks (suites ``entra``, ``jumpcloud``, ``okta``).
"""

from __future__ import annotations

from scenarios.readiness import entra, jumpcloud, oauth, okta  # noqa: F401 - imported to register their checks

__all__ = ["entra", "jumpcloud", "oauth", "okta"]
