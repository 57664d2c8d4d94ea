"""benchmarks/instrument.bracket_calls: one region per op in every build, also where model.c passes
the DSP builds and the others their own arena offsets (#if defined(TD_USE_DSP) / #else)."""

import re

from benchmarks.instrument import bracket_calls

OP = re.compile(r"^\s*/\* op (\d+): ")

MODEL_C = """int td_model_invoke(const int8_t *input, int8_t *output)
{
    /* op 1: CONV_2D */
#if defined(TD_USE_DSP)
    status = td_conv_s8_impl(&td_model_op1_params, input, arena + 480);
#else
    status = td_conv_s8_impl(&td_model_op1_params, input, arena + 0);
#endif
    if (status != TD_OK) {
        return status;
    }
    /* op 9: SOFTMAX */
    status = td_softmax_s8(&td_model_op9_params, arena + 0, output);
    if (status != TD_OK) {
        return status;
    }
    return TD_OK;
}"""


def _regions(lines: list[str], dsp: bool) -> int:
    """Bracketed calls a build compiles: the lines the preprocessor keeps for it."""
    kept, keep = [], [True]
    for line in lines:
        if line.startswith("#if defined(TD_USE_DSP)"):
            keep.append(dsp)
        elif line.startswith("#else"):
            keep[-1] = not keep[-1]
        elif line.startswith("#endif"):
            keep.pop()
        elif all(keep):
            kept.append(line.strip())
    return sum(1 for a, b, c in zip(kept, kept[1:], kept[2:])
               if a == "td_bench_begin();" and b.startswith("status = ") and c == "td_bench_end();")


def test_each_builds_call_is_bracketed_and_the_op_listed_once():
    keys, lines = bracket_calls(MODEL_C, OP)
    assert keys == ["1", "9"]
    assert _regions(lines, dsp=True) == _regions(lines, dsp=False) == len(keys)
