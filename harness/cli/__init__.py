"""The ``flowharness`` command.

Subcommands live in their own modules and are imported only when run, so
``flowharness --help`` stays fast and one subcommand's dependencies never load
for another.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings

import click

# name -> "module:attribute"; each module defines one click command or group.
SUBCOMMANDS: dict[str, str] = {
    "keys": "harness.cli.keys:keys",
    "ping": "harness.cli.send:ping",
    "send": "harness.cli.send:send",
    "demo": "harness.cli.demo:demo",
    "validate": "harness.cli.validate:validate",
    "walk": "harness.cli.walk:walk",
    "stub": "harness.cli.stub:stub",
    "mocks": "harness.cli.mocks:mocks",
    "serve": "harness.cli.serve:serve",
    "worker": "harness.cli.worker:worker",
    "token": "harness.cli.token:token",
    "leads": "harness.cli.leads:leads",
    "db": "harness.cli.db:db",
    "run": "harness.cli.run:run",
    "check": "harness.cli.check:check",
    "preview": "harness.cli.preview:preview",
    "webhook": "harness.cli.webhook:webhook",
    "open": "harness.cli.open:open_answer_command",
    "load": "loadtests.cli:load",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in SUBCOMMANDS if _available(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None or not _available(cmd_name):
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


def _available(name: str) -> bool:
    module_name = SUBCOMMANDS[name].split(":")[0]
    return importlib.util.find_spec(module_name) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flowharness")
def main() -> None:
    """Test WhatsApp Flows endpoints: a mock WhatsApp client, mock services,
    a reference endpoint, scenarios and load tests.

    Keys and secrets can come from the environment: FLOWHARNESS_PUBLIC_KEY
    (a PEM file path), FLOWHARNESS_APP_SECRET.
    """
    _ignore_known_false_alarms()


def _ignore_known_false_alarms() -> None:
    """Warnings that say nothing about the user's setup stay off the command's output."""
    try:
        from pydantic.warnings import UnsupportedFieldAttributeWarning
    except ImportError:  # pydantic < 2.12 has no such warning
        return
    # FastAPI silences this pydantic >= 2.12 warning with warnings.catch_warnings(), which
    # is not thread-safe: when mock services are built in parallel threads (demo, run)
    # one thread restores the filters while another is still inside, and the false
    # alarm about the aliases FastAPI gives route parameters escapes.
    warnings.filterwarnings("ignore", category=UnsupportedFieldAttributeWarning)
