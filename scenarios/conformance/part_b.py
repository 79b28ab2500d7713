"""The second half of the RFC suite (query, sort, paging, .search, PATCH, ETags, bulk, groups).

Importing this module registers those checks; the package ``__init__`` imports it (and, by
its module scan, each area module too; importing twice is harmless).
"""

from __future__ import annotations

from scenarios.conformance import (  # noqa: F401 - imported to register their checks
    bulk,
    etag,
    filter,
    filter_more,
    groups,
    pagination,
    patch,
    patch_paths,
    search,
    sort,
)

MODULES_B: tuple[str, ...] = ("filter", "filter_more", "sort", "pagination", "search", "patch", "patch_paths",
                              "etag", "bulk", "groups")
