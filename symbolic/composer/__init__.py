"""The composer: a plan from a prompt, control tokens over REMI, a small GPT-style decoder,
its training and constrained sampling.

>>> from partita.symbolic.composer import plan
>>> p = plan("calm chorale", duration_s=20)
>>> p.instrumentation[0].instrument
'soprano'

``compose(plan, seed=...)`` writes the Score (on the shipped weights unless told otherwise);
see docs/composer.md. Heavy modules (torch, music21) load only when used.
"""

from __future__ import annotations

from typing import Any

from partita.symbolic.composer.vocab import ensembles, vocabulary
from partita.symbolic.composer.planner import Plan, PlanPart, PlanSection, plan

__all__ = ["Plan", "PlanPart", "PlanSection", "compose", "ensembles", "plan", "vocabulary"]


def compose(plan: Plan, **kwargs: Any) -> Any:
    """Write a Score for ``plan``; see :func:`partita.symbolic.composer.sample.compose`."""
    from partita.symbolic.composer.sample import compose as _compose

    return _compose(plan, **kwargs)
