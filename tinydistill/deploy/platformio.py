"""PlatformIO project files: the generated tinydistill.ini and its validation, offline.

Validation uses PlatformIO's own ProjectConfig (it parses and validates without the
registry); the board ids, platform and framework of every environment are checked
against the target registry, since the registry of boards itself is not reachable here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import CheckFailed, TinyDistillError
from ..render import render
from .targets import Target

DEFAULT_BAUD = 115200


@dataclass(frozen=True)
class Env:
    name: str
    platform: str
    board: str


def environments(target: Target) -> list[Env]:
    """One PlatformIO environment per board of the target, named after the target."""
    boards = target.pio_boards
    return [Env(name=target.name if len(boards) == 1 else f"{target.name}-{b.replace('.', '-')}",
                platform=target.pio_platform, board=b) for b in boards]


def check_framework(target: Target, framework: str | None) -> str:
    """The framework to use (the target's default when None); an unknown one lists the valid ones."""
    if framework is None:
        return target.frameworks[0]
    if framework not in target.frameworks:
        raise TinyDistillError(
            f"target {target.name} has no framework {framework!r}; choose one of: {', '.join(target.frameworks)}"
        )
    return framework


def tinydistill_ini(target: Target, framework: str, baud: int = DEFAULT_BAUD) -> str:
    """The regenerated tinydistill.ini: board environment(s) and build flags."""
    return render("project/tinydistill.ini.j2", version=__version__, target=target.name, board=target.board,
                  core=target.core, clock_mhz=target.clock_hz // 1_000_000, framework=framework, baud=baud,
                  envs=environments(target))


def platformio_ini(target: Target) -> str:
    """The user's platformio.ini, written once: it pulls tinydistill.ini in through extra_configs."""
    return render("project/platformio.ini.j2", envs=[e.name for e in environments(target)])


def available() -> bool:
    """Whether PlatformIO (its Python package) is installed, so that validate() can run."""
    import importlib.util

    return importlib.util.find_spec("platformio") is not None


def validate(project_dir: str | os.PathLike, target: Target, framework: str) -> list[str]:
    """Parse and validate platformio.ini (+ extra_configs) with PlatformIO's ProjectConfig.

    Returns the environment names; raises CheckFailed naming what is wrong.
    """
    try:
        from platformio.project.config import ProjectConfig
        from platformio.project.exception import ProjectError
    except ImportError:
        raise TinyDistillError("validating PlatformIO files needs PlatformIO: pip install platformio") from None

    # Absolute: the chdir below would otherwise break a relative project path.
    path = Path(project_dir).resolve() / "platformio.ini"
    cwd = os.getcwd()
    os.chdir(path.parent)  # extra_configs patterns are relative to the project folder
    try:
        config = ProjectConfig(str(path))
        config.validate(silent=True)
        envs = config.envs()
        problems = list(config.warnings)
        for env in envs:
            section = f"env:{env}"
            board = config.get(section, "board")
            platform = config.get(section, "platform")
            frameworks = config.get(section, "framework")
            if board not in target.pio_boards:
                problems.append(f"[{section}] board {board!r} is not a board of target {target.name} "
                                f"({', '.join(target.pio_boards)})")
            if platform != target.pio_platform:
                problems.append(f"[{section}] platform {platform!r} is not {target.pio_platform!r}")
            if list(frameworks) != [framework]:
                problems.append(f"[{section}] framework {frameworks} is not [{framework!r}]")
            config.items(env=env)  # expands ${...} interpolations: a bad reference raises here
    except ProjectError as exc:
        raise CheckFailed(f"PlatformIO rejects {path}: {exc}") from None
    finally:
        os.chdir(cwd)
    if problems:
        raise CheckFailed(f"PlatformIO configuration {path}: " + "; ".join(problems))
    return list(envs)
