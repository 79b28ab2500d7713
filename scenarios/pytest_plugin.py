"""pytest plugin (entry point ``pytest11``): ``pytest --scim-target URL --scim-token T``."""
