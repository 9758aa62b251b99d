"""The instrument catalog: ranges, transpositions, clefs, GM programs and seating.

>>> from partita.instruments import lookup
>>> lookup("Horn in F 2").transposition
-7
"""

from partita.instruments.catalog import Instrument, all_instruments, by_program, get, is_percussion, lookup

__all__ = ["Instrument", "get", "lookup", "by_program", "all_instruments", "is_percussion"]
