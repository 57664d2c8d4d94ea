"""The report's sections: what each shows, computed from a run (and an emulated export).

A Section holds its figures as PNG bytes, small tables and notes; html.py lays them out.
Every section is always present (SECTION_IDS, in order): when a run cannot have one (no
confusion matrix for a forecaster, no selection for fixed T and α), it says why instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import figures
from ..rundir import RunDir

# The report's sections, in order; `firmware` is added by an export (report --export DIR).
SECTION_IDS = ("overview", "training-curves", "selection", "confusion", "quantization", "budget", "timeline")
FIRMWARE_SECTION = "firmware"
ROLES = ("teacher", "student", "baseline")


@dataclass(frozen=True)
class Figure:
    name: str  # file name of the PNG written beside the report
    png: bytes
    alt: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class Context:
    """What several sections share, computed once: the test split's outputs, the stream's inferences."""

    run: RunDir
    emulation: object | None = None  # deploy.emulate.EmulationReport
    _cache: dict = field(default_factory=dict)

    @property
    def cfg(self):
        return self.run.run_config

    @property
    def task(self):
        return self.cfg.task_spec

    def labels(self) -> list[str]:
        return list(self.task.output_labels(str(v) for v in self.cfg.labels))

    def test_outputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(x_test, y_test, float outputs, int8 outputs dequantized) of the student."""
        if "test" not in self._cache:
            from ..scoring import predict_float, predict_int8

            s = self.run.splits()
            x, y = s["x_test"], s["y_test"]
            out_f = predict_float(self.run.load_model("student"), x)
            out_q = predict_int8(self.run.int8_model().read_bytes(), x)
            self._cache["test"] = (x, y, out_f, out_q)
        return self._cache["test"]

    def stream(self):
        """(stream, spec, reference inferences) on the run's test_stream.csv (or the export's stream)."""
        if "stream" not in self._cache:
            from ..data.stream_csv import load_stream
            from ..deploy.streaming import StreamSpec, reference, spec_from_run

            model = self.run.int8_model()
            if self.emulation is not None:
                from ..deploy.export import read_manifest

                manifest = read_manifest(self.emulation.project)
                spec = StreamSpec.from_json(manifest["spec"])
                model = self.emulation.project / manifest["model"]
                path = self.emulation.stream
            else:
                spec = spec_from_run(self.run, model)
                path = self.run.file("test_stream.csv")
            stream = load_stream(path, spec.channels)
            self._cache["stream"] = (stream, spec, reference(model, spec, stream))
        return self._cache["stream"]


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def overview(ctx: Context) -> Section:
    cfg, metrics = ctx.cfg, ctx.run.metrics
    keys = [k for k in ctx.task.table if any(k in metrics.get(r, {}) for r in ROLES)]
    rows = []
    for role in ROLES:
        m = metrics.get(role, {})
        inputs = cfg.channels if role == "teacher" else cfg.student_channels
        rows.append((role, ", ".join(inputs), _fmt(m.get("params", "-")), *(_fmt(m.get(k, "-")) for k in keys)))
    if "student_int8" in metrics:
        m = metrics["student_int8"]
        rows.append(("student int8", ", ".join(cfg.student_channels), _fmt(m.get("params", "-")),
                     *(_fmt(m.get(k, "-")) for k in keys)))
    notes = (f"Run {ctx.run.path}: task {cfg.task}, dataset {cfg.dataset}, window {cfg.window} samples every "
             f"{cfg.hop} at {cfg.sample_rate_hz:g} Hz; privileged (teacher only): {', '.join(cfg.privileged) or 'none'}.",
             "Metrics on the test split; models and T/α chosen on the validation split.")
    table = Table(("model", "inputs", "params", *(f"test {k.replace('_', ' ')}" for k in keys)), tuple(rows))
    return Section("overview", "Overview", tables=(table,), notes=notes)


def training_curves(ctx: Context) -> Section:
    title = "Training curves"
    path = ctx.run.file("history.json")
    if not path.is_file():
        return Section("training-curves", title, notes=("This run has no history.json.",))
    import json

    history = {r: h for r, h in json.loads(path.read_text()).items() if isinstance(h, dict)}
    present = {k[4:] for h in history.values() for k in h if k.startswith("val_")}
    order = [ctx.task.primary, *(m.name for m in ctx.task.metrics), "cross_entropy", *sorted(present)]
    metrics = list(dict.fromkeys(m for m in order if m in present))[:2]
    if not metrics:
        return Section("training-curves", title,
                       notes=("history.json holds losses only (a run trained before per-epoch metrics were recorded).",))
    fig = figures.training_curves(history, metrics)
    notes = ("Train (dashed; up to 1,024 training windows scored per period) and validation (solid) per validation "
             "period; the best-validation weights are kept.",)
    return Section("training-curves", title, (Figure("training_curves.png", fig, "training curves"),), notes=notes)


def selection(ctx: Context) -> Section:
    title = "T / α selection"
    sel = ctx.run.metrics.get("selection")
    if not sel or not sel.get("grid"):
        return Section("selection", title, notes=("This run trained one student with fixed T and α: nothing was selected.",))
    metric = (sel.get("metric") or ["accuracy"])[0]
    chosen = sel.get("chosen", {})
    candidates, marked, rows = [], [], []
    for c in sel["grid"]:
        name = f"T={c['temperature']:g} α={c['alpha']:g}"
        if c["alpha"] == chosen.get("alpha") and c["temperature"] == chosen.get("temperature"):
            marked.append(len(candidates))
        candidates.append({"name": name, "score": c["val"].get(metric, float("nan")), "role": "student"})
        rows.append(("student", name, _fmt(c["val"].get(metric, "-")), _fmt(c.get("best_epoch", "-"))))
    for c in sel.get("baseline_candidates", []):
        name = f"baseline seed {c['seed']}"
        if c["seed"] == sel.get("baseline_chosen_seed"):
            marked.append(len(candidates))
        candidates.append({"name": name, "score": c["val"].get(metric, float("nan")), "role": "baseline"})
        rows.append(("baseline", name, _fmt(c["val"].get(metric, "-")), _fmt(c.get("best_epoch", "-"))))
    fig = figures.selection_grid(candidates, marked, metric, f"chosen on {sel.get('split', 'val')}: outlined")
    table = Table(("model", "candidate", f"validation {metric}", "best epoch"), tuple(rows))
    notes = (f"Chosen: T={chosen.get('temperature')}, α={chosen.get('alpha')}; baseline seed "
             f"{sel.get('baseline_chosen_seed')} (ties broken by {', '.join(sel.get('metric', [])[1:]) or 'nothing'}).",)
    return Section("selection", title, (Figure("selection.png", fig, "T/alpha selection grid"),), (table,), notes)


def _confusion(truth, pred, n: int) -> np.ndarray:
    from ..scoring import confusion_matrix

    return confusion_matrix(np.asarray(truth), np.asarray(pred), n)


def per_class_table(m: np.ndarray, labels: list[str]) -> Table:
    """Precision, recall, F1 and support per class of a confusion matrix (rows true, columns predicted)."""
    from ..scoring import per_class

    rows = tuple((lab, f"{p:.3f}", f"{r:.3f}", f"{f:.3f}", f"{s:,}") for lab, (p, r, f, s) in zip(labels, per_class(m)))
    return Table(("class", "precision", "recall", "F1", "support"), rows)


def confusion(ctx: Context) -> Section:
    title = "Confusion matrices"
    if not ctx.task.outputs_classes and ctx.task.decision != "threshold":
        return Section("confusion", title, notes=(f"A {ctx.cfg.task} model makes no class decisions.",))
    labels = ctx.labels()
    x, y, out_f, out_q = ctx.test_outputs()
    n = len(labels)
    if ctx.task.decision == "threshold":
        from ..scoring import reconstruction_error

        thr = ctx.cfg.threshold or 0.0
        pf, pq = (reconstruction_error(x, o) > thr for o in (out_f, out_q))
    else:
        pf, pq = (o.reshape(len(x), -1).argmax(1) for o in (out_f, out_q))
    mats = {"float (test split)": _confusion(y, pf, n), "int8 (test split)": _confusion(y, pq, n)}
    notes = ["Rows: true class, columns: predicted. Float and int8 on the test split's windows."]
    if ctx.emulation is not None:
        from ..deploy.streaming import truths

        stream, spec, _ = ctx.stream()
        fw = list(ctx.emulation.decisions)
        truth = truths(fw, stream, spec) or []
        index = {lab: i for i, lab in enumerate(spec.labels)}
        pairs = [(index[t], index[d.label]) for t, d in zip(truth, fw) if t in index and d.label in index]
        if pairs:
            mats[f"firmware ({ctx.emulation.platform}, stream)"] = _confusion(*zip(*pairs), n)
            notes.append(f"Firmware: the emulated {ctx.emulation.target} app's decisions on the recorded stream "
                         f"{ctx.emulation.stream.name}, against the label of each window's newest sample.")
    fig = figures.confusion_matrices(mats, labels)
    tables = (per_class_table(mats["int8 (test split)"], labels),)
    notes.append("Table: per-class precision, recall and F1 of the int8 student on the test split.")
    return Section("confusion", title, (Figure("confusion.png", fig, "confusion matrices"),), tables, tuple(notes))


def quantization(ctx: Context) -> Section:
    from ..scoring import run_metrics

    x, y, out_f, out_q = ctx.test_outputs()
    mf, mq = run_metrics(ctx.run, x, y, out_f), run_metrics(ctx.run, x, y, out_q)
    primary = ctx.task.primary
    fig = figures.quantization_error(out_f - out_q.reshape(out_f.shape), primary, mf[primary], mq[primary])
    rows = [(k, _fmt(mf[k]), _fmt(mq[k])) for k in mf]
    rows.append((f"int8 drop ({ctx.task.drop_unit})", "", f"{ctx.task.int8_drop(mf[primary], mq[primary]):.2f}"))
    if ctx.task.outputs_classes:
        agree = float(np.mean(out_f.reshape(len(x), -1).argmax(1) == out_q.reshape(len(x), -1).argmax(1)))
        rows.append(("same class float/int8", "", f"{agree:.4f}"))
    return Section("quantization", "Float vs int8", (Figure("quantization.png", fig, "float vs int8 error"),),
                   (Table(("metric (test split)", "float", "int8"), tuple(rows)),),
                   ("Outputs of the float Keras student and of the int8 model (reference interpreter) on the same "
                    "test windows.",))


def budget(ctx: Context) -> Section:
    from ..deploy.budget import check_budget
    from ..deploy.targets import target_names

    reports = [check_budget(ctx.run.path, t) for t in target_names()]
    names = [r.target.name for r in reports]
    fig1 = figures.budget_summary(
        names, {"flash": [r.flash_bytes for r in reports], "ram": [r.ram_bytes for r in reports]},
        {"flash": [r.max_flash for r in reports], "ram": [r.max_ram for r in reports]},
        [r.latency_s * 1e3 for r in reports])
    first = reports[0]
    layers = [f"{r.name} ({r.row.op})" for r in first.rows]
    fig2 = figures.budget_layers(layers, [r.row.weight_bytes + r.row.quant_bytes for r in first.rows],
                                 [r.row.activation_bytes for r in first.rows],
                                 {r.target.name: [x.cycles for x in r.rows] for r in reports})
    rows = tuple((r.target.name, r.target.board, f"{r.flash_bytes:,} / {r.max_flash:,}", f"{r.ram_bytes:,} / {r.max_ram:,}",
                  f"{r.latency_s * 1e3:.3f}", "fits" if r.ok else "over") for r in reports)
    table = Table(("target", "board", "flash B / limit", "RAM B / limit", "latency ms", "verdict"), rows)
    return Section("budget", "Budget per target", (Figure("budget_targets.png", fig1, "budget per target"),
                                                   Figure("budget_layers.png", fig2, "budget per layer")), (table,),
                   ("Flash = weights + requantization constants + generated code estimate; RAM = arena + firmware "
                    "state + stack; latency from each target's cost model (see `tinydistill budget`). Limits: the "
                    "board's flash and SRAM.",))


def timeline(ctx: Context) -> Section:
    from ..deploy.streaming import truths

    title = "Streamed decisions"
    if ctx.emulation is None and not ctx.run.file("test_stream.csv").is_file():
        return Section("timeline", title, notes=("This run has no recorded stream (test_stream.csv): its data came "
                                                 "as arrays without recordings to replay.",))
    stream, spec, ref = ctx.stream()
    if not ref:
        return Section("timeline", title, notes=("The recorded stream is shorter than one window.",))
    t = np.array([r.t for r in ref])
    starts = [int(i) for i in np.flatnonzero(stream.starts)]
    source = f"{stream.path.name}, {len(stream):,} samples, {len(ref):,} inferences"
    if ctx.task.decision == "value":
        series = {"student int8 (Python reference)": [r.score for r in ref]}
        if ctx.emulation is not None:
            series[f"firmware ({ctx.emulation.platform})"] = [r.score for r in ctx.emulation.decisions]
        fig = figures.value_timeline(t, series, spec.sample_rate_hz, "prediction (normalized)")
    else:
        index = {lab: i for i, lab in enumerate(spec.labels)}
        truth = [index.get(v) for v in (truths(ref, stream, spec) or [None] * len(ref))]
        decisions = {"student int8 (Python reference)": [index[r.label] for r in ref]}
        if ctx.emulation is not None:
            decisions[f"firmware ({ctx.emulation.platform})"] = [index.get(r.label, -1) for r in ctx.emulation.decisions]
        fig = figures.decision_timeline(t, truth, decisions, list(spec.labels), starts, spec.sample_rate_hz)
    notes = (f"One decision every {spec.hop} samples once a window of {spec.window} has arrived, on {source}; "
             "dotted lines separate recordings." + (" The firmware's decisions come from `tinydistill emulate`."
                                                    if ctx.emulation is not None else
                                                    " Add --export DIR for the emulated firmware's decisions."),)
    return Section("timeline", title, (Figure("timeline.png", fig, "streamed decisions"),), notes=notes)


def firmware(ctx: Context) -> Section:
    r = ctx.emulation
    where = "natively on the host" if r.platform == "host" else f"in QEMU ({r.platform})"
    rows = [("project", str(r.project)), ("target", r.target), ("run", where),
            ("stream", f"{r.stream} ({r.samples:,} samples, {r.recordings} recordings)"),
            ("agreement with the Python reference", f"{r.matched}/{r.expected} ({100 * r.agreement:.1f} %)")]
    if r.accuracy is not None:
        rows.append(("accuracy on the stream's labels", f"{100 * r.accuracy:.1f} %"))
    if r.instructions_per_inference is not None:
        rows.append(("instructions per inference (exact)", f"{r.instructions_per_inference:,.0f}"))
        rows.append((f"implied latency at {r.clock_hz / 1e6:g} MHz", f"{r.latency_ms:.3f} ms"))
    rows.append(("model + runtime + app", f"flash {r.app_flash:,} B, RAM {r.app_ram:,} B static"))
    if r.stack_used is not None:
        rows.append(("stack used", f"{r.stack_used:,} B"))
    rows += [("mismatch", m) for m in r.mismatches]
    return Section(FIRMWARE_SECTION, "Emulated firmware", tables=(Table(("", ""), tuple(rows)),),
                   notes=("The exported project's app built and run on the recorded stream by `tinydistill emulate`.",))


BUILDERS = {"overview": overview, "training-curves": training_curves, "selection": selection, "confusion": confusion,
            "quantization": quantization, "budget": budget, "timeline": timeline}


def build_sections(run: RunDir, emulation=None, progress=None) -> list[Section]:
    """Every section of RUN's report, in order (with the firmware's when `emulation` is given)."""
    ctx = Context(run, emulation)
    sections = []
    for s in SECTION_IDS:
        if progress is not None:
            progress(f"report: {s}")
        sections.append(BUILDERS[s](ctx))
    if emulation is not None:
        sections.insert(1, firmware(ctx))
    return sections
