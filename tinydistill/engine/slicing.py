"""How StridedSlice resolves one dimension's begin, end, stride and masks (shared by the
lowering of STRIDED_SLICE and the generation-time folding of shape arithmetic)."""

from __future__ import annotations


def slice_dim(dim: int, begin: int, end: int, stride: int, begin_masked: bool, end_masked: bool,
              shrink: bool) -> tuple[int, int, int]:
    """(start, count, step) of one dimension of extent `dim`; a shrunk axis picks one index.

    Raises ValueError saying what is wrong (a zero stride, a shrink index out of range)."""
    if stride == 0:
        raise ValueError("a stride of 0")
    if shrink:
        idx = begin + dim if begin < 0 else begin
        if not 0 <= idx < dim:
            raise ValueError(f"index {begin} out of range {dim}")
        return idx, 1, 1
    picked = range(*slice(None if begin_masked else begin, None if end_masked else end, stride).indices(dim))
    return (picked.start if len(picked) else 0), len(picked), stride


def masks(option) -> tuple[int, int, int]:
    """The begin, end and shrink-axis masks of a STRIDED_SLICE op (`option` is Operator.option)."""
    return option("begin_mask", 0), option("end_mask", 0), option("shrink_axis_mask", 0)
