"""Root causes that checks of several suites share (harness/causes.py explains the idea).

One behaviour of the target, one cause: the RFC check and the Entra, JumpCloud and Okta
readiness checks that judge it name the same cause, so one defect is one finding. Add a cause
here when a second check judges the same behaviour; a cause used by one check needs no entry.
"""

from __future__ import annotations

from harness.causes import cause

__all__ = [
    "FILTER_IGNORED",
    "FILTER_REFUSED",
    "USERNAME_EQ_CASE",
    "LOOKUP_MISS_NOT_EMPTY",
    "DUPLICATE_NOT_409",
    "UNKNOWN_ID_NOT_404",
    "ERROR_STATUS_NOT_STRING",
    "CHALLENGE_MISSING",
    "PATCH_NOT_IMPLEMENTED",
    "PAGING_IGNORED",
    "PROJECTION_IGNORED",
    "DELETED_STILL_READABLE",
]

FILTER_IGNORED = cause("filter-ignored", "the filter is ignored: a lookup returns resources that do not match it")
FILTER_REFUSED = cause("filter-refused", "an eq filter on userName is refused")
USERNAME_EQ_CASE = cause("username-eq-case-sensitive", "userName eq compares case-sensitively")
LOOKUP_MISS_NOT_EMPTY = cause("lookup-miss-not-empty-list", "a filter that matches nothing does not answer 200 with an empty list")
DUPLICATE_NOT_409 = cause("duplicate-not-409", "a duplicate userName is not refused with 409")
UNKNOWN_ID_NOT_404 = cause("unknown-id-not-404", "an unknown id does not answer 404")
CHALLENGE_MISSING = cause("401-without-challenge", "a 401 carries no WWW-Authenticate header")
ERROR_STATUS_NOT_STRING = cause("error-status-not-string", "error bodies carry status as a number, not a string")
PATCH_NOT_IMPLEMENTED = cause("patch-form-501", "PATCH answers 501 (Not Implemented) to operations it is sent")
PAGING_IGNORED = cause("paging-ignored", "startIndex and count are ignored on GET: a page holds every result")
PROJECTION_IGNORED = cause("projection-ignored", "the attributes and excludedAttributes parameters are ignored")
DELETED_STILL_READABLE = cause("deleted-still-readable", "a deleted user is still readable: DELETE does not delete")
