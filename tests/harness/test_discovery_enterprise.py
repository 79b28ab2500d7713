"""Whether the target has the enterprise extension: advertised, not advertised, or unknown."""

from harness.discovery import CORE_USER, ENTERPRISE_USER, Discovery

USER_RT = {"name": "User", "endpoint": "/Users", "schema": CORE_USER}


def test_named_in_schema_extensions_or_in_schemas_is_supported() -> None:
    rt = {**USER_RT, "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": False}]}
    assert Discovery(resource_types=[rt], schemas=[{"id": CORE_USER}]).supports("enterprise") is True
    # Listed under /Schemas only (no schemaExtensions): still supported, never a false SKIP.
    assert Discovery(resource_types=[USER_RT], schemas=[{"id": CORE_USER}, {"id": ENTERPRISE_USER}]).supports("enterprise") is True


def test_described_types_and_schemas_without_it_is_not_supported() -> None:
    assert Discovery(resource_types=[USER_RT], schemas=[{"id": CORE_USER}]).supports("enterprise") is False


def test_unknown_when_the_target_did_not_describe_itself() -> None:
    assert Discovery().supports("enterprise") is None
    assert Discovery(resource_types=[USER_RT]).supports("enterprise") is None  # /Schemas unread
    assert Discovery(schemas=[{"id": CORE_USER}]).supports("enterprise") is None  # no User type
