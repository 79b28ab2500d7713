"""IdP facts and the requests they make: the one source both ``scenarios`` and ``mock_idp`` read.

- :mod:`harness.idp.profile`: a frozen :class:`Profile` per IdP (``profiles/*.toml``), every
  knob backed by a confirmed or unconfirmed fact;
- :mod:`harness.idp.requests`: pure builders that turn an intent (look up, create, update,
  deactivate, manager, group, members, test connection) into that IdP's request;
- :mod:`harness.idp.paths`: SCIM attribute paths as IdP mappings write them;
- :mod:`harness.idp.roles`: Entra app roles as a POST and the legacy PATCH carry them (E6).
"""

from harness.idp.profile import PROFILE_DIR, Profile, ProfileError, load_profile, profile_names
from harness.idp.requests import GROUPS, USERS, Change, Request

__all__ = ["Profile", "ProfileError", "load_profile", "profile_names", "PROFILE_DIR", "Request", "Change", "USERS",
           "GROUPS"]
