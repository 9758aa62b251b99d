"""music21's MusicXML importer, in time linear in the bars of a part.

music21 (9.x, 10.x) inserts each parsed measure into its part with ``Stream.insert``. While the
part believes itself sorted, every insert asks for the part's ``highestTime``, and every insert
clears the cache of it, so each measure walks all the measures before it: reading one part of
10,000 bars took 91 s here, against 1.9 s for 1,000 (``benchmarks/results/resources.md``
before this module). The importer below marks the part unsorted before each measure, so no
insert computes ``highestTime``; music21 sorts the part once, on first use, into the order the
inserts would have kept (measures arrive in offset order). Everything else is music21's own
parser; ``tests/test_musicxml_m21.py`` checks that the two give equal scores on the corpus.

>>> from music21 import corpus
>>> s = parse(corpus.getWork("bwv66.6"))
>>> len(s.parts), len(s.parts[0].getElementsByClass("Measure"))
(4, 10)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["parse", "parse_data", "parse_root"]


def parse(path: str | os.PathLike[str]) -> Any:
    """A ``music21.stream.Score`` of the MusicXML file (``.musicxml``, ``.xml`` or ``.mxl``) at
    ``path``, as ``music21.converter.parse(path, format="musicxml", forceSource=True)`` makes
    it (the file name as movement name when the file has no title, as music21 does)."""
    from music21 import converter

    importer = _importer_class()()
    archive = converter.ArchiveManager(str(path))
    if archive.isArchive():
        importer.xmlText = archive.getData()
        importer.parseXMLText()
    else:
        importer.readFile(str(path))
    if importer.stream.metadata.movementName is None:
        importer.stream.metadata.movementName = Path(path).name
    return importer.stream


def parse_root(root: Any, name: str) -> Any:
    """A ``music21.stream.Score`` of an already parsed (uncompressed) MusicXML document, as
    :func:`parse` makes it of the file named ``name``: the reader parses the XML once and hands
    the same tree to music21 and to its own readers (music21 does not modify it)."""
    from music21.musicxml import xmlToM21

    if root.tag != "score-partwise":
        raise xmlToM21.MusicXMLImportException(
            f"Cannot parse MusicXML files not in score-partwise. Root tag was '{root.tag}'"
        )
    importer = _importer_class()()
    importer.xmlRoot = root
    importer.xmlRootToScore(root, importer.stream)
    if importer.stream.metadata.movementName is None:
        importer.stream.metadata.movementName = name
    return importer.stream


def parse_data(data: str | bytes) -> Any:
    """A ``music21.stream.Score`` of MusicXML text, as ``music21.converter.parseData(data,
    format="musicxml")`` makes it."""
    importer = _importer_class()()
    importer.xmlText = data
    importer.parseXMLText()
    return importer.stream


_IMPORTER: Any = None


def _importer_class() -> Any:
    """music21's importer, with parts whose measures are inserted without re-sorting checks
    (built once, on first use, so that importing this module does not import music21)."""
    global _IMPORTER
    if _IMPORTER is None:
        from music21.musicxml import xmlToM21

        class _LinearPartParser(xmlToM21.PartParser):  # type: ignore[misc,name-defined]
            def xmlMeasureToMeasure(self, mxMeasure: Any) -> Any:
                self.stream.isSorted = False  # the part sorts once, when first read
                return super().xmlMeasureToMeasure(mxMeasure)

        class _LinearImporter(xmlToM21.MusicXMLImporter):  # type: ignore[misc,name-defined]
            def xmlPartToPart(self, mxPart: Any, mxScorePart: Any) -> Any:
                parser = _LinearPartParser(mxPart, mxScorePart=mxScorePart, parent=self)
                parser.parse()
                return parser.stream if parser.appendToScoreAfterParse else None

        _IMPORTER = _LinearImporter
    return _IMPORTER
