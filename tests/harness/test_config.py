"""RunConfig: validation with clear messages, no secret in repr or recorded options."""

from __future__ import annotations

import pytest

from harness.config import ConfigError, RunConfig, is_loopback, new_prefix, public_url

SECRET = "tok-Config-Secret-99"


def test_from_options_builds_a_target_and_hides_the_token() -> None:
    config = RunConfig.from_options(target="https://app.example.com/scim/v2?aadOptscim062020", token=SECRET,
                                    suites=("entra,okta",), select=("filter",), workers=4, timeout=3)
    assert config.suites == ("entra", "okta") and config.select == ("filter",)
    assert config.timeout == 3 and config.target.auth.kind == "bearer"
    assert SECRET not in repr(config) and SECRET not in str(config.to_options())
    assert config.to_options()["auth"] == "bearer token"
    assert config.url == "https://app.example.com/scim/v2?aadOptscim062020"


def test_basic_and_header_credentials_stay_out_of_repr_and_url() -> None:
    basic = RunConfig.from_options(target="https://h.example/scim?k=pw-Secret", basic="admin:pw-Secret")
    assert "pw-Secret" not in repr(basic) and "pw-Secret" not in basic.url
    assert basic.url == "https://h.example/scim?k=[REDACTED]" and basic.to_options()["auth"] == "HTTP Basic as admin"
    with pytest.raises(ConfigError, match="not in the target URL"):
        RunConfig.from_options(target="https://u:pw-Secret@h.example/scim", token="t")
    header = RunConfig.from_options(target="https://h.example/scim", header="X-Api-Key: hdr-Secret")
    assert "hdr-Secret" not in repr(header) and header.to_options()["auth"] == "header X-Api-Key"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "give credentials"),
        ({"token": "a", "basic": "u:p"}, "give one way to authenticate"),
        ({"basic": "nocolon"}, "USER:PASS"),
        ({"header": "novalue:"}, "Name: value"),
        ({"token": "a", "suites": ("azure",)}, "unknown suite"),
        ({"token": "a", "workers": 0}, "--workers"),
        ({"token": "a", "fail_on": "may"}, "--fail-on"),
        ({"token": "a", "prefix": "x"}, "prefix"),
        ({"token": "a", "prefix": 'sh" or 1 eq 1'}, "prefix"),
        ({"token": "a", "prefix": "sh-abc\n"}, "prefix"),
        ({"token": "a", "run_timeout": -1}, "--run-timeout"),
        ({"token": "a", "timeout": 0}, "--timeout"),
    ],
)
def test_bad_options_say_what_to_change(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_options(target="https://h.example/scim", **options)


def test_bad_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="http"):
        RunConfig.from_options(target="ftp://h.example", token="t")


def test_prefixes_are_unique_and_valid() -> None:
    prefixes = {new_prefix() for _ in range(50)}
    assert len(prefixes) == 50 and all(p.startswith("sh-") and p.endswith("-") and len(p) == 10 for p in prefixes)


def test_plain_http_warning_only_off_loopback() -> None:
    assert RunConfig.from_options(target="http://10.1.2.3/scim", token="t").plain_http_warning()
    assert RunConfig.from_options(target="http://127.0.0.1:8080", token="t").plain_http_warning() is None
    assert RunConfig.from_options(target="http://localhost:8080", token="t").plain_http_warning() is None
    assert RunConfig.from_options(target="https://h.example", token="t").plain_http_warning() is None
    assert is_loopback("http://[::1]:80/") and not is_loopback("http://127.example.com/")


def test_public_url_drops_userinfo() -> None:
    assert public_url("https://user:pass@h.example:8443/a?b=1") == "https://h.example:8443/a?b=1"


def test_token_from_env_prefers_scim_harness_token_then_scim_token() -> None:
    from harness.config import token_from_env

    assert token_from_env({"SCIM_TOKEN": "b"}) == "b"
    assert token_from_env({"SCIM_HARNESS_TOKEN": "a", "SCIM_TOKEN": "b"}) == "a"
    assert token_from_env({"SCIM_HARNESS_TOKEN": "", "SCIM_TOKEN": "b"}) == "b"
    assert token_from_env({}) is None


def test_credential_messages_name_the_options_of_the_calling_command() -> None:
    from harness.config import make_target

    with pytest.raises(ConfigError) as no_header:
        make_target("http://t/", flags=("--token", "--basic", None))
    assert "--token T or --basic USER:PASS" in str(no_header.value) and "--header" not in str(no_header.value)
    assert "$SCIM_TOKEN" in str(no_header.value)
    with pytest.raises(ConfigError) as plugin:
        make_target("http://t/", token="a", basic="u:p", flags=("--scim-token", "--scim-basic", "--scim-header"))
    assert str(plugin.value) == "give one way to authenticate, not --scim-token and --scim-basic"


def test_cleanup_command_is_complete_and_carries_no_secret() -> None:
    from harness.config import cleanup_command, make_target

    bearer = cleanup_command(make_target("https://sp.example.com/scim?aadOptscim062020", token=SECRET), "sh-abc123-")
    assert bearer == ("scim-harness cleanup --target 'https://sp.example.com/scim?aadOptscim062020' "
                      "--token \"$SCIM_TOKEN\" --prefix sh-abc123-")
    basic = cleanup_command(make_target("https://sp.example.com/scim", basic=f"admin:{SECRET}"), "sh-abc123-")
    assert "--basic USER:PASS" in basic and SECRET not in basic and "--target 'https://sp.example.com/scim'" in basic


def test_oauth_settings_in_config_cleanup_line_and_options_never_carry_the_secret() -> None:
    from harness.config import cleanup_command, make_target
    from harness.oauth import OAuthSettings

    oauth = OAuthSettings("https://login.example.com/t/oauth2/token", "entra app", SECRET, scope="scim", client_auth="post")
    config = RunConfig.from_options(target="https://sp.example.com/scim", oauth=oauth)
    assert config.target.auth.kind == "oauth" and SECRET not in repr(config) and SECRET not in str(config.to_options())
    assert config.to_options()["auth"] == "OAuth 2.0 client credentials as entra app from https://login.example.com/t/oauth2/token"
    line = cleanup_command(config.target, "sh-abc123-")
    assert SECRET not in line and "--client-secret \"$SCIM_CLIENT_SECRET\"" in line
    assert "--client-id 'entra app'" in line and "--oauth-scope scim" in line and "--client-auth post" in line
    with pytest.raises(ConfigError, match="not --token and --oauth-token-url"):
        make_target("https://sp.example.com/scim", token="t", oauth=oauth)
    plain = OAuthSettings("http://10.0.0.5/token", "a", SECRET)
    warning = RunConfig.from_options(target="https://sp.example.com/scim", oauth=plain).plain_http_warning()
    assert warning is not None and "client secret" in warning
