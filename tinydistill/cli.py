"""The `tinydistill` command line: parses options, calls one library function, reports.

Library exceptions become messages without a traceback: TinyDistillError exits 2
(bad input or usage), CheckFailed exits 1 (a check ran and failed).
Library modules are imported inside the commands so that `--help` stays fast, and
TensorFlow only by the commands that train, quantize or load Keras models: codegen,
emulate, hil, datasets and budget on a .tflite run without it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# TensorFlow's C++ start-up chatter is not for the user.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import click  # noqa: E402

from . import __version__  # noqa: E402
from .errors import TinyDistillError  # noqa: E402
from .tasks import TASK_NAMES  # noqa: E402  (tiny: the registry, no TensorFlow)
from .deploy import sensors  # noqa: E402  (tiny: the sensor registry)
from .training.transfer import KINDS as TRANSFER_KINDS  # noqa: E402  (no TensorFlow)



class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TinyDistillError as exc:
            click.echo(f"Error: {exc}", err=True)
            if ctx.meta.get(_JSON) and not ctx.meta.get(_EMITTED):  # a script still gets its one object
                emit(ctx.invoked_subcommand or "tinydistill", {"error": str(exc), "exit_code": exc.exit_code},
                     schema="error")
            ctx.exit(exc.exit_code)


# ctx.meta keys: --json was given; the command's object was printed.
_JSON, _EMITTED = "tinydistill.json", "tinydistill.emitted"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tinydistill")
def cli():
    """Distil time-series neural networks into int8 C for microcontrollers.

    Example:

        tinydistill train --dataset basic-motions --out runs/bm
    """


def _tensorflow() -> None:
    """Import TensorFlow quietly, before a command that trains, quantizes or loads Keras models."""
    from .quiet import import_tensorflow

    import_tensorflow()


class _TargetChoice(click.Choice):
    """A target of the registry (tinydistill/deploy/targets.py); the registry's message on a bad one."""

    def convert(self, value, param, ctx):
        from .deploy.targets import get_target

        try:
            return get_target(value).name
        except TinyDistillError as exc:
            self.fail(str(exc), param, ctx)


def target_option(required: bool = True, purpose: str = "The board to check against."):
    """`--target`, its choices and their list in the help taken from the targets registry."""
    def decorator(f):
        from .deploy.targets import target_names

        return click.option("--target", "target", required=required, type=_TargetChoice(target_names()),
                            help=purpose)(f)
    return decorator


def framework_option(f):
    """`--framework`, its list in the help taken from the targets registry."""
    from .deploy.targets import TARGETS

    names = sorted({fw for t in TARGETS.values() for fw in t.frameworks})
    return click.option("--framework", default=None,
                        help=f"{', '.join(names)} (default: the target's first).")(f)


def limit_options(purpose: str = "limit"):
    """`--max-flash`, `--max-ram` and `--max-latency`: sizes with K = 1024 and times with a unit."""
    from . import units

    def decorator(f):
        for name, what, kind, example, default in reversed([
                ("--max-flash", "Flash", units.SIZE, "64K", "the target's flash"),
                ("--max-ram", "RAM", units.SIZE, "16K", "the target's SRAM"),
                ("--max-latency", "Latency", units.TIME, "5ms", "none")]):
            f = click.option(name, type=kind, default=None,
                             help=f"{what} {purpose}, e.g. {example} (default: {default}).")(f)
        return f
    return decorator


def engine_option(f):
    """`--streaming/--no-streaming`: the engine the exported firmware runs (and the budget checks)."""
    return click.option(
        "--streaming/--no-streaming", "streaming", default=None,
        help="The engine the firmware runs: by default the streaming engine (each hop computes only its new "
             "samples' rows) when the student streams at the run's hop, else the full window with the layer that "
             "prevents streaming named; --streaming requires it (exit 2 otherwise), --no-streaming never streams.")(f)


def json_option(f):
    """`--json`: one JSON object on stdout (keys documented in tinydistill/schemas.py); human text to stderr.

    A command that fails before printing its object prints the `error` object instead."""
    def remember(ctx, param, value):
        if value:
            ctx.meta[_JSON] = True
        return value

    return click.option("--json", "as_json", is_flag=True, callback=remember,
                        help="Print one JSON object on stdout (keys: see tinydistill/schemas.py); "
                             "human-readable text goes to stderr.")(f)


def calibration_option(f):
    """`--calibration`: windows to quantize a Keras model, SavedModel or float .tflite (deploy/model_input.py)."""
    return click.option("--calibration", type=click.Path(exists=True, dir_okay=False), default=None,
                        help="Windows to calibrate int8 ranges when MODEL is a .keras file, a SavedModel folder or "
                             "a float .tflite: a .npy array [N, W, C] or a CSV with one window per row.")(f)


def _int8_model(path: str, calibration: str | None, as_json: bool):
    """(full-int8 flatbuffer or path, Keras layer names) of what the user passed; says when it converted."""
    from .deploy.model_input import prepare

    prepared = prepare(path, calibration)
    if not prepared.converted:
        return path, None
    windows = calibration if isinstance(calibration, str) else "the run's training split"
    say(f"quantized {path} ({prepared.source}) to full int8, calibrated on the windows of {windows}", as_json)
    return prepared.tflite, prepared.layer_names


def progress_line(message: str) -> None:
    """One progress line on stderr, only for a person at a terminal."""
    if sys.stderr.isatty():
        click.echo(f"... {message}", err=True)


def say(text: str, as_json: bool) -> None:
    """Human-readable output: stdout normally, stderr under --json (stdout holds only the JSON)."""
    click.echo(text, err=as_json)


def emit(command: str, value: dict, schema: str | None = None) -> None:
    """The --json object of `command` (valid against SCHEMAS[schema or command]), with its schema version."""
    import json

    from .schemas import stamp

    click.echo(json.dumps(stamp(command, value, schema), indent=2, allow_nan=False, default=str))
    click.get_current_context().meta[_EMITTED] = True


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="tinydistill", standalone_mode=True)


# ---------------------------------------------------------------- datasets, train


@cli.command()
@json_option
def datasets(as_json):
    """List the built-in datasets: channels, classes, tasks and provenance.

    Example:

        tinydistill datasets
    """
    from . import json_views
    from .data.datasets import list_datasets

    if as_json:
        emit("datasets", json_views.datasets(list_datasets()))
        return
    for d in list_datasets():
        click.echo(f"{d.name}\n  task:       {d.task}\n  channels:   {', '.join(d.channels)}\n"
                   f"  classes:    {d.classes}\n  provenance: {d.provenance}")


def _csv_list(ctx, param, value):
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


@cli.command()
@click.option("--dataset", help="Built-in dataset (see `tinydistill datasets`).")
@click.option("--csv", "csv", help="Your own long-format CSV, one row per sample.")
@click.option("--group", help="CSV column with the recording id (splits never share a recording).")
@click.option("--label", help="CSV column with the class label (anomaly: the class or a 0/1 flag).")
@click.option("--channels", callback=_csv_list, help="Sensor columns, comma-separated (built-ins: a subset).")
@click.option("--time", "time_col", help="CSV column to order samples by within a recording.")
@click.option("--split-by", help="CSV column whose values train/val/test never share, e.g. subject (default: by recording).")
@click.option("--sample-rate", "sample_rate_hz", type=float, help="Samples per second of the CSV (stored with the run).")
@click.option("--task", type=click.Choice(TASK_NAMES), help="Default: classify.")
@click.option("--window", type=int, help="Window length in samples (default: the dataset's, else 32).")
@click.option("--hop", type=int, help="Samples between window starts (default: the dataset's, else window/4).")
@click.option("--horizon", type=int, help="Forecast / look-ahead steps k (default 8).")
@click.option("--predict-channel", help="Forecast: the channel to predict (default: the first student channel).")
@click.option("--privileged", callback=_csv_list, help="Channels only the teacher sees, e.g. gyro_x,gyro_y,gyro_z.")
@click.option("--privileged-time/--no-privileged-time", default=None,
              help="Teacher also sees the values between window and horizon (default: on for forecast and mackey-glass).")
@click.option("--normal-class", help="Anomaly: the normal class; every other class is an anomaly.")
@click.option("--temperature", help="Softmax temperature T of the soft targets, or auto: T = 4 for the "
              "distilled candidates of the validation grid (default auto).")
@click.option("--alpha", help="Imitation weight: 0 = plain training, 1 = pure imitation, or auto: chosen on "
              "validation among 0 and 0.9 (default auto).")
@click.option("--transfer", type=click.Choice(TRANSFER_KINDS),
              help="augment: extra augmented windows for the soft term only; mixup: every distilled batch "
                   "mixed anew, the teacher on the same mixed windows (function matching) (default none).")
@click.option("--hint/--no-hint", default=None, help="Add the feature (hint) loss between teacher and student.")
@click.option("--hint-weight", type=float, help="Weight of the hint loss (default 1).")
@click.option("--epochs", type=int, help="Cap: student (and baseline) epochs (default: a step budget that "
              "follows the data size, with early stopping).")
@click.option("--teacher-epochs", type=int, help="Cap: teacher epochs (default: the step budget).")
@click.option("--batch-size", type=int, help="Mini-batch size (default 32).")
@click.option("--student-width", type=int, help="Student size knob (filters / units; default per task).")
@click.option("--teacher-width", type=int, help="Teacher size knob (default 64).")
@click.option("--teacher-from", help="Reuse the trained teacher of this run directory instead of training one "
              "(it must have the same data options and --seed, so the same split).")
@click.option("--streaming/--no-streaming", default=None,
              help="Streamable student family (classify): valid padding, so the exported C computes only "
                   "each hop's new samples (default off).")
@click.option("--batch-norm/--no-batch-norm", default=None,
              help="Classification students: batch normalization after each convolution while training, "
                   "folded into the convolution's weights and bias when saved (default on; --no-batch-norm: without).")
@click.option("--seed", type=int, help="Random seed: same seed, same metrics (default 0).")
@target_option(required=False, purpose="Board to check the student against at the end (see `tinydistill budget`).")
@limit_options("limit of the budget warning")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="TOML file with these options (keys as option names); flags override it.")
@click.option("--overwrite", is_flag=True, default=None, help="Replace an existing run directory.")
@click.option("--out", required=True, help="Run directory to write.")
@click.option("--progress/--quiet", "progress", default=None,
              help="Progress lines on stderr, one per model and epoch (default: only when stderr is a terminal).")
@json_option
def train(config_file, out, progress, time_col, as_json, **options):
    """Train a teacher, distil it into a tiny student, and train the same student without distillation.

    Writes the run directory OUT (config, models, normalization, splits, metrics) and prints
    teacher / distilled student / baseline side by side.

    Example:

    \b
        tinydistill train --dataset basic-motions --privileged gyro_x,gyro_y,gyro_z --out runs/bm
        tinydistill train --csv imu.csv --group session --label activity --channels ax,ay,az --out runs/mine
        tinydistill train --dataset basic-motions --streaming --out runs/bm-stream
    """
    _tensorflow()
    from .training.train import TrainConfig, comparison_table
    from .training.train import train as run_training

    options["time"] = time_col
    if config_file:
        config = TrainConfig.from_toml(config_file, **options)
    else:
        config = TrainConfig(**{k: v for k, v in options.items() if v is not None})
    run = run_training(config, out, progress=sys.stderr.isatty() if progress is None else progress)
    say(comparison_table(run), as_json)
    say(f"run directory: {run.path}", as_json)
    if as_json:
        from . import json_views

        emit("train", json_views.train(run))


# ---------------------------------------------------------------- quantize, budget, evaluate

@cli.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--max-drop", type=float, default=None,
              help="Allowed int8 loss: accuracy points (classify, default 2), % MAE increase (forecast, "
                   "default 10), AUC points (anomaly, default 2).")
@json_option
def quantize(run, max_drop, as_json):
    """Quantize the student to full int8 (RUN/student_int8.tflite) and compare float with int8.

    Exits 1 when int8 loses more than --max-drop.

    Example:

        tinydistill quantize runs/bm --max-drop 1.5
    """
    _tensorflow()
    from .errors import CheckFailed
    from .deploy.quantize import format_report, quantize_run

    report = quantize_run(run, max_drop=max_drop)
    say(format_report(report), as_json)
    if as_json:
        from . import json_views

        emit("quantize", json_views.quantize(report))
    if not report.ok:
        raise CheckFailed(report.verdict())


@cli.command()
@click.argument("run", type=click.Path(exists=True))
@target_option()
@limit_options()
@engine_option
@calibration_option
@json_option
def budget(run, target, max_flash, max_ram, max_latency, streaming, calibration, as_json):
    """Check the int8 student's flash, RAM and latency on a target (quantizes first when needed).

    RUN is a run directory or a model: a .tflite (full int8, or float with --calibration), a .keras
    file or a SavedModel folder (with --calibration). Sizes use K = 1024. Exits 1 when over budget.
    When a run's student streams at the run's hop, the exported firmware runs the streaming engine:
    latency and RAM are then checked for one hop (per-hop rows beside the full window's).

    Example:

        tinydistill budget runs/bm --target cortex-m0plus --max-ram 16K --max-latency 5ms
    """
    is_run = os.path.isfile(os.path.join(run, "config.json"))
    if is_run:  # a run directory may need quantizing and its Keras layer names; a .tflite does not
        _tensorflow()
    from .deploy import budget as budget_mod
    from .deploy.quantize import ensure_int8
    from .errors import CheckFailed

    names = None
    if is_run:
        ensure_int8(run)  # the library only reads the int8 model; the command makes it when missing
        model = run
    else:
        model, names = _int8_model(run, calibration, as_json)
    from .deploy.engine_mode import engine_request

    report = budget_mod.check_budget(model, target, max_flash, max_ram, max_latency, layer_names=names,
                                     engine=engine_request(streaming))
    if as_json:
        emit("budget", report.as_dict())
    else:
        click.echo(budget_mod.format_report(report))
    if not report.ok:
        raise CheckFailed(f"over budget on {target}; see the verdict above")


@cli.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--csv", "csv_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="New recordings in the training CSV's long format (repeatable).")
@click.option("--dataset", default=None, help="A built-in dataset to evaluate on instead of CSV files.")
@click.option("--group", default=None, help="CSV column with the recording id (default: rec).")
@click.option("--label", default=None, help="CSV column with the label (default: label).")
@click.option("--time", "time_col", default=None, help="CSV column to sort samples by.")
@click.option("--split", type=click.Choice(["all", "train", "val", "test"]), default=None,
              help="With --dataset: which recordings of the run's own dataset (default: test; the others "
                   "trained or selected the model).")
@json_option
def evaluate(run, csv_files, dataset, group, label, time_col, split, as_json):
    """Float and int8 metrics of the student on recordings collected later, windowed as in training.

    Prints float and int8 metrics, the confusion matrices and precision, recall and F1 per class.

    Example:

    \b
        tinydistill evaluate runs/bm --csv new_session.csv
        tinydistill evaluate runs/bm --dataset basic-motions --split test
    """
    _tensorflow()
    from .deploy.quantize import ensure_int8
    from .evaluate import evaluate_run, format_evaluation

    ensure_int8(run)
    ev = evaluate_run(run, csv=list(csv_files), dataset=dataset, group=group, label=label, time=time_col, split=split)
    if as_json:
        emit("evaluate", ev.as_dict())
    else:
        click.echo(format_evaluation(ev))


# ---------------------------------------------------------------- codegen

@cli.command()
@click.argument("model", required=False, type=click.Path())
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder for the generated C (flat).")
@click.option("--prefix", default="td_model", show_default=True,
              help="C name prefix: NAME_invoke, NAME_INPUT_SIZE, files NAME.h/.c (default: model.h/.c).")
@click.option("--check", is_flag=True, help="Also build on the host with gcc and compare with the reference interpreter.")
@click.option("--windows", default=100, show_default=True, type=click.IntRange(1), help="Random windows for --check.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the random windows.")
@click.option("--list-ops", is_flag=True, help="List the supported ops and options, then exit.")
@click.option("--hop", type=click.IntRange(1), help="Also generate the streaming form (NAME_stream.h/.c) for windows "
              "that move by HOP samples: each hop computes only the new samples' rows; refused (exit 2) with the "
              "layer to change when the model cannot stream.")
@calibration_option
@json_option
def codegen(model, out_dir, prefix, check, windows, seed, list_ops, hop, calibration, as_json):
    """Generate int8 C99 for a full-int8 .tflite model: weights in flash, one static arena.

    MODEL may also be a float .tflite, a .keras file or a SavedModel folder: it is quantized
    first with the windows of --calibration (the same converter as `tinydistill quantize`).

    The folder gets model.h/.c, model_data.h/.c and the kernels (td_*.c/.h); compile
    every .c in it with your main.c. --check builds it with gcc and compares it, byte
    for byte, with the reference interpreter; exits 1 on any mismatch.

    Example:

    \b
        tinydistill codegen runs/bm/student_int8.tflite --out build/bm --check --windows 200
        tinydistill codegen my_model.keras --calibration windows.npy --out build/mine --check
        tinydistill codegen runs/bm-stream/student_int8.tflite --hop 4 --out build/bm-stream --check
    """
    from .errors import CheckFailed, TinyDistillError

    if list_ops:
        from .engine import supported_ops

        for name, detail in supported_ops().items():
            click.echo(f"{name:<20} {detail}")
        return
    if model is None:
        raise TinyDistillError("missing MODEL.tflite; e.g. `tinydistill codegen model.tflite --out build/model`")
    if out_dir is None and not check:
        raise TinyDistillError("say where to write the C with --out DIR (or only verify it with --check)")
    from . import json_views
    from .deploy.analysis import analyze

    model, _ = _int8_model(model, calibration, as_json)
    a = analyze(model)  # refuses an unsupported model before anything is written
    report = None
    if hop is not None:
        from .engine import compile as compile_model
        from .engine.streamability import plan_stream

        compiled = compile_model(model)
        plan = plan_stream(compiled, hop)  # NotStreamable (exit 2) names the layer and the fix
        say(f"streaming at hop {hop}: {plan.macs_per_hop():,} MACs per hop (full window "
            f"{sum(c.macs for c in compiled.calls):,}), state {plan.state_bytes:,} B (RAM, replaces the arena)",
            as_json)
    if check:  # before anything is written: a model that fails the check leaves nothing behind
        from .engine.check import check_model

        report = check_model(model, n_windows=windows, seed=seed)
        say(report.summary(), as_json)
        if not report.ok:
            raise CheckFailed("the generated C differs from the reference interpreter; please report this model"
                              + (f" (nothing written to {out_dir})" if out_dir is not None else ""))
        if hop is not None:
            from .engine.stream_check import check_stream, random_recordings

            raw = bytes(model) if isinstance(model, (bytes, bytearray)) else Path(model).read_bytes()
            stream_report = check_stream(raw, hop, random_recordings(plan, seed))
            say(f"streaming: {stream_report.summary()}", as_json)
            if not stream_report.ok:
                raise CheckFailed("the streaming C differs from the reference interpreter on a window; please "
                                  "report this model" + (f" (nothing written to {out_dir})" if out_dir else ""))
    files = []
    if out_dir is not None:
        from .engine.codegen import generate
        from .engine.stream_check import generate_stream

        files = (generate(model, out_dir, prefix=prefix) if hop is None
                 else generate_stream(model, out_dir, hop, prefix=prefix))
        say(f"wrote {len(files)} files to {out_dir}", as_json)
    info = json_views.codegen(files, out_dir, a, report)
    i, o = info["input"], info["output"]
    arena = f"arena {info['arena_bytes']:,} B (RAM)"
    if info["arena_bytes_dsp"] != info["arena_bytes"]:
        arena = (f"arena {info['arena_bytes']:,} B (RAM; {info['arena_bytes_dsp']:,} B with the DSP kernels' "
                 "scratch on Cortex-M4/M7/M33)")
    say(f"{info['ops']} ops; weights and constants {info['weight_bytes']:,} B (flash), {arena}; input {i['shape']} scale {i['scale']:.6g} zero point {i['zero_point']}, output {o['shape']} "
        f"scale {o['scale']:.6g} zero point {o['zero_point']}", as_json)
    if as_json:
        emit("codegen", info)


# ---------------------------------------------------------------- export, emulate, hil

@cli.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@target_option(purpose="The board to export for.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="The PlatformIO project folder.")
@framework_option
@click.option("--force", is_flag=True, help="Export even when the student is over the target's budget.")
@click.option("--smoothing", type=click.Choice(["none", "average", "vote"]), default="none", show_default=True,
              help="Smooth decisions over the last --smooth-n inferences.")
@click.option("--smooth-n", type=click.IntRange(1, 64), default=1, show_default=True, help="Inferences smoothed over.")
@click.option("--baud", type=int, default=115200, show_default=True, help="Serial baud rate of the board.")
@click.option("--sensor", type=click.Choice(sensors.choices()), default=None,
              help="Where samples come from: CSV lines on the serial port (default), the Nano 33 BLE's on-board "
                   "IMU (lsm9ds1: rev1, bmi270: rev2) or an MPU-6050 on I2C. Default: the previous export's.")
@click.option("--accel-units", type=click.Choice(list(sensors.ACCEL_UNITS)), default="g", show_default=True,
              help="Units of the run's acceleration channels (with --sensor).")
@click.option("--gyro-units", type=click.Choice(list(sensors.GYRO_UNITS)), default="rad/s", show_default=True,
              help="Units of the run's angular-rate channels (with --sensor).")
@click.option("--layout", "layout_name", type=click.Choice(["platformio", "sketch"]), default="platformio",
              show_default=True, help="A PlatformIO project, or an Arduino IDE sketch folder with the library.")
@limit_options()
@engine_option
@click.option("--model", "model_file", type=click.Path(exists=True), default=None,
              help="Deploy this model instead of RUN's student: a .tflite, .keras or SavedModel folder taking RUN's "
                   "windows (quantized on --calibration, default RUN's training windows).")
@calibration_option
@json_option
def export(run, target, out, framework, force, smoothing, smooth_n, baud, sensor, accel_units, gyro_units,
           layout_name, max_flash, max_ram, max_latency, streaming, model_file, calibration, as_json):
    """Export RUN's int8 student as a PlatformIO project that classifies a live stream.

    The budget check runs first (over budget: exit 1 unless --force); the student is
    quantized when RUN has no student_int8.tflite. The model and runtime become the
    library lib/tinydistill_model/. Re-exporting into the same folder regenerates the
    tool's files and keeps yours (platformio.ini, src/sensor.c, .gitignore).

    Example:

    \b
        tinydistill export runs/bm --target esp32 --out fw/bm-esp32
        tinydistill export runs/bm --target cortex-m4 --sensor lsm9ds1 --out fw/bm-nano
        tinydistill export runs/bm --target cortex-m4 --model my_student.keras --out fw/mine-m4
        tinydistill export runs/bm-stream --target cortex-m4 --no-streaming --out fw/bm-full
    """
    import tempfile

    _tensorflow()  # the budget check reads the run's Keras student
    from .deploy.export import export_project, format_report
    from .deploy.quantize import ensure_int8

    with tempfile.TemporaryDirectory(prefix="td-model-") as tmp:
        model = None
        if model_file is None:
            ensure_int8(run)
        else:  # the user's model, calibrated on RUN's training windows unless told otherwise
            from .rundir import open_run

            windows = calibration or open_run(run).splits()["x_train"]
            flatbuffer, _ = _int8_model(model_file, windows, as_json)
            model = flatbuffer
            if isinstance(flatbuffer, bytes):
                model = Path(tmp) / "model_int8.tflite"
                model.write_bytes(flatbuffer)
        report = export_project(run, target, out, framework=framework, force=force, smoothing=smoothing,
                                smooth_n=smooth_n, baud=baud, max_flash=max_flash, max_ram=max_ram,
                                max_latency=max_latency, sensor=sensor, layout_name=layout_name,
                                accel_units=accel_units, gyro_units=gyro_units, model=model,
                                streaming=streaming)
    say(format_report(report), as_json)
    if as_json:
        from . import json_views

        emit("export", json_views.export(report))


@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option("--stream", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A recorded stream CSV (default: the run's test split, copied into the project).")
@click.option("--on", type=click.Choice(["host", "qemu"]), default=None,
              help="Run natively or in QEMU (default: QEMU for the target's core where one exists).")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds before the run is killed.")
@json_option
def emulate(project, stream, on, timeout, as_json):
    """Build PROJECT's app and run it on a recorded stream; compare with the Python reference.

    Every raw int8 output and decision must agree (exit 1 otherwise, or on a crash or
    timeout). Reports instructions per inference (exact, QEMU), the implied latency
    at the target's clock, flash, RAM and stack.

    Example:

        tinydistill emulate fw/bm-m4 --on qemu
    """
    from .deploy.emulate import emulate as run_emulation
    from .deploy.emulate import format_report
    from .errors import CheckFailed

    report = run_emulation(project, stream=stream, on=on, timeout=timeout, progress=progress_line)
    say(format_report(report), as_json)
    if as_json:
        from . import json_views

        emit("emulate", json_views.emulate(report))
    if not report.ok:
        raise CheckFailed(f"the firmware disagrees with the Python reference on "
                          f"{report.expected - report.matched} of {report.expected} inferences")


@cli.command()
@click.option("--port", required=True, help="The board's serial port, e.g. /dev/ttyACM0.")
@click.option("--stream", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A recorded stream CSV (default: the project's or run's test split).")
@click.option("--baud", type=int, default=115200, show_default=True, help="Serial baud rate.")
@click.option("--project", type=click.Path(exists=True, file_okay=False), default=".", show_default=True,
              help="The exported project (or run directory) the board was flashed from.")
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds to wait for one inference.")
@click.option("--boot-wait", type=float, default=2.0, show_default=True,
              help="Seconds to wait for the board's start-up banner after opening the port.")
@click.option("--dtr/--no-dtr", default=True, show_default=True,
              help="Assert DTR (and RTS): USB-CDC boards such as the Nano 33 BLE only talk while DTR is set; "
                   "--no-dtr for boards that reset on it.")
@json_option
def hil(port, stream, baud, project, timeout, boot_wait, dtr, as_json):
    """Stream a recording to a flashed board over serial and check its every decision.

    The board must run the exported project with its default serial sensor hook.
    Exit 1 on any disagreement with the Python reference or when the board stops answering.

    Example:

        tinydistill hil --port /dev/ttyACM0 --project fw/bm-esp32
    """
    from .errors import CheckFailed
    from .deploy.hil import format_report
    from .deploy.hil import hil as run_hil

    report = run_hil(port, stream=stream, project=project, baud=baud, timeout=timeout, boot_wait=boot_wait, dtr=dtr)
    say(format_report(report), as_json)
    if as_json:
        from . import json_views

        emit("hil", json_views.hil(report))
    if not report.ok:
        raise CheckFailed(f"the board disagrees with the Python reference on "
                          f"{report.expected - report.matched} of {report.expected} inferences")


# ---------------------------------------------------------------- report

@cli.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--export", "export_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="A project exported from RUN: emulate its app and add the firmware's sections.")
@click.option("--on", type=click.Choice(["host", "qemu"]), default=None,
              help="With --export: run natively or in QEMU (default: QEMU for the target's core where one exists).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Folder for the report (default: RUN/report).")
@json_option
def report(run, export_dir, on, out, as_json):
    """Write RUN's report: one self-contained HTML page (figures inline) and its PNGs.

    Training curves, the T/alpha selection, confusion matrices, float vs int8, the budget on
    every target and the streamed decisions; quantizes first when needed. With --export DIR,
    the exported firmware is emulated and its decisions and confusion matrix added.

    Example:

        tinydistill report runs/bm --export fw/bm-m4
    """
    _tensorflow()
    from .deploy.quantize import ensure_int8
    from .report import write_report

    ensure_int8(run)
    result = write_report(run, out=out, export=export_dir, on=on, progress=progress_line)
    if as_json:
        emit("report", result.as_dict())
    say(f"report: {result.path}", as_json)


# ---------------------------------------------------------------- search

# The options of `train` that `search` shares (data, task and training caps), taken from it.
_SEARCH_SHARED = ("dataset", "csv", "group", "label", "channels", "time_col", "split_by", "sample_rate_hz", "task",
                  "window", "hop", "horizon", "predict_channel", "privileged", "privileged_time", "normal_class",
                  "epochs", "teacher_epochs", "batch_size", "teacher_width", "teacher_from", "seed")


def _options_of(command, names):
    """`command`'s options named `names` (copies, in its order) on the decorated command."""
    import copy

    def decorator(f):
        params = [copy.copy(p) for p in command.params if p.name in names]
        f.__click_params__ = getattr(f, "__click_params__", []) + params[::-1]  # click reverses them
        return f
    return decorator


@cli.command()
@_options_of(train, _SEARCH_SHARED)
@target_option(purpose="The board whose budget every candidate must fit.")
@limit_options("limit every candidate must meet")
@click.option("--trials", type=click.IntRange(0), default=None,
              help="Finished trials (trained or pruned by the budget) the study should hold, counted over all workers.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds after which this worker starts no new trial.")
@click.option("--windows", callback=_csv_list,
              help="Window lengths to try, comma-separated (default: the data's window, half, twice and four times it, "
                   "where the recordings hold them and they keep at least 8 samples).")
@click.option("--storage", default=None,
              help="Study database URL shared by workers, e.g. postgresql://user@host/db (default: OUT/study.db).")
@click.option("--study", "study_name", default="search", show_default=True, help="Study name in the storage.")
@click.option("--pick", type=click.IntRange(0), default=None,
              help="Trial number to write as the run directory (default: the best validation metric).")
@click.option("--heartbeat", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Seconds between a worker's heartbeats; a trial silent for two of them (and at least 20 s "
                   "more than one) is failed and retried.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Search folder: study file, teachers, trained candidates, front.json and the picked run (OUT/run).")
@click.option("--cache", type=click.Path(file_okay=False), default=None,
              help="Folder of the teachers and trained candidates instead of OUT: searches of the same data for "
                   "other boards or limits that share it train each candidate once.")
@click.option("--progress/--quiet", "progress", default=None,
              help="One line per trial on stderr (default: only when stderr is a terminal).")
@json_option
def search(target, max_flash, max_ram, max_latency, trials, time_limit, windows, storage, study_name, pick,
           heartbeat, out, cache, progress, time_col, as_json, **options):
    """Search the distilled student that fits a board: the Pareto front and the best student as a run.

    Each candidate (family, depth, width, kernels, strides, window, T, alpha) is budgeted on the
    target before any training and pruned when over; the others train with distillation and a
    baseline and are scored in int8 on validation. Start more workers with the same --storage and
    --study to share the work; running again continues the study.

    Example:

    \b
        tinydistill search --dataset basic-motions --target cortex-m0plus --max-latency 2ms --trials 30 --out runs/s
        tinydistill search --dataset basic-motions --target cortex-m4 --trials 30 --out runs/s4 --cache runs/s
        tinydistill search --dataset basic-motions --target cortex-m4 --trials 60 --out runs/s2 \\
            --storage postgresql://td@db/search --study bm-m4
    """
    from .search import SearchConfig, format_front, run_search
    from .training.train import TrainConfig

    options["time"] = time_col
    try:
        window_list = tuple(int(w) for w in windows) if windows else None
    except ValueError:
        raise TinyDistillError(f"--windows takes integers, got {','.join(windows)}") from None
    config = SearchConfig(TrainConfig(**{k: v for k, v in options.items() if v is not None}), target=target,
                          out=out, max_flash=max_flash, max_ram=max_ram, max_latency=max_latency, trials=trials,
                          time_limit=time_limit, storage=storage, study=study_name, windows=window_list, pick=pick,
                          heartbeat=heartbeat, cache=cache,
                          progress=sys.stderr.isatty() if progress is None else progress)
    config.validate()  # bad input fails before TensorFlow's start-up
    _tensorflow()
    result = run_search(config)
    say(format_front(result), as_json)
    if as_json:
        emit("search", result.as_dict())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
