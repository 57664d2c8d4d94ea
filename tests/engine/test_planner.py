"""The static memory plan: no live buffers overlap, and the anchor's arena meets the lower bound."""

from tinydistill.engine.planner import plan
from tinydistill.engine.reader import read


def _check_no_overlap(p):
    arena = [b for b in p.buffers if b.place == "arena"]
    for i, a in enumerate(arena):
        assert a.offset + a.size <= p.arena_size
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
