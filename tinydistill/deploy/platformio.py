"""PlatformIO project files: the generated tinydistill.ini, the user's platformio.ini, and their
validation, offline.

tinydistill.ini holds one base environment `[td_NAME]` per board; the user's platformio.ini
declares `[env:NAME]` with `extends = td_NAME`, so that every option set there wins (PlatformIO
reads extra_configs after the main file: a section of tinydistill.ini named `[env:NAME]` would win
instead).

Validation uses PlatformIO's own ProjectConfig (it parses and validates without the
registry); the board ids, platform and framework of every environment are checked
against the target registry, since the registry of boards itself is not reachable here.
"""

from __future__ import annotations

import os
import re
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


def base_section(env_name: str) -> str:
    """The tool's base environment that the user's [env:NAME] extends."""
    return f"td_{env_name}"


def tinydistill_ini(target: Target, framework: str, baud: int = DEFAULT_BAUD, lib_deps: tuple[str, ...] = (),
                    legacy_envs: tuple[str, ...] = ()) -> str:
    """The regenerated tinydistill.ini: base environments, build flags and library dependencies.

    `legacy_envs` get an `[env:NAME] extends = td_NAME` here, for a platformio.ini that does not
    declare them (exported by an older tinydistill), so that the project still builds.
    """
    return render("project/tinydistill.ini.j2", version=__version__, target=target.name, board=target.board,
                  core=target.core, clock_mhz=target.clock_hz // 1_000_000, framework=framework, baud=baud,
                  envs=environments(target), lib_deps=list(lib_deps), legacy_envs=list(legacy_envs))


def platformio_ini(target: Target) -> str:
    """The user's platformio.ini, written once: [env:NAME] sections that extend tinydistill.ini's bases."""
    return render("project/platformio.ini.j2", envs=[e.name for e in environments(target)])


def _user_sections(text: str) -> dict[str, dict[str, str]] | None:
    """The sections of a platformio.ini and their options (None when it does not parse)."""
    import configparser

    parser = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return {name: dict(parser[name]) for name in parser.sections()}


def missing_envs(user_ini: str, target: Target) -> list[str]:
    """The target's environments that the user's platformio.ini does not declare as extending their base."""
    sections = _user_sections(user_ini)
    if sections is None:
        return []  # unreadable: leave it to ProjectConfig's error
    names = []
    for env in environments(target):
        extends = sections.get(f"env:{env.name}", {}).get("extends", "")
        if base_section(env.name) not in re.split(r"[,\s]+", extends):
            names.append(env.name)
    return names


def migration_notes(user_ini: str, target: Target) -> list[str]:
    """What to change in an older platformio.ini so that its settings win; [] when nothing."""
    sections = _user_sections(user_ini) or {}
    notes = []
    for name in missing_envs(user_ini, target):
        section = f"env:{name}"
        if section in sections:
            notes.append(f"platformio.ini: in [{section}] add the line `extends = {base_section(name)}`")
        else:
            notes.append(f"platformio.ini: add the two lines `[{section}]` and `extends = {base_section(name)}` "
                         "at the end")
    wanted = {f"env:{e.name}" for e in environments(target)}
    for section, options in sections.items():
        bases = [x for x in re.split(r"[,\s]+", options.get("extends", "")) if x.startswith("td_")]
        if section.startswith("env:") and section not in wanted and bases:
            notes.append(f"platformio.ini: [{section}] extends {', '.join(bases)}, which this export no longer "
                         f"generates (target {target.name}); remove that section or rename it to one of "
                         f"{', '.join(sorted(wanted))}")
    return notes


def available() -> bool:
    """Whether PlatformIO (its Python package) is installed, so that validate() can run."""
    import importlib.util

    return importlib.util.find_spec("platformio") is not None


def validate(project_dir: str | os.PathLike, target: Target, framework: str) -> list[str]:
    """Parse and validate platformio.ini (+ extra_configs) with PlatformIO's ProjectConfig.

    The base sections of tinydistill.ini must hold the target's board, platform and framework;
    the environments may override any of them. Returns the environment names; raises
    CheckFailed naming what is wrong.
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
        # the tool's bases must match the registry; the user's [env:NAME] may override anything
        for env in environments(target):
            base = base_section(env.name)
            if not config.has_section(base):
                problems.append(f"[{base}] is missing from tinydistill.ini")
                continue
            board = config.get(base, "board")
            platform = config.get(base, "platform")
            frameworks = config.parse_multi_values(config.get(base, "framework"))
            if board != env.board:
                problems.append(f"[{base}] board {board!r} is not {env.board!r} of target {target.name}")
            if platform != target.pio_platform:
                problems.append(f"[{base}] platform {platform!r} is not {target.pio_platform!r}")
            if list(frameworks) != [framework]:
                problems.append(f"[{base}] framework {frameworks} is not [{framework!r}]")
            if env.name not in envs:
                problems.append(f"no [env:{env.name}] (extending {base}) in platformio.ini")
        for env in envs:
            if not config.get(f"env:{env}", "board", None) or not config.get(f"env:{env}", "platform", None):
                problems.append(f"[env:{env}] has no board or platform (does it extend a td_ base section?)")
            config.items(env=env)  # expands ${...} interpolations: a bad reference raises here
    except ProjectError as exc:
        raise CheckFailed(f"PlatformIO rejects {path}: {exc}") from None
    finally:
        os.chdir(cwd)
    if problems:
        raise CheckFailed(f"PlatformIO configuration {path}: " + "; ".join(problems))
    return list(envs)
