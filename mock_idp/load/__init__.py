"""Load at IdP scale: many tenants' provisioning jobs at once, on Locust (``scim-harness load``).

Importing this package never imports Locust or gevent: only ``node.py``, run as its own
process, does. Library entry: :func:`run_load` with a :class:`LoadConfig`.
"""

from mock_idp.load.config import LoadConfig, LoadError, TenantSpec, Threshold, parse_thresholds, tenant_specs
from mock_idp.load.run import LoadOutcome, run_load, run_worker
from mock_idp.load.shapes import shape_of
from mock_idp.load.tenant import TenantJob, TenantReport

__all__ = ["LoadConfig", "LoadError", "TenantSpec", "Threshold", "parse_thresholds", "tenant_specs", "LoadOutcome",
           "run_load", "run_worker", "shape_of", "TenantJob", "TenantReport"]
