"""Every command has help with an example, and bad usage exits 2."""

from click.testing import CliRunner

from tinydistill.cli import cli


def _commands():
    return sorted(cli.commands)


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    for name in _commands():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Example" in result.output, f"`tinydistill {name} --help` shows no example"


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
