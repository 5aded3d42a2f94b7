"""``wordinfo bench``: the solvers timed side by side against the authors' algorithm."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import command
from .options import Device


@command()
def bench(
    quick: Annotated[bool, typer.Option(help="A small run (minutes): 8 sentences, 300 paper steps, short sweeps.")]
    = False,
    data: Annotated[Optional[Path], typer.Option(help="SST-2 TSV (label, text); default "
                                                 "../shared/data/sst2/test.tsv.")] = None,
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path("benchmarks/results/bench.json"),
    png: Annotated[Optional[Path], typer.Option(help="Scaling figure (PNG).")] = Path("docs/performance.png"),
    paper_steps: Annotated[Optional[int], typer.Option(help="Steps of the paper solver (default 5000; 300 quick).")]
    = None,
    sentences: Annotated[Optional[int], typer.Option(help="Sentences in case B (default 64; 8 quick).")] = None,
    batch_size: Annotated[int, typer.Option(help="Sentences per solver call in case B.")] = 1,
    device: Device = "cpu",
    skip_scaling: Annotated[bool, typer.Option(help="Leave out the scaling sweep (a short run on a borrowed GPU).")]
    = False,
    reference_sentences: Annotated[Optional[int], typer.Option(
        help="Case-B sentences the paper solver fits, scaled up (default 3; 1 quick).")] = None,
    workers: Annotated[Optional[int], typer.Option(
        help="Case B also on this many single-thread worker processes (default: 2 on a CPU, none on a GPU).")] = None,
) -> None:
    """Time the default and fast solvers against the authors' algorithm, side by side (cases A, B, scaling)."""
    from ..bench import bench as run_bench
    run_bench(quick=quick, data=str(data) if data else None, out=out, figure=png, paper_steps=paper_steps,
              sentences=sentences, batch_size=batch_size, device=device, skip_scaling=skip_scaling,
              reference_sentences=reference_sentences, workers=workers, log=typer.echo)
