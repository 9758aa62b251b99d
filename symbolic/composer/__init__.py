"""The composer: a plan from a prompt, control tokens over REMI, a small GPT-style decoder,
its training and constrained sampling.

Heavy modules (torch, music21) load only when used.
"""

from __future__ import annotations
