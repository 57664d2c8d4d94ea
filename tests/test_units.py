"""Sizes and times parse as people write them; malformed values say what is accepted."""

import click
import pytest

from tinydistill import units
from tinydistill.errors import TinyDistillError


@pytest.mark.parametrize("text, expected", [
    ("2048", 2048), ("2048B", 2048), ("64K", 65536), ("64KB", 65536), ("64kb", 65536), ("64KiB", 65536),
    ("1.5M", 1572864), ("1MB", 1048576), (" 16 K ", 16384), ("0.5K", 512), (300, 300),
])
def test_sizes(text, expected):
    assert units.parse_size(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("500us", 500e-6), ("500µs", 500e-6), ("5ms", 5e-3), ("1s", 1.0), ("2", 2.0), ("1.5ms", 1.5e-3), ("250ns", 250e-9),
])
def test_times(text, expected):
    assert units.parse_time(text) == pytest.approx(expected)


@pytest.mark.parametrize("bad", ["", "K", "64X", "-1K", "1.2.3M", "sixty"])
def test_malformed_size_lists_accepted_forms(bad):
    with pytest.raises(TinyDistillError, match="64K, 64KB"):
        units.parse_size(bad)


@pytest.mark.parametrize("bad", ["", "5 minutes", "ms", "-5ms", "5h"])
def test_malformed_time_lists_accepted_forms(bad):
    with pytest.raises(TinyDistillError, match="500us"):
        units.parse_time(bad)


def test_click_types_report_a_usage_error():
    @click.command()
    @click.option("--max-ram", type=units.SIZE)
    @click.option("--max-latency", type=units.TIME)
    def cmd(max_ram, max_latency):
        click.echo(f"{max_ram} {max_latency}")

    from click.testing import CliRunner

    ok = CliRunner().invoke(cmd, ["--max-ram", "16K", "--max-latency", "5ms"])
    assert ok.exit_code == 0 and ok.output.strip() == "16384 0.005"
    bad = CliRunner().invoke(cmd, ["--max-ram", "16Q"])
    assert bad.exit_code == 2 and "64K" in bad.output


def test_formatting():
    assert units.format_size(980) == "980 B"
    assert units.format_size(12 * 1024 + 307) == "12.3 KB"
    assert units.format_time(850e-6) == "850 us"
    assert units.format_time(0.0124) == "12.40 ms"
