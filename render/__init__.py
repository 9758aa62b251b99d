"""Rendering: the performance model, the decoders and the numba synthesis kernels.

``partita.render.render(score, out_dir)`` writes one stem per part (see
:mod:`partita.render.stems`); :func:`warmup` compiles the kernels ahead of first use. Heavy
modules (numba, scipy, soundfile) load on first use, so importing this package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["render", "warmup", "RenderSettings", "RenderResult"]

if TYPE_CHECKING:  # pragma: no cover
    from partita.render.settings import RenderResult, RenderSettings


def render(score: Any, out_dir: Any, **kwargs: Any) -> RenderResult:
    """Render ``score`` to stems in ``out_dir``; see :func:`partita.render.stems.render`."""
    from partita.render.stems import render as _render

    return _render(score, out_dir, **kwargs)


def warmup() -> None:
    """Compile (or load from numba's on-disk cache) every numba kernel now: the synthesis
    kernels, the designed decoder, the performer's curve kernel, the singer and the string models."""
    from partita.render.performance import perform_part
    from partita.render.synth import synthesize
    from partita.render.synth import warmup as _warmup
    from partita.render.timbres import timbre_for
    from partita.symbolic.score import Note, Part, Score

    _warmup()
    part = Part("warmup", "Flute", "flute", notes=(Note(0, 1, 72),))
    for curves in perform_part(part, Score(parts=(part,))):
        synthesize(timbre_for("flute").decode(curves, sample_rate=48000), sample_rate=48000)
    from partita.render.singer import SingerDecoder
    from partita.render.singing import perform_sung_part

    voice = Part("warmup", "Tenor", "tenor", notes=(Note(0, 1, 57, lyric="ah"),))
    for curves in perform_sung_part(voice, Score(parts=(voice,)))[0]:
        synthesize(SingerDecoder("tenor").decode(curves, sample_rate=48000), sample_rate=48000)
    from partita.render.strings import warmup as _strings_warmup

    _strings_warmup()


def __getattr__(name: str) -> Any:
    if name in ("RenderSettings", "RenderResult"):
        from partita.render import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'partita.render' has no attribute {name!r}")


# ``partita.render`` is both the facade function and this package: importing the package
# (``import partita.render``) rebinds the attribute ``render`` of ``partita`` to the module. Make
# the module callable so that ``partita.render(score, out_dir)`` works either way.
import sys as _sys  # noqa: E402
import types as _types  # noqa: E402


class _CallableModule(_types.ModuleType):
    def __call__(self, score: Any, out_dir: Any, **kwargs: Any) -> RenderResult:
        return render(score, out_dir, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
