"""``scim-harness``: the command line, a thin shell over library functions.

This module is the composition root: the harness's own commands live here, and every other
package contributes its commands through the ``scim_harness.commands`` entry points (see
pyproject.toml), so the harness never imports the reference server.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import click

__all__ = ["main"]


class _PluginGroup(click.Group):
    """A group that also lists the commands other packages declare as entry points."""

    def _plugins(self) -> dict[str, object]:
        return {ep.name: ep for ep in entry_points(group="scim_harness.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        ep = self._plugins().get(name)
        if ep is None:
            return None
        try:
            loaded = ep.load()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not break the CLI
            message = f"the '{name}' command could not be loaded: {type(exc).__name__}: {exc}"

            @click.command(name=name, help=message)
            def broken() -> None:
                raise click.ClickException(message)

            return broken
        return loaded if isinstance(loaded, click.Command) else None


@click.group(cls=_PluginGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="scim-harness")
def main() -> None:
    """Prove that a SCIM 2.0 endpoint works with Entra ID, JumpCloud and Okta.

    \b
    Start here:
      scim-harness demo                                   # everything, offline, in about a minute
      scim-harness serve --db scim.db --token T           # the reference SCIM server
      scim-harness run --target URL --token T             # the conformance suite
      scim-harness simulate --idp entra --target URL --token T --users 50 --days 1
    """
