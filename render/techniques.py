"""Playing techniques that the renderer plays with a model of their own.

A bowed part's notes marked ``pizzicato`` are plucked: a string model fitted to a soundfont's
pizzicato (``partita train-instrument MuseScore_General.sf3 --name violin --technique
pizzicato --bank 20 --program 45`` writes ``violin_pizzicato``) plays them, performed with the
plucked style (no vibrato, a decaying level), while the instrument's own decoder bows the rest;
both sound in the part's one stem. Where no pizzicato model ships for the instrument (or
``PARTITA_NO_NEURAL=1``), the designed plucked timbre plays them.

:class:`TechniqueDecoder` carries both decoders through the render: its fingerprint covers both,
so the stem cache notices a change of either, and provenance records it like any decoder.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from partita.symbolic.score import Part

__all__ = ["TECHNIQUES", "TechniqueDecoder", "split_by_technique", "technique_decoder", "with_techniques"]

#: Techniques with a model of their own, and the performer style their notes are played with.
TECHNIQUES = {"pizzicato": "plucked"}
#: The performer styles (``render/performers.toml``) of the instruments that can play pizzicato.
BOWED_STYLES = frozenset({"bowed", "bowed_low"})


def technique_decoder(instrument: str, technique: str) -> Any:
    """The decoder of ``technique`` on catalog ``instrument``: the shipped model
    ``INSTRUMENT_TECHNIQUE`` (instruments/weights/manifest.json), else the designed timbre of
    the technique's performer style."""
    from partita.render.neural_infer import shipped_decoder
    from partita.render.timbres import TIMBRES

    if os.environ.get("PARTITA_NO_NEURAL") != "1":
        dec = shipped_decoder(f"{instrument}_{technique}")
        if dec is not None:
            return dec
    return TIMBRES[TECHNIQUES[technique]]


@dataclass(frozen=True, eq=False)
class TechniqueDecoder:
    """A part's decoder together with the decoders of the techniques it plays.

    ``main`` renders the notes without a technique, ``by_technique[t]`` those marked ``t``.
    """

    main: Any
    by_technique: tuple[tuple[str, Any], ...]

    @property
    def decoder_id(self) -> str:
        return "+".join([self.main.decoder_id, *(f"{t}={d.decoder_id}" for t, d in self.by_technique)])

    def fingerprint(self) -> str:
        """sha256 over the fingerprints of every decoder it holds."""
        text = "|".join([self.main.fingerprint(), *(f"{t}:{d.fingerprint()}" for t, d in self.by_technique)])
        return hashlib.sha256(text.encode()).hexdigest()

    def decode(self, curves: Any, *, sample_rate: int) -> Any:
        """The main decoder's (the stems render each technique's notes with its own decoder)."""
        return self.main.decode(curves, sample_rate=sample_rate)


def techniques_in(part: Part) -> list[str]:
    """The techniques with a model of their own that ``part`` marks on some note, in a fixed order."""
    marks = set()
    for n in part.notes:
        marks |= n.articulations
    return [t for t in TECHNIQUES if t in marks]


def with_techniques(part: Part, decoder: Any) -> Any:
    """``decoder`` wrapped in a :class:`TechniqueDecoder` when ``part`` is bowed and marks
    notes pizzicato, else ``decoder`` itself."""
    from partita.render.timbres import style_of

    if decoder is None or style_of(part.instrument) not in BOWED_STYLES:
        return decoder
    found = techniques_in(part)
    if not found:
        return decoder
    return TechniqueDecoder(decoder, tuple((t, technique_decoder(part.instrument, t)) for t in found))


def split_by_technique(part: Part, decoder: TechniqueDecoder) -> list[tuple[Part, Any, str | None]]:
    """(sub-part, its decoder, the performer style it is played with or None for the part's
    own) for the notes without a technique and for each technique's notes. A technique's
    notes lose their slurs (a plucked note is one phrase) and the technique's mark; a string
    model plays them through the part's own style (it turns the performer's level back into a
    velocity by the instrument's style), a designed timbre through the technique's."""
    import dataclasses

    from partita.render.timbres import DesignedTimbre

    out: list[tuple[Part, Any, str | None]] = []
    marked = {t for t, _ in decoder.by_technique}
    plain = tuple(n for n in part.notes if not (n.articulations & marked))
    if plain:
        out.append((dataclasses.replace(part, notes=plain), decoder.main, None))
    for t, dec in decoder.by_technique:
        notes = tuple(dataclasses.replace(n, slur=None, articulations=n.articulations - {t})
                      for n in part.notes if t in n.articulations)  # fmt: skip
        if notes:  # a string model reads the performer's level through the instrument's own style
            style = TECHNIQUES[t] if isinstance(dec, DesignedTimbre) else None
            out.append((dataclasses.replace(part, notes=notes), dec, style))
    return out
