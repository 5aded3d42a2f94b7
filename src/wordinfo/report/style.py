"""How the report looks, shared by the page, the notebook views and the paper figures.

The colour of each word category, the names of the values shown (read from the
registry :mod:`wordinfo.values`), number formatting, and the Jinja2 environment of the
package's templates (autoescape on, the ``num`` filter).
"""

from __future__ import annotations

import math

from .. import values

COLORS = {"all words": "#222222", "special": "#9e9e9e", "punctuation": "#8c564b", "stop word": "#1f77b4",
          "positive": "#2ca02c", "negative": "#d62728", "other": "#ff7f0e"}


def corpus_value(value: str) -> values.Value:
    """The registry entry of a value the report can average over words (kept or bits); an error otherwise."""
    return values.value(value, values.CORPUS_VALUES)


def value_name(value: str) -> str:
    """A value's one-line description, for the page's notes."""
    return corpus_value(value).help


def axis_label(value: str) -> str:
    """The y label of the per-layer curves: the value's label, first line, per word."""
    return corpus_value(value).label.split("\n")[0] + " per word"


def num(v) -> str:
    """A number for the page: '' for none (None, NaN, Inf), one decimal from 10 on, three significant digits below."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) >= 10 else f"{v:.3g}"
    return str(v)


def plus_minus(se: float) -> str:
    """' ± 1.2' for a known standard error, '' for none (NaN)."""
    return "" if se != se else f" ± {se:.1f}"


def environment():
    """The Jinja2 environment of the package's templates, autoescaping everything."""
    from jinja2 import Environment, PackageLoader, StrictUndefined
    env = Environment(loader=PackageLoader("wordinfo.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = num
    return env
