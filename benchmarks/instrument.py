"""Bracket every kernel call of a generated model.c with td_bench_begin/end, so the
harness counts instructions per op (engine_vs_tflm.py and calibrate_costs.py)."""

from __future__ import annotations

import re

OP_CALL = re.compile(r"^\s*status = \w+\(")


def bracket_calls(model_c: str, op_comment: re.Pattern) -> tuple[list[str], list[str]]:
    """(keys, lines): `op_comment`'s first group for each instrumented op, in order, and
    model.c's lines with each call that follows such a comment between td_bench_begin/end.

    An op whose builds pass it different arena offsets has one call per build (under
    `#if defined(TD_USE_DSP)` / `#else`): both are bracketed and the op is listed once, so
    every build counts one region per op."""
    keys, lines, current, listed = [], ['#include "td_bench.h"'], None, False
    for line in model_c.splitlines():
        m = op_comment.match(line)
        if m:
            current, listed = m.group(1), False
        if OP_CALL.match(line) and current is not None:
            if not listed:
                keys.append(current)
                listed = True
            lines += ["    td_bench_begin();", line, "    td_bench_end();"]
        else:
            lines.append(line)
    return keys, lines
