"""Which engine an exported firmware runs, and why: streaming when the model streams at the run's hop.

The streaming engine (engine/streamability.py) computes only each hop's new rows and
gives every window the full-window engine's bytes; it needs a model that streams at the
hop the app runs it at. `export`, `budget` and the manifest decide with `engine_mode`.
"""

from __future__ import annotations

from dataclasses import dataclass

STREAMING = "streaming"
FULL_WINDOW = "full-window"
# What the user asked for: streaming where possible (default), streaming or fail, never.
REQUESTS = ("auto", STREAMING, FULL_WINDOW)


@dataclass(frozen=True)
class EngineMode:
    """The mode, the reason in one sentence, and the streaming plan when the firmware streams."""

    mode: str
    reason: str
    hop: int
    plan: object | None = None  # engine.streamability.StreamPlan

    @property
    def streaming(self) -> bool:
        return self.mode == STREAMING

    def as_dict(self) -> dict:
        d = {"mode": self.mode, "reason": self.reason, "hop": self.hop}
        if self.plan is not None:
            d.update(state_bytes=self.plan.state_bytes)
        return d


def engine_request(streaming: bool | None) -> str:
    """--streaming (required) / --no-streaming (never) / neither (where the model allows it)."""
    return "auto" if streaming is None else STREAMING if streaming else FULL_WINDOW


def engine_mode(compiled, hop: int, request: str = "auto") -> EngineMode:
    """The engine for `compiled` (an engine.CompiledModel) run every `hop` samples.

    request "auto" streams when the model allows it, else runs the full window and says which
    layer prevents streaming; STREAMING raises NotStreamable instead; FULL_WINDOW never streams.
    """
    from ..engine.streamability import NotStreamable, plan_stream

    if request not in REQUESTS:
        raise ValueError(f"engine request {request!r} is not one of {REQUESTS}")
    if request == FULL_WINDOW:
        return EngineMode(FULL_WINDOW, "streaming turned off (--no-streaming)", hop)
    try:
        plan = plan_stream(compiled, hop)
    except NotStreamable as exc:
        if request == STREAMING:
            raise
        return EngineMode(FULL_WINDOW, f"the model cannot stream at hop {hop}: {exc} (`tinydistill train "
                                       "--streaming` trains a student that streams)", hop)
    return EngineMode(STREAMING, f"the model streams at hop {hop}: each hop computes only the rows its {hop} new "
                                 "samples change, and every window's outputs equal the full window's", hop, plan)


__all__ = ["EngineMode", "FULL_WINDOW", "REQUESTS", "STREAMING", "engine_mode", "engine_request"]
