"""`tinydistill report RUN`: a run's figures and tables as one self-contained HTML page and its PNGs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import atomic
from ..rundir import RunDir, open_run
from .html import render_html
from .sections import FIRMWARE_SECTION, SECTION_IDS, Section, build_sections

__all__ = ["FIRMWARE_SECTION", "SECTION_IDS", "Report", "write_report"]

REPORT_DIR = "report"  # inside the run directory, unless --out says otherwise
PAGE = "report.html"


@dataclass(frozen=True)
class Report:
    """Where the report went and what it holds."""

    path: Path  # the HTML page
    figures: tuple[Path, ...]
    sections: tuple[str, ...]  # section ids, in order

    def as_dict(self) -> dict:
        return {"html": str(self.path), "figures": [str(p) for p in self.figures], "sections": list(self.sections)}


def write_report(run_dir: str | os.PathLike | RunDir, out: str | os.PathLike | None = None,
                 export: str | os.PathLike | None = None, on: str | None = None, timeout: float = 120.0,
                 emulation=None, progress=None) -> Report:
    """Write RUN's report into `out` (default RUN/report/): report.html and one PNG per figure.

    The run must be quantized (student_int8.tflite). With `export` (a project exported from this run),
    the project's app is emulated first (`tinydistill emulate`) and its sections added; `emulation`
    (a deploy.emulate.EmulationReport) passes one already made. Everything is computed before
    anything is written; the folder is replaced as a whole. `progress` gets one line per step.
    """
    run = run_dir if isinstance(run_dir, RunDir) else open_run(run_dir)
    run.int8_model()
    if export is not None and emulation is None:
        from ..deploy.emulate import emulate

        emulation = emulate(export, on=on, timeout=timeout, progress=progress)
    sections: list[Section] = build_sections(run, emulation, progress)
    page = render_html(sections, title=run.path.resolve().name, run=str(run.path))
    out = Path(out) if out is not None else run.file(REPORT_DIR)
    with atomic.new_directory(out, overwrite=True) as tmp:
        atomic.write_text(tmp / PAGE, page)
        for s in sections:
            for f in s.figures:
                atomic.write_bytes(tmp / f.name, f.png)
    names = [f.name for s in sections for f in s.figures]
    return Report(out / PAGE, tuple(out / n for n in names), tuple(s.id for s in sections))
