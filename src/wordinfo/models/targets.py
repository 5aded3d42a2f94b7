"""The target vocabulary every adapter speaks: which hidden state to explain, and which layers.

A target is written ``kind`` or ``kind:J``:

* ``tokens``: a layer's token states ``[n, H]``;
* ``cls``: a layer's state of the first token;
* ``sentence``: the pooled sentence representation a classifier's head reads (no layers);
* ``logits``: a classifier's output (no layers);
* ``step:J``: a layer's state at token position ``J`` (0 = the first token, -1 the last);
* ``decoder:J``: a decoder layer's state at output step ``J`` (1-based);
* ``logits:J``: a sequence-to-sequence model's scores over its vocabulary at output step ``J``.

Each adapter says which kinds apply to its model (``Encoder.targets``); the parsing, the
layer numbers and the labels are the same for all, here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import WordinfoError

FROM_ONE = ("decoder", "logits")            # output steps count from 1


@dataclass(frozen=True)
class Target:
    """One state to explain: ``kind`` as written above ('tokens', 'decoder:3'...), ``layer`` from 1 or None."""
    kind: str
    layer: int | None

    @property
    def base(self) -> str:
        """The kind without its step: 'decoder' for 'decoder:3'."""
        return self.kind.split(":")[0]

    @property
    def index(self) -> int | None:
        """J of 'kind:J', else None."""
        return int(self.kind.split(":")[1]) if ":" in self.kind else None

    @property
    def label(self) -> str:
        """What an Explanation calls its row: the layer number, or the kind for a target without layers."""
        return self.kind if self.layer is None else str(self.layer)


def parse_kind(kind: str, allowed: tuple[str, ...]) -> tuple[str, int | None]:
    """``'decoder:3' -> ('decoder', 3)``, checked against the forms a model ``allowed`` (e.g. ``'decoder:J'``)."""
    base, colon, index = str(kind).strip().partition(":")
    form = base + (":J" if colon else "")
    if form not in allowed:
        if base + ":J" in allowed:
            raise WordinfoError(f"target {base}:J needs a whole number J, got {kind!r}")
        if base in allowed:
            raise WordinfoError(f"target {base!r} takes no ':' part, got {kind!r}")
        raise WordinfoError(f"target {kind!r} does not apply to this model: use {', '.join(allowed)}")
    if not colon:
        return base, None
    try:
        j = int(index)
    except ValueError:
        raise WordinfoError(f"target {base}:J needs a whole number J, got {kind!r}") from None
    if base in FROM_ONE and j < 1:
        raise WordinfoError(f"output steps count from 1, got {kind!r}")
    return base, j


def parse_layers(layers, num_layers: int, above: int = 0) -> list[int]:
    """'all', '1,3,6', an int or a list of ints (1-based) -> sorted unique layer numbers, validated.

    ``above``: the layer whose output is the input (``from_layer``); only layers above it can be targets."""
    if layers is None or (isinstance(layers, str) and layers.strip().lower() == "all"):
        if above >= num_layers:
            raise WordinfoError(f"no layer above the input layer {above}: this model has layers 1..{num_layers}")
        return list(range(above + 1, num_layers + 1))
    if isinstance(layers, str):
        try:
            chosen = [int(v) for v in layers.replace(" ", "").split(",") if v]
        except ValueError:
            raise WordinfoError(f"layers must be 'all' or numbers like 1,3,6, got {layers!r}") from None
    elif isinstance(layers, int):
        chosen = [layers]
    else:
        chosen = [int(v) for v in layers]
    bad = [v for v in chosen if not 1 <= v <= num_layers]
    if bad or not chosen:
        raise WordinfoError(f"unknown layer {bad[0] if bad else layers!r}: this model has layers 1..{num_layers}")
    below = [v for v in chosen if v <= above]
    if below:
        raise WordinfoError(f"layer {below[0]} is not above the input layer {above} (--from-layer): "
                            f"give layers {above + 1}..{num_layers}")
    return sorted(set(chosen))


def head_targets(encoder) -> list:
    """The encoder's ``logits`` target(s) where its model has a head, else ``[]`` (the adapter says no head
    with a WordinfoError, which this turns into an empty list)."""
    try:
        return list(encoder.targets(None, "logits"))
    except WordinfoError:
        return []
