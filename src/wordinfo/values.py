"""The values wordinfo shows for a word, in one registry: their names, labels and directions.

Every front end reads this table: the CLI (``--value`` choices and help), the summary
tables, the HTML report and the plots. Adding a value means adding one row here and
teaching :meth:`wordinfo.Explanation.token_values` to compute it.

``name`` is what a user types (``--value kept``); ``key`` is the Explanation's own name of
the array (``exp.word_values('retained_bits')``); ``higher`` says what a larger number means;
``corpus`` whether corpus runs hold it (the summary tables and the report): ``concept`` (r_{i,c},
docs/method.md "What the paper does") needs a concept's words, which an explanation is given with
``concept=`` and a run is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import WordinfoError


@dataclass(frozen=True)
class Value:
    name: str           # what a user types
    key: str            # the Explanation's name for it
    help: str           # one line for --help and table captions
    label: str          # an axis or colour-bar label (may hold a line break)
    higher: str         # what a larger value means: 'kept' or 'forgotten'
    in_bits: bool       # an information quantity in bits (has a bits error bar, sums over words)
    corpus: bool = True     # corpus runs hold it (summary tables, report)


VALUES: dict[str, Value] = {v.name: v for v in (
    Value("kept", "retained_bits", "information kept, bits relative to the bound (0 = forgotten)",
          "bits kept vs bound\n(high = kept)", "kept", True),
    Value("bits", "bits", "entropy H_i in bits (higher = more forgotten)",
          "entropy H_i, bits\n(high = forgotten)", "forgotten", True),
    Value("sigma", "sigma", "sigma, the noise a word tolerates (higher = more forgotten)",
          "sigma\n(high = forgotten)", "forgotten", False),
    Value("centered", "log_sigma_centered", "log sigma minus the sentence's mean (higher = more forgotten)",
          "log sigma - sentence mean\n(red = forgotten)", "forgotten", False),
    Value("concept", "concept_bits", "r_{i,c}, bits a layer keeps of a word beyond what its concept shares "
          "(needs --concept)", "r_{i,c}, bits beyond the concept\n(high = kept)", "kept", True, corpus=False),
)}

BY_KEY: dict[str, Value] = {v.key: v for v in VALUES.values()}

# the values that sum over words and aggregate over a corpus (the summary tables and the report)
CORPUS_VALUES = tuple(name for name, v in VALUES.items() if v.in_bits and v.corpus)


def value(name: str, allowed: tuple[str, ...] | None = None) -> Value:
    """The registry entry for a user's or an Explanation's name; a one-line error naming the choices otherwise."""
    allowed = tuple(VALUES) if allowed is None else allowed
    v = VALUES.get(name) or BY_KEY.get(name)
    if v is None or v.name not in allowed:
        raise WordinfoError(f"unknown value {name!r} (--value): use one of {', '.join(allowed)}")
    return v


def label(key_or_name: str) -> str:
    """The axis label of a value, by either of its names (the name itself when unknown)."""
    v = VALUES.get(key_or_name) or BY_KEY.get(key_or_name)
    return v.label if v is not None else key_or_name


def choices_help(allowed: tuple[str, ...] | None = None) -> str:
    """``kept (…), bits (…)`` for a CLI option's help."""
    allowed = tuple(VALUES) if allowed is None else allowed
    return "; ".join(f"{n}: {VALUES[n].help}" for n in allowed)
