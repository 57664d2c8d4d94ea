"""Render a model's C (model.h/.c, model_data.h/.c) and copy the kernels beside it."""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, atomic
from ..errors import TinyDistillError, UnsupportedModel
from ..render import render
from ..resources import firmware_dir
from .c_literals import c_array_body, c_float
from .compiled import CompiledModel, compile
from .ir import Model
from .lowering import Call
from .planner import MemoryPlan

DEFAULT_PREFIX = "td_model"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def kernel_files() -> list[Path]:
    """The runtime's kernel sources and headers, copied verbatim next to every model."""
    return sorted(p for p in (firmware_dir() / "kernels").iterdir() if p.suffix in (".c", ".h"))


def tf_version() -> str:
    for dist in ("tensorflow-cpu", "tensorflow", "ai-edge-litert"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


def file_names(prefix: str) -> dict[str, str]:
    """model.h/.c and model_data.h/.c for the default prefix, NAME.h/... otherwise."""
    stem = "model" if prefix == DEFAULT_PREFIX else prefix
    return {"h": f"{stem}.h", "c": f"{stem}.c", "data_h": f"{stem}_data.h", "data_c": f"{stem}_data.c"}


@dataclass(frozen=True)
class _CallView:
    """What the templates need of a Call, names resolved."""

    describe: str
    kernel: str
    ptype: str
    params_name: str
    fields: tuple[tuple[str, str, bool], ...]  # param_fields
    arrays: tuple[dict, ...]
    src: str
    dst: str
    function: str  # what model.c calls
    src_dsp: str  # src and dst in builds with the DSP paths (their own arena plan)
    dst_dsp: str
    fn_name: str  # model.c's function that makes a specialized kernel's call ("": td_model_invoke makes it)


def _pointer(tensor: int, memory: MemoryPlan, write: bool, checked: dict[int, str] | None = None,
             dsp: bool = False) -> str:
    place = memory.external.get(tensor)
    if place == "input":
        if write:
            raise UnsupportedModel("an op writes into the model's input; the model cannot be generated")
        return "input"
    if place == "output":
        return "output"
    if checked is not None:
        return checked[tensor]
    return f"arena + {memory.offsets_for(dsp)[tensor]}"


def _field(value, names: dict[str, str]) -> str:
    """A params initializer: an int, a const array's name, or a brace list of ints."""
    if isinstance(value, str):
        return names[value]
    if isinstance(value, tuple):
        return "{" + ", ".join(str(int(v)) for v in value) + "}"
    return str(int(value))


def _op_base(call: Call, prefix: str) -> str:
    """The prefix of every name of `call`'s in model_data.c / model.c: `prefix`_op<N>."""
    return f"{prefix}_op{call.op}"


def param_fields(call: Call, prefix: str) -> tuple[tuple[str, str, bool], ...]:
    """The initializers of `call`'s params: (field, C value, whether only builds with the DSP paths
    have it: Call.dsp_fields). Array names are model_data.c's, `prefix`_op<N>_<name>."""
    names = {a.name: f"{_op_base(call, prefix)}_{a.name}" for a in call.arrays}
    return tuple((k, _field(v, names), k in call.dsp_fields) for k, v in call.fields)


def dsp_only_arrays(call: Call) -> set[str]:
    """Names of `call`'s arrays that only DSP-only fields name (defined only in builds with TD_USE_DSP)."""
    named: dict[str, bool] = {}
    for k, v in call.fields:
        if isinstance(v, str):
            named[v] = named.get(v, True) and k in call.dsp_fields
    return {name for name, dsp in named.items() if dsp}


def _sources(call: Call, memory: MemoryPlan, params: str, checked: dict[int, str] | None, dsp: bool) -> str:
    """The input argument; kernels of several inputs take a C99 compound-literal array."""
    if call.input_list is None:
        return _pointer(call.input, memory, False, checked, dsp)
    items = (f"{params}.{t}" if isinstance(t, str) else _pointer(t, memory, False, checked, dsp)
             for t in call.input_list)
    return "(const int8_t *const[]){" + ", ".join(items) + "}"


def _destinations(call: Call, memory: MemoryPlan, checked: dict[int, str] | None, dsp: bool) -> str:
    if call.output_list is None:
        return _pointer(call.output, memory, True, checked, dsp)
    return "(int8_t *const[]){" + ", ".join(_pointer(t, memory, True, checked, dsp) for t in call.output_list) + "}"


def _view(call: Call, prefix: str, memory: MemoryPlan, checked: dict[int, str] | None = None,
          scratch: str | None = None) -> _CallView:
    base = _op_base(call, prefix)
    fields = param_fields(call, prefix)
    if scratch is not None:  # only the DSP paths work in scratch (the plain kernels' structs have none)
        fields += (("scratch", scratch, True),)
    dsp = dsp_only_arrays(call)
    arrays = tuple({"ctype": a.ctype, "cname": f"{base}_{a.name}", "length": max(len(a.values), 1),
                    "body": c_array_body(a.values), "dsp": a.name in dsp} for a in call.arrays)
    layer = f" ({call.layer})" if call.layer else ""
    return _CallView(f"op {call.op}: {call.opcode}{layer}, {call.macs} MACs", call.kernel, call.ptype,
                     f"{base}_params", fields, arrays, _sources(call, memory, f"{base}_params", checked, False),
                     _destinations(call, memory, checked, False),
                     call.kernel + ("_impl" if call.specialize and checked is None else ""),
                     _sources(call, memory, f"{base}_params", checked, True), _destinations(call, memory, checked, True),
                     f"{base}_run" if call.specialize and checked is None else "")


def _checked_buffers(memory: MemoryPlan, prefix: str) -> tuple[dict[int, str], list[tuple[str, int]]]:
    """The checking layout: tensor → the name of its buffer's own global, and each global's size."""
    names: dict[int, str] = {}
    globals_: list[tuple[str, int]] = []
    for k, buffer in enumerate(b for b in memory.buffers if b.place == "arena" and b.scratch_of is None):
        name = f"{prefix}_buf{k}"
        globals_.append((name, buffer.size))
        names.update({t: name for t in buffer.tensors})
    return names, globals_


def _scratch_pointers(compiled: CompiledModel, prefix: str, checked: bool) -> tuple[dict[int, str], list]:
    """Op index → its kernel's scratch pointer (a word of the arena, or in the checking layout a
    global of its own; set only in builds with the DSP paths), and those globals' names and sizes
    in words."""
    steps = {step: op.index for step, op in enumerate(compiled.model.operators)}
    sizes = {b.scratch_of: b.size for b in compiled.memory.buffers if b.scratch_of is not None}
    pointers, globals_ = {}, []
    for step, offset in sorted(compiled.memory.scratch.items()):
        if checked:
            name = f"{prefix}_scratch{steps[step]}"
            globals_.append((name, sizes[step] // 4))
            pointers[steps[step]] = name
        else:
            pointers[steps[step]] = f"{prefix}_arena + {offset // 4}"
    return pointers, globals_


def render_sources(model: Model | CompiledModel, prefix: str = DEFAULT_PREFIX,
                   checked_layout: bool = False) -> dict[str, str]:
    """The generated files' names and contents (nothing written). Raises UnsupportedModel.

    `checked_layout` gives every planned buffer its own global instead of a slot in the arena
    (for sanitizer runs: AddressSanitizer then sees a write past a tensor's slot) and calls the
    callable kernels, the same code as their specialized copies, built once for many models."""
    if not _IDENT.match(prefix):
        raise TinyDistillError(f"prefix {prefix!r} is not a C identifier; use letters, digits and '_' (e.g. kws)")
    compiled = model if isinstance(model, CompiledModel) else compile(model)
    model, calls, memory = compiled.model, compiled.calls, compiled.memory
    files = file_names(prefix)
    inp, out = model.input, model.output
    common = {
        "tool_version": __version__, "tf_version": tf_version(), "sha256": model.sha256,
        "p": prefix, "P": prefix.upper(), "h_file": files["h"], "c_file": files["c"], "data_h_file": files["data_h"],
        "guard": f"{prefix.upper()}_H", "data_guard": f"{prefix.upper()}_DATA_H",
        "input_shape": "x".join(map(str, inp.shape)), "output_shape": "x".join(map(str, out.shape)),
        "input_size": inp.size, "output_size": out.size,
        "input_scale": c_float(inp.scale), "input_zero_point": inp.zero_point,
        "output_scale": c_float(out.scale), "output_zero_point": out.zero_point,
        "arena_size": memory.arena_size, "arena_size_dsp": memory.arena_size_dsp,
        "lower_bound": memory.lower_bound, "has_scratch": bool(memory.scratch),
        "headers": sorted({c.header for c in calls}),
        "dsp_arrays": any(dsp_only_arrays(c) for c in calls),
    }
    checked = None
    if checked_layout:
        checked, common["checked_buffers"] = _checked_buffers(memory, prefix)
    scratch, common["checked_scratch"] = _scratch_pointers(compiled, prefix, checked_layout)
    common["calls"] = [_view(c, prefix, memory, checked, scratch.get(c.op)) for c in calls]
    return {name: render(f"engine/{template}", file=name, **common)
            for template, name in (("model.h.j2", files["h"]), ("model.c.j2", files["c"]),
                                   ("model_data.h.j2", files["data_h"]), ("model_data.c.j2", files["data_c"]))}


def generate(model: Path | str | bytes | Model, out_dir: Path | str, prefix: str = DEFAULT_PREFIX) -> list[Path]:
    """Write the C for `model` and the kernels into the flat folder `out_dir`; return the paths.

    Everything is rendered before anything is written, and each file is written
    atomically, so a refused model leaves `out_dir` untouched.
    """
    sources = render_sources(compile(model), prefix)
    contents = {name: text.encode() for name, text in sources.items()}
    for kernel in kernel_files():
        contents[kernel.name] = kernel.read_bytes()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise TinyDistillError(f"{out} exists and is not a directory; pass a folder for --out")
    written = []
    for name in sorted(contents):
        written.append(atomic.write_bytes(out / name, contents[name]))
    return written


def main_source(prefix: str = DEFAULT_PREFIX) -> str:
    """A stdin → stdout test harness for the generated model (used by check.py)."""
    files = file_names(prefix)
    return render("engine/check_main.c.j2", p=prefix, P=prefix.upper(), h_file=files["h"])


__all__ = ["generate", "render_sources", "kernel_files", "file_names", "main_source", "DEFAULT_PREFIX"]
