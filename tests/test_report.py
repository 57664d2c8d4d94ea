"""`tinydistill report` and `make demo`'s report: rendered in a real browser (headless Chromium), every section and image."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinydistill.report import FIRMWARE_SECTION, SECTION_IDS, figures
from tinydistill.scoring import per_class

from conftest import need_tools

# Appended to a copy of the page: the browser writes what it decoded into the DOM that --dump-dom prints.
PROBE = """<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images).map(function (i) {
    return {file: i.dataset.file, width: i.naturalWidth, height: i.naturalHeight};
  });
  var sections = Array.from(document.querySelectorAll('section')).map(function (s) { return s.id; });
  var pre = document.createElement('pre');
  pre.id = 'td-probe';
  pre.textContent = JSON.stringify({images: imgs, sections: sections});
  document.body.appendChild(pre);
});
</script>"""
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
            "--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000"]


def chromium_probe(page, tmp_path) -> dict:
    """The sections and decoded image sizes as Chromium sees them after loading `page`."""
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    dom = subprocess.run([*CHROMIUM, "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    start = dom.index('<pre id="td-probe">') + len('<pre id="td-probe">')
    return json.loads(dom[start:dom.index("</pre>", start)].replace("&quot;", '"').replace("&amp;", "&"))


def chromium_screenshot(page, out) -> np.ndarray:
    """A 1280×2400 screenshot of `page` as an RGB(A) array in [0, 1]."""
    import matplotlib.image

    subprocess.run([*CHROMIUM, "--window-size=1280,2400", f"--screenshot={out}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    return matplotlib.image.imread(out)


def test_per_class_by_hand():
    m = np.array([[3, 1, 0], [0, 2, 0], [1, 0, 0]])
    (p0, r0, f0, s0), (p1, r1, f1, s1), (p2, r2, f2, s2) = per_class(m)
    assert (p0, r0, s0) == (0.75, 0.75, 4) and f0 == pytest.approx(0.75)
    assert (p1, r1) == (2 / 3, 1.0) and f1 == pytest.approx(0.8)
    assert (p2, r2, f2, s2) == (0.0, 0.0, 0.0, 1)  # never predicted, never right


def test_figures_are_deterministic_pngs():
    cm = {"float": np.array([[5, 1], [0, 4]]), "int8": np.array([[5, 1], [1, 3]])}
    a, b = figures.confusion_matrices(cm, ["rest", "walk"]), figures.confusion_matrices(cm, ["rest", "walk"])
    assert a.startswith(b"\x89PNG\r\n\x1a\n") and a == b


@pytest.mark.slow
def test_demo_ends_with_a_report_that_renders_in_headless_chromium(tmp_path):
    """`make demo` (quick epochs): its last line names the report; Chromium shows every section and image."""
    need_tools("chromium", "gcc", "arm-none-eabi-gcc", "qemu-system-arm")
    run = tmp_path / "demo"
    result = subprocess.run([sys.executable, "-m", "tinydistill.demo", "--out", str(run), "--epochs", "3",
                             "--teacher-epochs", "2"], capture_output=True, text=True, timeout=900, check=True)
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("report: ")
    page = Path(last.removeprefix("report: "))
    assert page == (run / "report" / "report.html").resolve() and page.is_file()
    html = page.read_text()
    assert "https://" not in html and "<script" not in html and 'src="http' not in html  # nothing to fetch

    seen = chromium_probe(page, tmp_path)
    assert seen["sections"] == [SECTION_IDS[0], FIRMWARE_SECTION, *SECTION_IDS[1:]]
    files = [i["file"] for i in seen["images"]]
    assert {"training_curves.png", "selection.png", "confusion.png", "quantization.png", "budget_targets.png",
            "budget_layers.png", "timeline.png"} == set(files)
    for image in seen["images"]:
        assert image["width"] > 0 and image["height"] > 0, image
        assert (page.parent / image["file"]).read_bytes().startswith(b"\x89PNG")  # also beside the page
    assert "Firmware: the emulated cortex-m4 app" in html and "in QEMU" in html  # its confusion matrix, its run

    shot = chromium_screenshot(page, tmp_path / "shot.png")
    rgb = shot[..., :3]
    assert rgb.shape[0] >= 2000 and rgb.std() > 0.05  # not one flat colour
    assert (rgb.sum(axis=-1) < 1.5).mean() > 0.01  # text and plots: dark pixels on the page


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["forecast_run", "anomaly_run"])
def test_report_of_other_tasks(fixture, request, tmp_path):
    """Forecasting and anomaly runs get every section too (a note where a figure does not apply)."""
    from tinydistill.report import write_report

    run = request.getfixturevalue(fixture)
    (run / "test_stream.csv").rename(tmp_path / "stream.csv")  # a run without a recorded stream still reports
    try:
        report = write_report(run, out=tmp_path / "report")
    finally:
        (tmp_path / "stream.csv").rename(run / "test_stream.csv")
    assert report.sections == SECTION_IDS
    html = report.path.read_text()
    assert "no recorded stream" in html
    names = {p.name for p in report.figures}
    assert {"training_curves.png", "quantization.png", "budget_targets.png"} <= names
    if fixture == "forecast_run":
        assert "confusion.png" not in names and "makes no class decisions" in html
    else:
        assert "confusion.png" in names and "anomaly" in html
    report = write_report(run, out=tmp_path / "with-stream")
    assert any(p.name == "timeline.png" for p in report.figures)
