"""``wordinfo run``: a corpus into a run directory (Parquet), resumable after a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import command
from .options import (
    Calibrate,
    Device,
    FromLayer,
    Lam,
    Layers,
    Model,
    Precision,
    Ray,
    Scale,
    Seed,
    Solver,
    Truncate,
    from_layer_option,
    precision_option,
    ray_option,
)


def _one_layer(value: str) -> int:
    a = from_layer_option(value)
    if a == "all":
        from ..errors import WordinfoError
        raise WordinfoError("wordinfo run takes one --from-layer: run it once per layer "
                            "(or use explain --from-layer all)")
    return a


@command()
def run(
    data: Annotated[Path, typer.Option(help="Sentences: a .tsv, .jsonl or .txt file, one sentence per row.")],
    out: Annotated[str, typer.Option(help="Run directory: created, or resumed when it holds the same run. A local "
                                     "path, or a URI pyarrow knows (s3://BUCKET/PATH, gs://BUCKET/PATH).")],
    model: Model = "minilm",
    layers: Layers = "all",
    target: Annotated[str, typer.Option(help="tokens (layer states), cls (first token) or logits (needs a head).")]
    = "tokens",
    from_layer: FromLayer = "0",
    text_col: Annotated[Optional[str], typer.Option(help="Text column: 0-based number, or a name (with --header, "
                                                    "or a JSONL key). Default: the longest TSV column, or 'text'.")]
    = None,
    label_col: Annotated[Optional[str], typer.Option(help="Label column (number or name), or 'none'. Default: the "
                                                     "other column of a two-column TSV, or the JSONL key 'label'.")]
    = None,
    pair_col: Annotated[Optional[str], typer.Option(help="Sentence pairs: the column (number or name) of the "
                                                    "second text. Found by itself for sentence1/sentence2, "
                                                    "question1/question2, premise/hypothesis, text_a/text_b.")]
    = None,
    fmt: Annotated[str, typer.Option("--format", help="tsv, jsonl or txt (default: from the file name).")] = "auto",
    header: Annotated[bool, typer.Option(help="The TSV's first row names its columns.")] = False,
    limit: Annotated[Optional[int], typer.Option(help="Explain only the first N sentences (raise it later to go "
                                                 "on).")] = None,
    batch_size: Annotated[int, typer.Option(help="Sentences per solver call (1 is fastest on a CPU).")] = 1,
    part_size: Annotated[int, typer.Option(help="Sentences per Parquet part (what a crash can cost at most).")] = 64,
    calibrate: Calibrate = None,
    truncate: Truncate = False,
    lam: Lam = 0.1,
    scale: Scale = None,
    seed: Seed = 0,
    solver: Solver = "default",
    precision: Precision = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar (rate and ETA) on stderr.")] = True,
    workers: Annotated[Optional[int], typer.Option(help="Single-thread worker processes sharing the sentences "
                                                   "(CPU only; one per core is fastest: 2 explain 1.2x as fast as "
                                                   "one 2-thread process on 2 cores); with --ray, the number of "
                                                   "actors.")] = None,
    ray: Ray = None,
    device: Device = "cpu",
) -> None:
    """Explain every sentence of a corpus into a run directory (Parquet), resumable after a crash."""
    from ..runs import run_corpus
    run_corpus(data, out, model=model, layers=layers, target=target, text_col=text_col, label_col=label_col,
               pair_col=pair_col, fmt=fmt, header=header, limit=limit, batch_size=batch_size, part_size=part_size,
               lam=lam, scale=scale, calibration=str(calibrate) if calibrate else None, seed=seed, solver=solver,
               truncate=truncate, progress=progress, workers=workers, from_layer=_one_layer(from_layer),
               ray=ray_option(ray), device=device,
               log=lambda m: typer.echo(m, err=True),
               **precision_option(precision))
