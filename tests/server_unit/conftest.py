"""Fixtures for the reference server's pure SCIM semantics (no HTTP, no SQL)."""

from __future__ import annotations

import pytest

from reference_server.schema import ENTERPRISE_URN, ResourceModel, group_model, user_model

LAMBDATEST_URN = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User"
FOLDERS_URN = "urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName"
METADATA_URN = "urn:ietf:params:scim:schemas:extension:2.0:Metadata"


@pytest.fixture(scope="session")
def users() -> ResourceModel:
    return user_model()


@pytest.fixture(scope="session")
def groups() -> ResourceModel:
    return group_model()


@pytest.fixture(scope="session")
def rich_users() -> ResourceModel:
    """A User model with every shipped extension (enterprise, LambdaTest, folders, open Metadata)."""
    return user_model(extensions=(ENTERPRISE_URN, LAMBDATEST_URN, FOLDERS_URN, METADATA_URN))
