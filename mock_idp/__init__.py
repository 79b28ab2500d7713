"""mock_idp: simulators of IdP provisioning engines (Entra ID, JumpCloud) on a virtual clock.

Library entry: :func:`simulate` with a :class:`SimulationConfig`; profiles (IdP behaviour as
data) via :func:`load_profile`; attribute mappings via :func:`load_mapping`; Entra's
expression language via :func:`parse_expression`.
"""

from mock_idp.churn import ChurnEvent, load_scenario
from mock_idp.directory import Directory, make_directory
from mock_idp.expressions import ExpressionError
from mock_idp.expressions import parse as parse_expression
from mock_idp.mapping import MappingError, MappingSet, load_mapping
from harness.idp.profile import Profile, ProfileError, load_profile, profile_names
from mock_idp.simulate import ConnectionResult, SimulationConfig, SimulationResult, check_connection, simulate

__all__ = [
    "simulate",
    "check_connection",
    "SimulationConfig",
    "SimulationResult",
    "ConnectionResult",
    "Profile",
    "ProfileError",
    "load_profile",
    "profile_names",
    "MappingSet",
    "MappingError",
    "load_mapping",
    "ExpressionError",
    "parse_expression",
    "Directory",
    "make_directory",
    "ChurnEvent",
    "load_scenario",
    "__version__",
]
__version__ = "0.1.0"
