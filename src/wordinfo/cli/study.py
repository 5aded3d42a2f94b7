"""``wordinfo study``: the paper's study, finding by finding, into one resumable directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import command
from .options import Threads


@command()
def study(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="The study's directory (resumed when it holds this study).")],
    quick: Annotated[bool, typer.Option(help="Minutes, not hours: small training subsets, one epoch, a few "
                                        "sentences (tests the machinery, not the paper).")] = False,
    models: Annotated[Optional[str], typer.Option(help="Model families, comma-separated (default "
                                                  "bert,transformer,lstm,cnn).")] = None,
    n: Annotated[Optional[int], typer.Option(help="Sentences explained per task (default 64; quick 4).")] = None,
    findings: Annotated[Optional[str], typer.Option(help="Findings to run, e.g. F1,F4 (default all).")] = None,
    models_dir: Annotated[Optional[Path], typer.Option(help="Where `wordinfo train` keeps models, reused when "
                                                       "their recipe is the default (default runs/models).")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Folder with sst2/ and cola/ (default ../shared/data).")]
    = None,
    workers: Annotated[int, typer.Option(help="Ray actors for the corpus runs (1: this process).")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of training, noise and bootstraps.")] = 0,
    threads: Threads = None,
) -> None:
    """Reproduce (or refute) the paper's findings: DIR/study.md, DIR/study.html and figures, with intervals."""
    from ..study import run_study
    from .train import command_line
    if threads is not None:
        import torch
        torch.set_num_threads(threads)
    results = run_study(out, quick=quick, families=models.split(",") if models else None, n=n, findings=findings,
                        models_dir=models_dir, workers=workers, data_dir=data_dir, seed=seed, log=typer.echo,
                        command=command_line(ctx))
    typer.echo(f"{out / 'study.md'}, {out / 'study.html'}: " +
               ", ".join(f"{fid} {r.verdict}" for fid, r in results.items()))
