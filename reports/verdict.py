"""Moved: the IdP verdicts live in :mod:`harness.verdicts` (the console, results.json and the
report share them). Kept as an alias for code written against the old place."""

from harness.verdicts import BLOCKER_RULE, IDPS, IdpInfo, IdpVerdict, idp_verdicts, relies_on

__all__ = ["IdpInfo", "IdpVerdict", "IDPS", "relies_on", "idp_verdicts", "BLOCKER_RULE"]
