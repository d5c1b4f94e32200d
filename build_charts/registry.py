"""Chart ids and the figure functions that draw them.

A figure function takes no argument, runs whatever part of ``simulator_wasm``
it needs and returns a :class:`Chart`. Pages name charts by id (see
``fence.py``); ``figures/`` holds the functions, one module per chapter.
"""

from dataclasses import dataclass
from functools import cache
from typing import Callable


@dataclass(frozen=True)
class Chart:
    figure: dict  # a Plotly figure: {"data": [...traces], "layout": {...}}
    alt: str      # the text alternative read out in place of the chart


_FIGURES: dict[str, Callable[[], Chart]] = {}


def chart(chart_id: str):
    """Register the decorated function as the figure of ``chart_id``."""
    def register(fn: Callable[[], Chart]) -> Callable[[], Chart]:
        if chart_id in _FIGURES:
            raise ValueError(f"chart id {chart_id!r} is registered twice "
                             f"({_FIGURES[chart_id].__module__} and {fn.__module__})")
        _FIGURES[chart_id] = fn
        return fn
    return register


def known_ids() -> list[str]:
    return sorted(_FIGURES)


@cache  # a chart named on two pages is computed once per build
def build(chart_id: str) -> Chart:
    return _FIGURES[chart_id]()
