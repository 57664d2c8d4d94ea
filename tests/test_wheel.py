"""An installed wheel carries firmware/, templates/ and datasets/: codegen works outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, need_tools


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    (whl,) = out.glob("tinydistill-*.whl")
    return whl


def test_wheel_holds_the_package_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("tinydistill/_data/firmware/kernels/td_requant.h", "tinydistill/_data/templates/engine/model.c.j2",
                   "tinydistill/_data/datasets/basic_motions.csv", "tinydistill/deploy/targets.toml"):
        assert needed in names, needed


def test_installed_wheel_generates_and_checks_c_outside_the_tree(wheel, tmp_path, anchor_model):
    need_tools("gcc")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run([sys.executable, "-c", "import tinydistill.resources as r; print(r.firmware_dir())"],
                           cwd=work, env=env, check=True, capture_output=True, text=True)
    assert probe.stdout.strip().startswith(str(site)), probe.stdout
    result = subprocess.run([sys.executable, "-m", "tinydistill", "codegen", str(anchor_model), "--out", "c", "--check",
                             "--windows", "4"], cwd=work, env=env, check=True, capture_output=True, text=True)
    assert "4/4 windows bit-exact" in result.stdout
    assert (work / "c" / "model.h").is_file()
