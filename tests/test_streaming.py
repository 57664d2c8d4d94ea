"""The streaming runtime (firmware/stream) against the Python streaming reference.

The C side is compiled by gcc with the project's strict flags and driven over stdin
with the serial protocol; its quantized values, windows and decisions must equal
tinydistill.deploy.streaming's, bit for bit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import need_tools
from tinydistill import oracle
from tinydistill.deploy import streaming
from tinydistill.errors import TinyDistillError
from tinydistill.resources import firmware_dir
from tinydistill.data.stream_csv import device_lines, load_stream

CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-ffp-contract=off"]

# A driver: argv = C W H smoothing n outputs, then a_c... b_c...; stdin = device lines.
# Prints "q <value>" per quantized value of each sample, and per window
# "w <t> <window bytes...> d <decision>" with raw[k] = window[(7k) mod WC] as a stand-in output.
DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "td_port.h"
#include "td_serial_csv.h"
#include "td_stream.h"
int td_port_getc(void) { int c = getchar(); return c == EOF ? TD_PORT_EOF : c; }
void td_port_write(const char *t) { fputs(t, stdout); }
uint32_t td_port_micros(void) { return 0; }
int main(int argc, char **argv) {
    int C = atoi(argv[1]), W = atoi(argv[2]), H = atoi(argv[3]), sm = atoi(argv[4]), n = atoi(argv[5]);
    int O = atoi(argv[6]), i, k; long t = 0;
    (void)argc;
    static float a[64], b[64], sample[64]; static int8_t ring[2 * 4096], hist[4096], raw[64]; static int32_t scr[64];
    static td_label_t labels[4096];
    td_stream_t s = {0};
    static char line[TD_SERIAL_CSV_LINE_SIZE(64)]; td_serial_csv_t csv;
    if (td_serial_csv_init(&csv, line, td_serial_csv_size(C), C) != TD_SERIAL_CSV_OK) return 3;
    for (i = 0; i < C; ++i) { a[i] = strtof(argv[7 + i], 0); b[i] = strtof(argv[7 + C + i], 0); }
    s.channels = C; s.window = W; s.hop = H; s.scale = a; s.offset = b; s.ring = ring; s.outputs = O;
    s.smoothing = (td_smooth_t)sm; s.smooth_n = n; s.history = hist; s.labels = labels; s.scratch = scr;
    if (td_stream_init(&s) != TD_STREAM_OK) return 3;
    for (;;) {
        int r = td_serial_csv_poll(&csv, sample);
        if (r == TD_SENSOR_END) break;
        if (r == TD_SENSOR_RESET) { td_stream_reset(&s); continue; }
        if (r != TD_SENSOR_SAMPLE) continue;
        printf("q");
        for (i = 0; i < C; ++i) printf(" %d", td_stream_quantize(sample[i], a[i], b[i]));
        printf("\n");
        if (td_stream_push(&s, sample)) {
            const int8_t *w = td_stream_window(&s);
            for (k = 0; k < O; ++k) raw[k] = w[(7 * k) % (W * C)];
            printf("w %ld", t);
            for (i = 0; i < W * C; ++i) printf(" %d", w[i]);
            printf(" d %d\n", td_stream_decide(&s, raw));
        }
        t++;
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Path:
    need_tools("gcc")
    d = tmp_path_factory.mktemp("driver")
    (d / "driver.c").write_text(DRIVER)
    stream = firmware_dir() / "stream"
    exe = d / "driver"
    subprocess.run(["gcc", *CFLAGS, "-I", str(stream), str(d / "driver.c"), str(stream / "td_stream.c"),
                    str(stream / "td_serial_csv.c"), "-o", str(exe)], check=True)
    return exe


def _write_stream(path: Path, values: np.ndarray, recs: list[int], order: list[str]) -> None:
    names = ["ax", "ay", "az"]
    lines = [",".join(["label", *order, "rec"])]
    for row, rec in zip(values, recs):
        cells = {n: repr(float(v)) for n, v in zip(names, row)}
        lines.append(",".join(["walk", *(cells[n] for n in order), str(rec)]))
    path.write_text("\n".join(lines) + "\n")


def _spec(a, b, window, hop, smoothing="none", n=1, outputs=4) -> streaming.StreamSpec:
    return streaming.StreamSpec(
        task="classify", channels=("ax", "ay", "az"), window=window, hop=hop, sample_rate_hz=50.0,
        labels=tuple(f"c{i}" for i in range(outputs)), scale=tuple(map(float, a)), offset=tuple(map(float, b)),
        input_scale=0.05, input_zero_point=-3, output_scale=1 / 256, output_zero_point=-128, outputs=outputs,
        smoothing=smoothing, smooth_n=n)


def _run(driver: Path, spec: streaming.StreamSpec, lines: list[str]) -> list[str]:
    codes = {"none": 0, "average": 1, "vote": 2}
    args = [str(driver), "3", str(spec.window), str(spec.hop), str(codes[spec.smoothing]), str(spec.smooth_n),
            str(spec.outputs), *(f"{float(v).hex()}" for v in (*spec.scale, *spec.offset))]
    out = subprocess.run(args, input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_quantization_matches_c_bit_for_bit(driver, tmp_path):
    rng = np.random.default_rng(0)
    a, b = streaming.affine([0.1, -2.0, 9.81], [0.7, 3.0, 0.01], 0.05, -3)
    # random values, exact rounding ties of the affine map, values far out of range
    ties = ((np.arange(-130, 130) + 0.5 - b[0]) / a[0]).astype(np.float64)
    values = np.concatenate([rng.normal(0, 4, (300, 3)),
                             np.stack([ties, ties, ties], 1), [[1e6, -1e6, 0.0], [-0.0, 5e-324, 9.81]]])
    _write_stream(tmp_path / "s.csv", values, [0] * len(values), ["az", "ax", "ay"])
    stream = load_stream(tmp_path / "s.csv", ["ax", "ay", "az"])
    lines = _run(driver, _spec(a, b, 4, 4), device_lines(stream))
    c_q = np.array([[int(v) for v in ln.split()[1:]] for ln in lines if ln.startswith("q")])
    py_q = streaming.quantize(stream.values, a, b)
    assert c_q.shape == py_q.shape
    np.testing.assert_array_equal(c_q, py_q)
    assert py_q.min() == -128 and py_q.max() == 127


@pytest.mark.parametrize("smoothing,n,window,hop", [("none", 1, 8, 3), ("average", 3, 8, 3), ("vote", 4, 8, 3),
                                                   ("none", 1, 4, 6)])
def test_windows_hops_recordings_and_smoothing_match_python(driver, tmp_path, smoothing, n, window, hop):
    rng = np.random.default_rng(1)
    a, b = streaming.affine([0.0, 1.0, -1.0], [1.0, 2.0, 0.5], 0.04, 5)
    # three recordings of lengths that are not multiples of the hop, one shorter than the window
    recs = [0] * 23 + [1] * 6 + [2] * 31
    values = rng.normal(0, 3, (len(recs), 3))
    _write_stream(tmp_path / "s.csv", values, recs, ["ay", "az", "ax"])
    stream = load_stream(tmp_path / "s.csv", ["ax", "ay", "az"])
    assert stream.recordings == 3
    spec = _spec(a, b, window=window, hop=hop, smoothing=smoothing, n=n)
    lines = [ln.split() for ln in _run(driver, spec, device_lines(stream)) if ln.startswith("w")]
    q = streaming.quantize(stream.values, a, b)
    ends = streaming.window_ends(stream.starts, window, hop)
    assert [int(ln[1]) for ln in lines] == ends and len(ends) > 3
    history: list = []
    for ln, e in zip(lines, ends):
        values = q[e - window + 1:e + 1].ravel()
        np.testing.assert_array_equal([int(v) for v in ln[2:-2]], values)
        if stream.starts[e - window + 1]:
            history = []
        raw = np.array([values[(7 * k) % values.size] for k in range(spec.outputs)], dtype=np.int8)
        assert int(ln[-1]) == streaming._decide(raw, spec, history)


def test_stream_csv_explains_missing_channels_and_bad_values(tmp_path):
    (tmp_path / "a.csv").write_text("ax,gy\n1,2\n")
    with pytest.raises(TinyDistillError, match="lacks the channel column.*ay, az"):
        load_stream(tmp_path / "a.csv", ["ax", "ay", "az"])
    (tmp_path / "b.csv").write_text("ax\n1\nfoo\n")
    with pytest.raises(TinyDistillError, match=r"b.csv:3: column ax holds 'foo'"):
        load_stream(tmp_path / "b.csv", ["ax"])


@pytest.mark.slow
def test_reference_runs_the_interpreter_on_each_window(tmp_path):
    import keras

    from tinydistill.deploy.quantize import convert_int8

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((10, 3), batch_size=1), keras.layers.Conv1D(4, 3, activation="relu"),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(3),
                              keras.layers.Softmax()])
    rng = np.random.default_rng(2)
    tflite = convert_int8(model, rng.normal(0, 1, (32, 10, 3)).astype(np.float32))
    (tmp_path / "m.tflite").write_bytes(tflite)
    si, zi, so, zo, shape, outputs = streaming.model_quantization(tmp_path / "m.tflite")
    a, b = streaming.affine([0.0] * 3, [1.0] * 3, si, zi)
    recs = [0] * 25 + [1] * 14
    _write_stream(tmp_path / "s.csv", rng.normal(0, 1, (len(recs), 3)), recs, ["ax", "ay", "az"])
    stream = load_stream(tmp_path / "s.csv", ["ax", "ay", "az"])
    spec = streaming.StreamSpec(task="classify", channels=("ax", "ay", "az"), window=10, hop=4, sample_rate_hz=1.0,
                                labels=("x", "y", "z"), scale=tuple(map(float, a)), offset=tuple(map(float, b)),
                                input_scale=si, input_zero_point=zi, output_scale=so, output_zero_point=zo,
                                outputs=outputs)
    results = streaming.reference(tmp_path / "m.tflite", spec, stream)
    assert [r.t for r in results] == [9, 13, 17, 21, 34, 38]
    q = streaming.quantize(stream.values, a, b)
    expected = oracle.run(tflite, np.stack([q[r.t - 9:r.t + 1] for r in results])).reshape(len(results), -1)
    assert [r.raw for r in results] == [tuple(int(v) for v in row) for row in expected]
    assert [r.label for r in results] == [spec.labels[int(np.argmax(row))] for row in expected]
