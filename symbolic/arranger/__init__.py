"""The arranger: style patterns write the accompaniment roles (bass, comping, strums, pads and
counter-lines, drums) from a plan's chords, beside the composer that writes the melody.

Styles and patterns are data (``styles.toml``, ``patterns.toml``, read by
:mod:`~partita.symbolic.arranger.library`); :func:`~partita.symbolic.arranger.arrange.arrange`
writes the parts. See docs/arranger.md.
"""

from partita.symbolic.arranger.library import Pattern, Style, pattern, patterns, style, styles

__all__ = ["Pattern", "Style", "pattern", "patterns", "style", "styles"]
