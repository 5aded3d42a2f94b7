"""``wordinfo explain``: one sentence, every layer, as a table, JSON or a heatmap."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..concepts import bundled_concepts
from ..errors import WordinfoError
from ..files import check_writable
from .app import command
from .options import (
    Calibrate,
    Concept,
    Device,
    Dtype,
    FromLayer,
    Lam,
    Layers,
    Model,
    Precision,
    Scale,
    Seed,
    Solver,
    Truncate,
    from_layer_option,
    precision_option,
    value_option,
)
from .table import print_matrix, print_table

TABLE_VALUES = ("kept", "bits", "sigma", "concept")


@command()
def explain(
    text: Annotated[str, typer.Argument(help="The sentence to explain.")],
    model: Model = "minilm",
    layers: Layers = "all",
    target: Annotated[str, typer.Option(help="tokens (layer states), cls (first token), token:J (position J, "
                                        "-1 = last) or logits (a head's output; a causal LM's next-token scores); "
                                        "wordinfo train models also: sentence (pooled), step:J (LSTM state at token "
                                        "J, -1 = last), decoder:J and logits:J (reverse task, output step J); "
                                        "T5/BART: decoder:J with --decoder-text.")]
    = "tokens",
    from_layer: FromLayer = "0",
    decoder_text: Annotated[Optional[str], typer.Option(help="Encoder-decoder models (T5, BART): the target text "
                                                        "the decoder reads, for --target decoder:J.")] = None,
    pair: Annotated[Optional[str], typer.Option(help="A second text: explain the sentence pair (TEXT, PAIR) as "
                                                "the model reads pairs (paraphrase, entailment), with its segment "
                                                "ids; every word of both texts is shown.")] = None,
    calibrate: Calibrate = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
    png: Annotated[Optional[Path], typer.Option(help="Also save a words-by-layers heatmap to this PNG.")] = None,
    value: value_option(TABLE_VALUES, "Table value") = "kept",
    concept: Concept = None,
    truncate: Truncate = False,
    lam: Lam = 0.1,
    scale: Scale = None,
    seed: Seed = 0,
    solver: Solver = "default",
    precision: Precision = None,
    dtype: Dtype = "auto",
    device: Device = "cpu",
) -> None:
    """Explain every layer of a model for one sentence."""
    from ..values import value as check_value
    check_value(value, TABLE_VALUES)
    if value == "concept" and concept is None:
        raise WordinfoError("--value concept needs --concept NAME|FILE: a bundled list ("
                            + ", ".join(bundled_concepts()) + ") or a file of words, one a line")
    if png is not None and png.suffix.lower() != ".png":
        raise WordinfoError(f"--png needs a file name ending in .png, got {str(png)!r}")
    if png is not None:
        check_writable(png, "--png")          # before the solve, not after it
    import wordinfo
    start = from_layer_option(from_layer)
    common = dict(target=target, pair=pair, calibration=str(calibrate) if calibrate else None, lam=lam, scale=scale,
                  seed=seed, solver=solver, truncate=truncate, dtype=dtype, device=device,
                  progress=sys.stderr.isatty() or not json_out, **precision_option(precision))
    if start == "all":
        if layers != "all" or concept is not None:
            raise WordinfoError("--from-layer all explains every pair of layers: drop --layers and --concept")
        matrix = wordinfo.layer_matrix(text, model, **common)
        if json_out:
            typer.echo(json.dumps(matrix.to_dict()))
        else:
            print_matrix(matrix)
        if png is not None:
            _save_png(matrix, png)
            typer.echo(f"matrix written to {png}", err=json_out)
        return
    exp = wordinfo.explain(text, model=model, layers=layers, from_layer=start, decoder_text=decoder_text,
                           concept=concept, **common)
    if json_out:                  # the result first: a heatmap that cannot be written loses nothing
        typer.echo(exp.to_json())
    else:
        print_table(exp, value)
    if png is not None:
        _save_png(exp, png)
        typer.echo(f"heatmap written to {png}", err=json_out)


def _save_png(exp, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    from ..files import write_atomic
    ax = exp.plot()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda tmp: ax.figure.savefig(tmp, dpi=150, format="png"))
    except (OSError, WordinfoError) as e:
        why = e.strerror if isinstance(e, OSError) else str(e)
        raise WordinfoError(f"the heatmap was not written ({why}); the result printed above is complete") from None
