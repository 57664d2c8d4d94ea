"""The device survives any serial line: exact parsing, line length, bad lines, counters, many classes.

The serial reader and the stream runtime (firmware/stream) are compiled by gcc under
ASan/UBSan and driven over stdin; their answers are compared with the protocol that
td_serial_csv.h and the project README document.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import ANCHOR_MODEL, need_tools
from tinydistill import emu
from tinydistill.data.stream_csv import Stream, device_lines, load_stream
from tinydistill.deploy import firmware_state
from tinydistill.deploy.export import stream_config_header
from tinydistill.deploy.streaming import StreamSpec
from tinydistill.engine.codegen import generate
from tinydistill.errors import TinyDistillError
from tinydistill.render import render
from tinydistill.resources import firmware_dir

STREAM = firmware_dir() / "stream"
SANITIZE = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-ffp-contract=off",
            "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]

# argv[1] = channels; stdin = the serial bytes. One output line per poll result:
# "S <hex floats>" a sample, "R" a reset, the reader's own "# ..." messages, "E" at the end.
PARSE_DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "td_port.h"
#include "td_serial_csv.h"
int td_port_getc(void) { int c = getchar(); return c == EOF ? TD_PORT_EOF : c; }
void td_port_write(const char *t) { fputs(t, stdout); }
uint32_t td_port_micros(void) { return 0; }
int main(int argc, char **argv) {
    const int channels = atoi(argv[1]);
    char *line = malloc((size_t)td_serial_csv_size(channels)); /* exact size: ASan sees one byte past it */
    float *sample = malloc(sizeof(float) * (size_t)channels);
    td_serial_csv_t csv;
    int i, r;
    (void)argc;
    if (td_serial_csv_init(&csv, line, td_serial_csv_size(channels), channels) != TD_SERIAL_CSV_OK) return 3;
    while ((r = td_serial_csv_poll(&csv, sample)) != TD_SENSOR_END) {
        if (r == TD_SENSOR_RESET) printf("R\n");
        if (r == TD_SENSOR_SAMPLE) {
            printf("S");
            for (i = 0; i < channels; ++i) printf(" %a", (double)sample[i]);
            printf("\n");
        }
    }
    printf("E\n");
    free(line);
    free(sample);
    return 0;
}
"""

# Majority vote over the last 3 results of a 200-class model; stdin: one winning class per line.
VOTE_DRIVER = r"""
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "td_stream.h"
#define OUTPUTS 200
#define N 3
int main(void) {
    static float a[1] = {1.0f}, b[1] = {0.0f};
    static int8_t ring[2], history[N * OUTPUTS], raw[OUTPUTS];
    static td_label_t labels[N];
    static int32_t scratch[OUTPUTS];
    td_stream_t s;
    int k;
    memset(&s, 0, sizeof s);
    s.channels = 1; s.window = 1; s.hop = 1; s.scale = a; s.offset = b; s.ring = ring; s.outputs = OUTPUTS;
    s.smoothing = TD_SMOOTH_VOTE; s.smooth_n = N; s.history = history; s.labels = labels; s.scratch = scratch;
    if (td_stream_init(&s) != TD_STREAM_OK) return 3;
    while (scanf("%d", &k) == 1) {
        memset(raw, -128, sizeof raw);
        raw[k] = 127;
        printf("%d\n", td_stream_decide(&s, raw));
    }
    return 0;
}
"""


def _build(tmp_path: Path, name: str, source: str, runtime: tuple[str, ...] = ("td_serial_csv.c",)) -> Path:
    need_tools("gcc")
    (tmp_path / f"{name}.c").write_text(source)
    exe = tmp_path / name
    subprocess.run(["gcc", *SANITIZE, "-I", str(STREAM), str(tmp_path / f"{name}.c"),
                    *(str(STREAM / r) for r in runtime), "-o", str(exe)], check=True)
    return exe


@pytest.fixture(scope="module")
def parser(tmp_path_factory):
    exe = _build(tmp_path_factory.mktemp("parse"), "parse", PARSE_DRIVER)

    def run(data: bytes, channels: int = 3) -> list[str]:
        out = subprocess.run([str(exe), str(channels)], input=data, capture_output=True, check=True)
        lines = out.stdout.decode().splitlines()
        return [_sample(*(float.fromhex(v) for v in ln.split()[1:])) if ln.startswith("S ") else ln for ln in lines]

    return run


def _sample(*values: float) -> str:
    """A sample line as the driver prints it, each value rounded to float32 as the device reads it."""
    return "S " + " ".join(repr(float(np.float32(v))) for v in values)


def _samples(lines: list[str]) -> list[list[float]]:
    return [[float(v) for v in ln.split()[1:]] for ln in lines if ln.startswith("S ")]


# ------------------------------------------------------------------ finding 1: > 128 classes
def test_vote_over_more_than_128_classes_counts_the_right_class(tmp_path):
    exe = _build(tmp_path, "vote", VOTE_DRIVER, ("td_stream.c",))
    out = subprocess.run([str(exe)], input="150\n150\n3\n199\n199\n0\n", capture_output=True, text=True, check=True)
    # votes in the last 3: {150}, {150,150}, {150,150,3}, {150,3,199}, {3,199,199}, {199,199,0}
    assert out.stdout.split() == ["150", "150", "150", "3", "199", "199"]


# ------------------------------------------------------------------ finding 2: line length
def test_line_size_derives_from_the_channel_count_and_the_number_format():
    # 24 characters a value (the longest Python repr() of a double), a comma each, 16 to spare
    for c in (1, 3, 16, 64, 300):
        assert firmware_state.serial_csv_line_size(c) == 25 * c + 16


def test_longest_host_values_on_many_channels_are_read(parser):
    worst = [-2.2250738585072014e-308, -1.2345678901234567e-100, -1.2345678901234567e-200]  # 24 characters each
    for channels in (16, 64):
        row = np.array([worst[i % len(worst)] for i in range(channels)])
        stream = Stream(path=Path("x"), channels=tuple(f"c{i}" for i in range(channels)), values=row[None, :],
                        starts=np.array([True]), labels=None)
        (line,) = device_lines(stream)
        assert len(line) == 24 * channels + channels - 1
        assert len(line) < firmware_state.serial_csv_line_size(channels)
        out = parser((line + "\n").encode(), channels)
        assert out == [_sample(*np.float32(row)), "E"], out[:2]


def test_an_over_long_line_is_reported_as_too_long(parser):
    size = firmware_state.serial_csv_line_size(3)
    out = parser(("1," * 200 + "1\n1,2,3\n").encode())
    assert out[0] == f"# error: line longer than {size - 1} characters; window reset"
    assert out[1:] == ["R", _sample(1, 2, 3), "E"]
    # a value of more than 24 characters is refused even when the line fits
    long_value = "1." + "0" * 25
    out = parser(f"{long_value},2,3\n".encode())
    assert out[0] == f'# error: value 1 "{long_value[:24]}..." has more than 24 characters; window reset'


def test_the_host_refuses_values_the_device_would_refuse(tmp_path):
    (tmp_path / "s.csv").write_text("ax\n1\n-3.5e38\n")
    with pytest.raises(TinyDistillError, match=r"s.csv:3: column ax is '-3.5e38', which overflows float32"):
        load_stream(tmp_path / "s.csv", ["ax"])


# ------------------------------------------------------------------ finding 4: exact parsing
@pytest.mark.parametrize("text,message", [
    (b"resetting", "# error: expected 3 comma-separated values; window reset"),
    (b"reset,1,2", '# error: value 1 "reset" is not a decimal number; window reset'),
    (b"1,2,3,4", "# error: expected 3 comma-separated values; window reset"),
    (b"1,2", "# error: expected 3 comma-separated values; window reset"),
    (b"1,2,3\0junk", "# error: NUL byte in the line; window reset"),
    (b"1,\0,3", "# error: NUL byte in the line; window reset"),
    (b"nan,2,3", '# error: value 1 "nan" is not a finite number; window reset'),
    (b"1,inf,3", '# error: value 2 "inf" is not a finite number; window reset'),
    (b"1,2,-Infinity", '# error: value 3 "-Infinity" is not a finite number; window reset'),
    (b"1,2,NaN(0x1)", '# error: value 3 "NaN(0x1)" is not a finite number; window reset'),
    (b"1e999,2,3", '# error: value 1 "1e999" overflows float32 (|x| > 3.4028235e38); window reset'),
    (b"1,-3.5e38,3", '# error: value 2 "-3.5e38" overflows float32 (|x| > 3.4028235e38); window reset'),
    (b"1,2,\x01\xff", '# error: value 3 "??" is not a decimal number; window reset'),
    (b"0x10,2,3", '# error: value 1 "0x10" is not a decimal number; window reset'),
    (b"1,,3", '# error: value 2 "" is not a decimal number; window reset'),
    (b"1,2,3x", '# error: value 3 "3x" is not a decimal number; window reset'),
    (b"1,2 3,4", '# error: value 2 "2 3" is not a decimal number; window reset'),
])
def test_malformed_lines_are_refused_with_a_message_that_names_the_problem(parser, text, message):
    out = parser(b"7,8,9\n" + text + b"\n1,2,3\n")
    assert out == [_sample(7, 8, 9), message, "R", _sample(1, 2, 3), "E"]


def test_only_reset_alone_is_a_reset(parser):
    assert parser(b"reset\n  reset\t\nreset\r\n") == ["R", "R", "R", "E"]


@pytest.mark.parametrize("ending", [b"\n", b"\r", b"\r\n"])
def test_lf_cr_and_crlf_line_endings(parser, ending):
    data = ending.join([b"1,2,3", b"# comment", b"", b"reset", b" -4.5 , 5e-1,6"]) + ending
    assert parser(data) == [_sample(1, 2, 3), "R", _sample(-4.5, 0.5, 6), "E"]
    assert parser(data[:-len(ending)]) == [_sample(1, 2, 3), "R", _sample(-4.5, 0.5, 6), "E"]  # no ending at the end


def test_values_the_host_writes_are_read_exactly(parser):
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(0, 1e3, (200, 3)), [[1e-5, -0.0, 1e16], [3.4028234e38, -1e-45, 0.1]]])
    stream = Stream(path=Path("x"), channels=("a", "b", "c"), values=values, starts=np.ones(len(values), bool),
                    labels=None)
    lines = [ln for ln in device_lines(stream) if ln != "reset"]
    got = _samples(parser(("\n".join(lines) + "\n").encode()))
    np.testing.assert_array_equal(np.array(got, dtype=np.float32), values.astype(np.float32))


# ------------------------------------------------------------------ finding 5: bad lines do not splice
def test_a_bad_line_resets_the_window_instead_of_splicing_it(parser):
    out = parser(b"1,2,3\n1,2\n4,5,6\n#comment of any length " + b"x" * 500 + b"\n\n7,8,9\n")
    # the short line is dropped and the window restarts; comments and blank lines are no samples but no break
    assert out == [_sample(1, 2, 3), "# error: expected 3 comma-separated values; window reset", "R", _sample(4, 5, 6),
                   _sample(7, 8, 9), "E"]


def test_the_project_readme_documents_the_line_format():
    from tinydistill.resources import templates_dir

    text = (templates_dir() / "project" / "README.md.j2").read_text()
    section = text.split("## Serial input: line format", 1)[1].split("\n## ", 1)[0]
    for fact in ("24 characters", "CR, LF or CRLF", "reset", "window reset", "nan", "TD_SERIAL_CSV_LINE_SIZE"):
        assert fact in section, fact


# ------------------------------------------------------------------ finding 3: the sample counter
COUNTER_MAIN = r"""
#include <stdio.h>
#include "app.h"
#include "td_port.h"
int td_port_getc(void) { return TD_PORT_EOF; }
void td_port_write(const char *text) { fputs(text, stdout); }
uint32_t td_port_micros(void) { return 0; }
static td_app_t app;
int main(void) {
    float sample[TD_STREAM_CHANNELS] = {0};
    int i;
    if (td_app_init(&app) != 0) return 3;
    for (i = 0; i < TD_STREAM_WINDOW; ++i) td_app_push(&app, sample);
    /* as after 2^31 - 3 samples of one recording (~249 days at 100 Hz) */
    app.samples = 2147483645;
    app.stream.count = 2147483645;
    for (i = 0; i < 6; ++i) td_app_push(&app, sample);
    return 0;
}
"""


@pytest.mark.toolchain
@pytest.mark.parametrize("platform", ["host", "cortex-m4"])
def test_inference_goes_on_after_two_to_the_31_samples(tmp_path, platform):
    plat = emu.PLATFORMS[platform]
    need_tools(plat.cc, *([plat.qemu] if plat.qemu else []))
    src = tmp_path / "src"
    generate(ANCHOR_MODEL, src, prefix="td_model")
    spec = StreamSpec(task="classify", channels=("x", "y", "z"), window=128, hop=2, sample_rate_hz=100.0,
                      labels=("a", "b", "c", "d"), scale=(0.75,) * 3, offset=(0.25,) * 3,
                      input_scale=0.1, input_zero_point=0, output_scale=1 / 256, output_zero_point=-128, outputs=4)
    (src / "td_stream_config.h").write_text(stream_config_header(spec, "run"))
    for name in ("app.c", "app.h"):
        (src / name).write_text(render(f"project/{name}.j2", banner="test", streaming=False))
    (src / "main.c").write_text(COUNTER_MAIN)
    sources = [*sorted(src.glob("*.c")), STREAM / "td_stream.c"]
    elf = emu.build(plat, sources, include_dirs=[src, STREAM], out=tmp_path / "app.elf",
                    extra_cflags=["-ffp-contract=off"])
    result = emu.run(plat, elf, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.describe()
    t = [int(ln.split()[0][2:]) for ln in result.stdout.splitlines() if ln.startswith("t=")]
    assert t == [127, 2147483646, 2147483648, 2147483650], result.stdout


# ------------------------------------------------------------------ the fuzz harness
def test_bounded_fuzz_campaign_runs_clean(tmp_path):
    need_tools("gcc")
    from benchmarks import fuzz_serial

    counts = fuzz_serial.run(fuzz_serial.build(tmp_path), 10_000, seed=1, timeout=120)
    assert counts["inputs"] == 10_000
    # the grammar reaches every branch that matters: good samples, bad lines, windows, many classes
    assert counts["samples"] > 30_000 and counts["errors"] > 10_000 and counts["windows"] > 3_000
    assert counts["over_128_classes"] > 2_500 and counts["port_none"] > 0


def test_the_fuzz_harness_finds_a_reader_that_ignores_cr(tmp_path):
    need_tools("gcc")
    from benchmarks import fuzz_serial

    broken = tmp_path / "stream"
    broken.mkdir()
    for name in ("td_serial_csv.h", "td_stream.c", "td_stream.h", "td_port.h"):
        (broken / name).write_bytes((STREAM / name).read_bytes())
    reader = (STREAM / "td_serial_csv.c").read_text()
    assert "c == '\\n' || c == '\\r'" in reader
    (broken / "td_serial_csv.c").write_text(reader.replace("c == '\\n' || c == '\\r'", "c == '\\n'"))
    with pytest.raises(fuzz_serial.FuzzFinding, match="MISMATCH"):
        fuzz_serial.run(fuzz_serial.build(tmp_path, broken), 500, seed=1, timeout=120)
