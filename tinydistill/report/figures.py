"""The report's figures: pure functions from numbers to PNG bytes (matplotlib, Agg backend, no display).

Each function takes plain data (lists, arrays, dicts) and returns the PNG; none reads a run,
so each can be tested on hand-made numbers.
"""

from __future__ import annotations

import io

import numpy as np

ROLE_COLOURS = {"teacher": "#4c72b0", "student": "#dd8452", "baseline": "#55a868", "firmware": "#c44e52"}
DPI = 100


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)  # no display on servers and in CI; the report embeds PNGs
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    """The figure as PNG bytes; closes it (matplotlib keeps every open figure otherwise).

    The PNG carries no creation time (metadata Software/Date off), so equal data give equal bytes.
    """
    plt = _pyplot()
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def training_curves(history: dict[str, dict[str, list]], metrics: list[str]) -> bytes:
    """One panel per metric: train (dashed) and validation (solid) per epoch, one colour per model."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for role, h in history.items():
            colour = ROLE_COLOURS.get(role)
            for split, style in (("train", "--"), ("val", "-")):
                values = h.get(f"{split}_{metric}")
                if values:
                    ax.plot(np.arange(1, len(values) + 1), values, style, color=colour,
                            label=f"{role} ({'validation' if split == 'val' else split})")
        ax.set_xlabel("epoch (validation period)")
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return _png(fig)


def confusion_matrices(matrices: dict[str, np.ndarray], labels: list[str]) -> bytes:
    """Side by side confusion matrices (rows: true class, columns: predicted), counts in the cells."""
    plt = _pyplot()
    n = len(matrices)
    size = max(3.2, 0.45 * len(labels) + 2.2)
    fig, axes = plt.subplots(1, n, figsize=(size * n, size), squeeze=False)
    for ax, (title, m) in zip(axes[0], matrices.items()):
        m = np.asarray(m)
        ax.imshow(m, cmap="Blues", vmin=0, vmax=max(1, int(m.max())))
        ticks = np.arange(len(labels))
        ax.set_xticks(ticks, labels, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(ticks, labels, fontsize=8)
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=8,
                    color="white" if v > m.max() / 2 else "black")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(title)
    return _png(fig)


def selection_grid(candidates: list[dict], chosen: list[int], metric: str, title: str) -> bytes:
    """Validation score of each candidate as a bar, the chosen ones (student, baseline) outlined."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(candidates) + 1.5), 3.4))
    names = [c["name"] for c in candidates]
    values = [c["score"] for c in candidates]
    colours = [ROLE_COLOURS["student"] if c.get("role") == "student" else ROLE_COLOURS["baseline"] for c in candidates]
    bars = ax.bar(np.arange(len(values)), values, color=colours)
    for k in chosen:
        bars[k].set_edgecolor("black")
        bars[k].set_linewidth(2.5)
    for b, v in zip(bars, values):
        ax.annotate(f"{v:.3f}", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(np.arange(len(values)), names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(f"validation {metric.replace('_', ' ')}")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def quantization_error(diff: np.ndarray, metric: str, float_value: float, int8_value: float) -> bytes:
    """Left: histogram of |float − int8| over every output of every window; right: the metric both ways."""
    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4), gridspec_kw={"width_ratios": [2, 1]})
    diff = np.abs(np.ravel(diff))
    a1.hist(diff, bins=40, color=ROLE_COLOURS["student"])
    a1.set_xlabel("|float output − int8 output| (dequantized)")
    a1.set_ylabel("outputs")
    a1.set_yscale("log")
    a1.set_title(f"max {diff.max():.4g}, mean {diff.mean():.4g}")
    bars = a2.bar(["float", "int8"], [float_value, int8_value], color=["#8172b2", ROLE_COLOURS["student"]])
    for b, v in zip(bars, (float_value, int8_value)):
        a2.annotate(f"{v:.4f}", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom", fontsize=8)
    a2.set_ylabel(metric.replace("_", " "))
    a2.set_title("test split")
    return _png(fig)


def budget_summary(targets: list[str], used: dict[str, list[float]], limits: dict[str, list[float]],
                   latency_ms: list[float]) -> bytes:
    """Per target: flash and RAM used as a share of the board's limit, and the latency."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    y = np.arange(len(targets))
    for ax, key, colour in ((axes[0], "flash", "#8172b2"), (axes[1], "ram", "#64b5cd")):
        share = [100.0 * u / lim for u, lim in zip(used[key], limits[key])]
        ax.barh(y, share, color=["#c44e52" if s > 100 else colour for s in share])
        ax.axvline(100, color="black", lw=1, ls="--", label="board limit")
        for yi, s, u in zip(y, share, used[key]):
            ax.annotate(f" {u / 1024:.1f} KiB", (s, yi), va="center", fontsize=8)
        ax.set_yticks(y, targets)
        # Log scale: a few KiB against a board's megabytes would be an invisible sliver on a linear one.
        ax.set_xscale("log")
        ax.set_xlabel(f"{'flash' if key == 'flash' else 'RAM'} used, % of the board's (log)")
        ax.set_xlim(min(min(share) / 3, 10), max(300, max(share) * 3))
        ax.invert_yaxis()
        ax.legend(fontsize=7, loc="lower right")
    ax = axes[2]
    ax.barh(y, latency_ms, color=ROLE_COLOURS["teacher"])
    for yi, v in zip(y, latency_ms):
        ax.annotate(f" {v:.3f} ms", (v, yi), va="center", fontsize=8)
    ax.set_yticks(y, targets)
    ax.set_xlabel("latency per inference, ms (cost model)")
    ax.set_xlim(0, max(latency_ms) * 1.35 if latency_ms and max(latency_ms) > 0 else 1)
    ax.invert_yaxis()
    return _png(fig)


def budget_layers(layers: list[str], flash: list[int], ram: list[int], cycles: dict[str, list[float]]) -> bytes:
    """Per layer: flash bytes (weights and constants), output activation bytes, and cycles per target."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, max(3.0, 0.32 * len(layers) + 1.4)))
    y = np.arange(len(layers))
    axes[0].barh(y, flash, color="#8172b2")
    axes[0].set_xlabel("flash: weights + constants, bytes")
    axes[1].barh(y, ram, color="#64b5cd")
    axes[1].set_xlabel("RAM: output activation, bytes")
    height = 0.8 / max(1, len(cycles))
    for k, (target, values) in enumerate(cycles.items()):
        axes[2].barh(y - 0.4 + (k + 0.5) * height, values, height=height, label=target)
    axes[2].set_xlabel("cycles (cost model)")
    axes[2].legend(fontsize=7, loc="lower right")
    for ax in axes:
        ax.set_yticks(y, layers, fontsize=8)
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def decision_timeline(t: np.ndarray, truth: list[int | None], decisions: dict[str, list[int]], labels: list[str],
                      starts: list[int], sample_rate_hz: float) -> bytes:
    """Decisions over the stream (one marker per inference) beside the labels, recordings separated."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(13, max(2.8, 0.35 * len(labels) + 1.8)))
    seconds = np.asarray(t, np.float64) / sample_rate_hz
    known = [i for i, v in enumerate(truth) if v is not None]
    if known:
        ax.step(seconds[known], [truth[i] for i in known], where="post", color="black", lw=2, alpha=0.35,
                label="label")
    markers = {0: ("o", 0.0), 1: ("x", 0.18), 2: ("+", -0.18)}
    for k, (name, values) in enumerate(decisions.items()):
        marker, offset = markers.get(k, (".", 0.0))
        ax.plot(seconds, np.asarray(values) + offset, marker, ms=4, ls="none",
                color=ROLE_COLOURS.get(name.split()[0], None), label=name)
    for s in starts[1:]:
        ax.axvline(s / sample_rate_hz, color="grey", lw=0.6, ls=":")
    ax.set_yticks(np.arange(len(labels)), labels)
    ax.set_xlabel("time in the stream, s" if sample_rate_hz != 1.0 else "sample")
    ax.legend(fontsize=7, loc="upper right", ncol=3)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    return _png(fig)


def value_timeline(t: np.ndarray, series: dict[str, list[float]], sample_rate_hz: float, ylabel: str) -> bytes:
    """Scores (forecasts, anomaly scores) over the stream, one line per source."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(13, 3.2))
    seconds = np.asarray(t, np.float64) / sample_rate_hz
    for name, values in series.items():
        ax.plot(seconds, values, ".-", ms=3, lw=0.8, label=name, color=ROLE_COLOURS.get(name.split()[0], None))
    ax.set_xlabel("time in the stream, s" if sample_rate_hz != 1.0 else "sample")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    return _png(fig)
