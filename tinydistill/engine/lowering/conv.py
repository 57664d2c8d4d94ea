"""CONV_2D and DEPTHWISE_CONV_2D: windows, interior ranges and per-channel requantization."""

from __future__ import annotations

import numpy as np

from ..ir import Model, Operator, Tensor
from .call import Call, ConstArray
from .helpers import (bias_values, fused_activation, i32, int8, nhwc, pad_before, per_channel_multipliers, refuse,
                      weights_symmetric)
from .registry import lowers


def _interior(stride: int, dil: int, pad: int, in_size: int, k: int, out_size: int) -> tuple[int, int]:
    """Outputs [lo, hi) whose receptive field lies inside the input."""
    lo = min(-(-pad // stride), out_size)
    last = in_size - 1 - (k - 1) * dil + pad
    hi = last // stride + 1 if last >= 0 else 0
    hi = max(lo, min(hi, out_size))
    return lo, hi


def _fast_requant(weights: np.ndarray, bias: np.ndarray, in_offset: int, shifts: list[int]) -> int:
    """1 when every shift is <= 0 and no accumulator can reach 2^30 (td_requant_fast_s8's domain)."""
    per_channel = np.abs(weights.reshape(len(bias), -1)).sum(axis=1) * (128 + abs(in_offset)) + np.abs(bias)
    return int(all(s <= 0 for s in shifts) and int(per_channel.max(initial=0)) < (1 << 30))


def _conv_window(op: Operator, in_h: int, in_w: int, k_h: int, k_w: int, out_h: int,
                 out_w: int) -> tuple[tuple[str, int], ...]:
    """A convolution's strides, dilations, padding and interior (no padding tap) output range, as fields."""
    sh, sw = op.option("stride_h", 1), op.option("stride_w", 1)
    dh, dw = op.option("dilation_h_factor", 1), op.option("dilation_w_factor", 1)
    padding = op.option("padding", "VALID")
    pad_t, pad_l = pad_before(padding, sh, dh, in_h, k_h, out_h), pad_before(padding, sw, dw, in_w, k_w, out_w)
    oy_lo, oy_hi = _interior(sh, dh, pad_t, in_h, k_h, out_h)
    ox_lo, ox_hi = _interior(sw, dw, pad_l, in_w, k_w, out_w)
    return (("stride_h", sh), ("stride_w", sw), ("dil_h", dh), ("dil_w", dw), ("pad_top", pad_t),
            ("pad_left", pad_l), ("oy_lo", oy_lo), ("oy_hi", oy_hi), ("ox_lo", ox_lo), ("ox_hi", ox_hi))


def _conv_requant(model: Model, op: Operator, inp: Tensor, w: Tensor, out: Tensor, weights: np.ndarray,
                  out_c: int) -> tuple[tuple[tuple[str, object], ...], tuple[ConstArray, ...]]:
    """A convolution's offsets, clamp and per-channel requantization fields, and its constant arrays.

    `weights` are laid out [out_c, ...taps]: the input offset is folded into each channel's bias."""
    bias = bias_values(model, op, out_c)
    in_offset = -inp.zero_point
    folded = bias + in_offset * weights.reshape(out_c, -1).sum(axis=1)
    mult, shift = per_channel_multipliers(inp, w, out, out_c)
    act_min, act_max = fused_activation(op, out)
    fields = (("in_offset", in_offset), ("out_offset", out.zero_point), ("act_min", act_min), ("act_max", act_max),
              ("fast_requant", _fast_requant(weights, bias, in_offset, shift)),
              ("weights", "weights"), ("bias", "bias"), ("bias_folded", "bias_folded"), ("mult", "mult"),
              ("shift", "shift"))
    arrays = (ConstArray("weights", "int8_t", tuple(int(v) for v in weights.reshape(-1))),
              ConstArray("bias", "int32_t", i32(bias)), ConstArray("bias_folded", "int32_t", i32(folded)),
              ConstArray("mult", "int32_t", i32(mult)), ConstArray("shift", "int32_t", i32(shift)))
    return fields, arrays


def _folded_offset(requant: tuple, arrays: tuple[ConstArray, ...]) -> tuple[tuple, tuple[ConstArray, ...]]:
    """The requantization fields and arrays with fast_requant 2 when every shift is in [-22, -1]:
    the Armv7E-M kernels then fold the output offset into their rounding constant, per channel
    2^(r-1) + (out_offset << r), r = -shift (`round_offset`)."""
    shifts = next(a.values for a in arrays if a.name == "shift")
    if dict(requant)["fast_requant"] and all(-22 <= s <= -1 for s in shifts):
        out_offset = dict(requant)["out_offset"]
        rounding = i32((1 << (-s - 1)) + (out_offset << -s) for s in shifts)
        return (tuple(("fast_requant", 2) if k == "fast_requant" else (k, v) for k, v in requant)
                + (("round_offset", "round_offset"),)), arrays + (ConstArray("round_offset", "int32_t", rounding),)
    return requant, arrays


def _conv_operands(model: Model, op: Operator):
    """Input, filter and output of a (depthwise) convolution, checked, with their NHWC and kernel sizes."""
    inp, w = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    int8(op, inp, out)
    weights_symmetric(op, w)
    return inp, w, out, nhwc(op, inp), nhwc(op, out), (w.shape[1], w.shape[2])


# What only the Armv7E-M paths read (Call.dsp_fields): the folded rounding constants and the GEMM
# path's layout and extended weights.
_CONV_DSP_FIELDS = ("round_offset", "gemm_unroll", "gemm_slots", "weights_gemm", "bias_gemm")

# The Armv7E-M GEMM path's limit on the window (k_h * k_w * in_c values): its scratch is about
# nine bytes per value (three pixels' extended windows and their gathered bytes).
_GEMM_K_MAX = 512

# ... and on the outputs: at least this many pixels. Each conv taking the path costs its call site
# about 1.5 KB of code (loops for 1 to 3 pixels by 1 or 2 channels, inlined) and its weights twice
# again as int16 pairs, plus the arena's slots; below 64 pixels that buys too little for what it
# costs. Measured on Cortex-M4 (model + kernels flash): the anchor (60 pixels a conv) 62,330
# instructions without the path (72ab611, before it: 63,799) against 45,056 with it, for 1,616 B
# more flash (5,112 against 6,728); the students (16 pixels) 5,408 B and 3,772 B more flash with it.
# KWS's convs (125 pixels) keep it.
_GEMM_PIXELS_MIN = 64


def gemm_layout(k: int) -> tuple[int, int]:
    """(slots, unroll) of the GEMM path for a window of k values: two slots per four values, and
    the most slots per loop turn, up to 16, that divide them (each turn ends with a compare and
    a branch; 16 slots of code are about 700 bytes)."""
    slots = 2 * -(-k // 4)
    return slots, next(u for u in range(16, 1, -1) if slots % u == 0)


def gemm_weights(weights: np.ndarray, slots: int) -> np.ndarray:
    """td_conv_params.weights_gemm from [out_c][K] int8 weights: per two channels and slot, each channel's doubled weights (2 w[k], 2 w[k']) as int16 lanes (low, high) of one word,
    k, k' = 4q, 4q + 2 (slot 2q) and 4q + 1, 4q + 3 (slot 2q + 1); zeros past K and out_c."""
    out_c, k = weights.shape
    blocks = -(-out_c // 2)
    w = np.zeros((2 * blocks, 2 * slots), dtype=np.int64)
    w[:out_c, :k] = 2 * weights
    w = w.reshape(blocks, 2, slots // 2, 4)[..., [0, 2, 1, 3]]  # [block][channel][quad][value]
    w = w.reshape(blocks, 2, slots, 2)  # [block][channel][slot][lane]
    words = (w[..., 0] & 0xFFFF) | ((w[..., 1] & 0xFFFF) << 16)
    words = words.transpose(0, 2, 1).reshape(-1)  # [block][slot][channel]
    return np.where(words >= 1 << 31, words - (1 << 32), words)


def conv_scratch_bytes(k: int, pointwise: bool) -> int:
    """Arena bytes of the GEMM path (td_conv_s8.h td_conv_s8_gemm): the slots of three pixels and
    an end mark, and, unless pointwise, three gathered windows."""
    slots, _ = gemm_layout(k)
    return 4 * (3 * slots + 3) + (0 if pointwise else 3 * (-(-k // 4) * 4))


@lowers("CONV_2D", support="int8 per-channel; strides, dilation, SAME/VALID; fused NONE/RELU/RELU6")
def lower_conv_2d(model: Model, op: Operator) -> Call:
    inp, w, out, (in_h, in_w, in_c), (out_h, out_w, out_c), (k_h, k_w) = _conv_operands(model, op)
    if w.shape[3] != in_c:
        raise refuse(op, "grouped convolution (filter depth differs from the input's)",
                     "use groups=1 or a DepthwiseConv1D")
    window = _conv_window(op, in_h, in_w, k_h, k_w, out_h, out_w)
    weights = w.array().astype(np.int64)
    requant, arrays = _conv_requant(model, op, inp, w, out, weights, out_c)
    requant, arrays = _folded_offset(requant, arrays)
    fields = (("in_h", in_h), ("in_w", in_w), ("in_c", in_c), ("out_h", out_h), ("out_w", out_w),
              ("out_c", out_c), ("k_h", k_h), ("k_w", k_w), *window, *requant)
    scratch = 0
    k = k_h * k_w * in_c
    if dict(requant)["fast_requant"] and k <= _GEMM_K_MAX and out_h * out_w >= _GEMM_PIXELS_MIN:
        # The Armv7E-M GEMM path's weights (extended and doubled) and doubled folded bias.
        slots, unroll = gemm_layout(k)
        folded = next(a.values for a in arrays if a.name == "bias_folded")
        bias = np.zeros(2 * -(-out_c // 2), dtype=np.int64)
        bias[:out_c] = 2 * np.asarray(folded, dtype=np.int64)
        fields += (("gemm_unroll", unroll), ("gemm_slots", slots), ("weights_gemm", "weights_gemm"),
                   ("bias_gemm", "bias_gemm"))
        arrays += (ConstArray("weights_gemm", "int32_t", i32(gemm_weights(weights.reshape(out_c, k), slots))),
                   ConstArray("bias_gemm", "int32_t", i32(bias)))
        pointwise = (k_h, k_w) == (1, 1) and dict(window)["stride_h"] == dict(window)["stride_w"] == 1 and \
            (out_h, out_w) == (in_h, in_w) and dict(window)["pad_top"] == dict(window)["pad_left"] == 0
        scratch = conv_scratch_bytes(k, pointwise)
    return Call(op.index, op.opcode, op.layer, "td_conv_s8", "td_conv_s8.h", "td_conv_params", fields, arrays,
                op.inputs[0], op.outputs[0], out_h * out_w * out_c * k_h * k_w * in_c, specialize=True,
                scratch=scratch, dsp_fields=_CONV_DSP_FIELDS)


# The blocked depthwise path's limits: one lane plane at most this many bytes, at most
# this many taps (beyond them the per-pixel path is as fast and takes no arena).
_DW_PLANE_MAX = 1024
_DW_TAPS_MAX = 32


def depthwise_scratch_bytes(out_h: int, out_w: int, out_c: int, depth_mult: int, k_h: int, k_w: int,
                            stride: tuple[int, int], dilation: tuple[int, int]) -> int:
    """Arena bytes the Armv7E-M blocked depthwise path works in (td_depthwise_conv_s8.h): two
    planes of the padded input window that the outputs read, one word per channel pair and
    position, and the two lanes' extended weights; 0 when that path does not apply."""
    p_h = (out_h - 1) * stride[0] + (k_h - 1) * dilation[0] + 1
    p_w = (out_w - 1) * stride[1] + (k_w - 1) * dilation[1] + 1
    if depth_mult != 1 or out_c % 4 or 4 * p_h * p_w > _DW_PLANE_MAX or k_h * k_w > _DW_TAPS_MAX:
        return 0
    return 4 * (2 * p_h * p_w + 2 * k_h * k_w)


@lowers("DEPTHWISE_CONV_2D",
        support="int8 per-channel; depth multiplier, strides, dilation, SAME/VALID; fused NONE/RELU/RELU6")
def lower_depthwise_conv_2d(model: Model, op: Operator) -> Call:
    inp, w, out, (in_h, in_w, in_c), (out_h, out_w, out_c), (k_h, k_w) = _conv_operands(model, op)
    mult_depth = out_c // in_c
    if mult_depth * in_c != out_c or w.shape[3] != out_c:
        raise refuse(op, "output channels are not a multiple of the input channels",
                     "use a depth multiplier that divides the output channels")
    window = _conv_window(op, in_h, in_w, k_h, k_w, out_h, out_w)
    # The kernel reads TFLite's [1, kh, kw, oc] as is (channels of a tap contiguous);
    # the per-channel sums of the requantization want [oc, kh, kw].
    native = w.array().astype(np.int64).reshape(k_h, k_w, out_c)
    requant, arrays = _conv_requant(model, op, inp, w, out, native.transpose(2, 0, 1), out_c)
    requant, arrays = _folded_offset(requant, arrays)
    arrays = tuple(ConstArray("weights", "int8_t", tuple(int(v) for v in native.reshape(-1)))
                   if a.name == "weights" else a for a in arrays)
    fields = (("in_h", in_h), ("in_w", in_w), ("in_c", in_c), ("out_h", out_h), ("out_w", out_w),
              ("out_c", out_c), ("depth_mult", mult_depth), ("k_h", k_h), ("k_w", k_w), *window, *requant)
    scratch = depthwise_scratch_bytes(out_h, out_w, out_c, mult_depth, k_h, k_w,
                                      (op.option("stride_h", 1), op.option("stride_w", 1)),
                                      (op.option("dilation_h_factor", 1), op.option("dilation_w_factor", 1)))
    return Call(op.index, op.opcode, op.layer, "td_depthwise_conv_s8", "td_depthwise_conv_s8.h",
                "td_depthwise_conv_params", fields, arrays, op.inputs[0], op.outputs[0],
                out_h * out_w * out_c * k_h * k_w, specialize=True, scratch=scratch, dsp_fields=("round_offset",))
