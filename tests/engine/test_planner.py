"""The static memory plan: no live buffers overlap, and the anchor's arena meets the lower bound."""

from tinydistill.engine.compiled import compile
from tinydistill.engine.planner import plan
from tinydistill.engine.reader import read


def _check_no_overlap(p):
    """Both builds' plans: the activations alone (offset) and with the scratch (offset_dsp)."""
    arena = [b for b in p.buffers if b.place == "arena"]
    for dsp, size, offset in ((False, p.arena_size, lambda b: b.offset), (True, p.arena_size_dsp, lambda b: b.offset_dsp)):
        used = [b for b in arena if dsp or b.scratch_of is None]
        for i, a in enumerate(used):
            assert offset(a) + a.size <= size
            for b in used[i + 1:]:
                lives_overlap = not (a.last < b.first or b.last < a.first)
                bytes_overlap = offset(a) < offset(b) + b.size and offset(b) < offset(a) + a.size
                assert not (lives_overlap and bytes_overlap), (dsp, a, b)


def test_anchor_plan_is_at_the_lower_bound(anchor_model):
    m = read(anchor_model)
    p = plan(m)
    _check_no_overlap(p)
    # The input and output live in the caller's buffers; reshapes alias their input.
    assert p.external[m.inputs[0]] == "input" and p.external[m.outputs[0]] == "output"
    assert p.offsets[14] == p.offsets[15] == p.offsets[16]
    # The 1x1 CONV_2D step holds its input (480) and output (960) at once.
    assert p.arena_size == p.lower_bound == 1440
    assert max(p.live_bytes(s) for s in range(len(m.operators))) == p.lower_bound


def test_scratch_goes_around_the_activations(anchor_model):
    """The kernels' scratch (DSP builds only) has a plan of its own: the other builds get the plan of
    the activations alone (the same offsets and arena as a plan without scratch); the DSP builds'
    activations take an arena of that size, and the scratch goes in bytes free during its op, here at
    the lower bound of activations plus scratch."""
    compiled = compile(anchor_model)
    p = compiled.memory
    _check_no_overlap(p)
    alone = plan(compiled.model)
    assert not alone.scratch and alone.arena_size == alone.arena_size_dsp == 1440
    assert dict(alone.offsets) == dict(alone.offsets_dsp) == dict(p.offsets) == dict(p.offsets_for(False))
    assert p.arena_size == p.lower_bound == 1440
    scratch = [b for b in p.buffers if b.scratch_of is not None]
    # Only the depthwise op (4) takes scratch: the CONV_2Ds (1, 5) have 60 output pixels, below the GEMM
    # path's 64.
    assert sorted(b.scratch_of for b in scratch) == [4] and all(b.offset_dsp % 4 == 0 for b in scratch)
    assert dict(p.scratch) == {b.scratch_of: b.offset_dsp for b in scratch}
    steps = range(len(compiled.model.operators))
    assert p.arena_size_dsp == max(p.live_bytes(s, dsp=True) for s in steps) == 1496
    assert max(p.live_bytes(s) for s in steps) == 1440
    assert (p.arena_for(False), p.arena_for(True)) == (1440, 1496)
    assert max(b.offset_dsp + b.size for b in p.buffers if b.place == "arena" and b.scratch_of is None) <= 1440


def test_builds_call_their_own_plans(anchor_model):
    """model.c passes each build its plan's offsets: the DSP builds' under TD_USE_DSP, the others' after #else."""
    from tinydistill.engine.codegen import render_sources

    compiled = compile(anchor_model)
    text = render_sources(compiled)["model.c"]
    p = compiled.memory
    assert dict(p.offsets) != dict(p.offsets_dsp)  # this model's two plans differ
    conv = [line.strip() for line in text.splitlines() if "td_model_op5_params, arena" in line]
    op5 = next(op for op in compiled.model.operators if op.index == 5)
    src, dst = op5.inputs[0], op5.outputs[0]
    # The DSP builds make the call in op 5's own function (out of line), which td_model_invoke calls.
    assert conv == [f"return td_conv_s8_impl(&td_model_op5_params, arena + {p.offsets_dsp[src]}, arena + {p.offsets_dsp[dst]});",
                    f"status = td_conv_s8_impl(&td_model_op5_params, arena + {p.offsets[src]}, arena + {p.offsets[dst]});"]
    assert "    status = td_model_op5_run(input, output);" in text.splitlines()
