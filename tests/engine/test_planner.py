"""The static memory plan: no live buffers overlap, and the anchor's arena meets the lower bound."""

from tinydistill.engine.compiled import compile
from tinydistill.engine.planner import plan
from tinydistill.engine.reader import read


def _check_no_overlap(p):
    arena = [b for b in p.buffers if b.place == "arena"]
    for i, a in enumerate(arena):
        assert a.offset + a.size <= (p.arena_size if a.scratch_of is None else p.arena_size_dsp)
        for b in arena[i + 1:]:
            lives_overlap = not (a.last < b.first or b.last < a.first)
            bytes_overlap = a.offset < b.offset + b.size and b.offset < a.offset + a.size
            assert not (lives_overlap and bytes_overlap), (a, b)


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
    """The kernels' scratch (DSP builds only) moves no activation: the activations' offsets and arena
    are those of a plan without scratch (what the other builds declare); the DSP arena adds the scratch
    in bytes free during its op, here at the lower bound of activations plus scratch."""
    compiled = compile(anchor_model)
    p = compiled.memory
    _check_no_overlap(p)
    alone = plan(compiled.model)
    assert not alone.scratch and alone.arena_size == alone.arena_size_dsp == 1440
    assert p.arena_size == p.lower_bound == 1440
    scratch = [b for b in p.buffers if b.scratch_of is not None]
    assert sorted(b.scratch_of for b in scratch) == [1, 4, 5] and all(b.offset % 4 == 0 for b in scratch)
    steps = range(len(compiled.model.operators))
    assert p.arena_size_dsp == max(p.live_bytes(s, dsp=True) for s in steps) == 1500
    assert max(p.live_bytes(s) for s in steps) == 1440
    assert (p.arena_for(False), p.arena_for(True)) == (1440, 1500)
    assert max(b.offset + b.size for b in p.buffers if b.place == "arena" and b.scratch_of is None) <= 1440
