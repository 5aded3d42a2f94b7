"""``wordinfo train``: the paper's model families on SST-2, CoLA and the reverse-sequence task."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import WordinfoError
from ..solvers.registry import SOLVERS
from .app import command
from .options import Quiet, Threads, precision_option


@command()
def train(
    ctx: typer.Context,
    task: Annotated[str, typer.Option(help="sst2, cola, or reverse (the synthetic reverse-sequence task).")],
    arch: Annotated[str, typer.Option(help="bert, transformer, lstm or cnn (reverse: lstm or transformer).")],
    out: Annotated[Optional[Path], typer.Option(help="Checkpoint directory (default runs/models/TASK-ARCH).")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Folder with sst2/ and cola/ (default ../shared/data).")]
    = None,
    train_file: Annotated[Optional[Path], typer.Option("--train", help="Training TSV (label and text, either "
                                                       "order).")] = None,
    test_file: Annotated[Optional[Path], typer.Option("--test", help="Evaluation TSV (SST-2 test, CoLA dev by "
                                                      "default).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the weights, batches and (reverse) the generated data.")] = 0,
    epochs: Annotated[Optional[int], typer.Option(help="Most epochs (default per arch).")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Batch size (default per arch).")] = None,
    lr: Annotated[Optional[float], typer.Option(help="Peak learning rate (default per arch).")] = None,
    patience: Annotated[Optional[int], typer.Option(help="Stop after this many epochs without a better "
                                                    "validation score.")] = None,
    val_fraction: Annotated[float, typer.Option(help="Share of the training file held out for validation "
                                                "(fixed seed).")] = 0.1,
    tune_embeddings: Annotated[bool, typer.Option(help="Fine-tune the MiniLM word embeddings (default: frozen).")]
    = False,
    vocab_size: Annotated[Optional[int], typer.Option(help="Reverse task: number of distinct words (default 20).")]
    = None,
    train_size: Annotated[Optional[int], typer.Option(help="Reverse task: training sequences (default 10000).")]
    = None,
    probe: Annotated[Optional[Path], typer.Option(help="Probe set (one sentence a line, or a TSV/JSONL): explained "
                                                  "before training and after every epoch into OUT/probe/epoch-K "
                                                  "(wordinfo summary OUT/probe: the per-epoch table).")] = None,
    probe_layers: Annotated[str, typer.Option(help="Probe: 'all' or layer numbers such as 1,3.")] = "all",
    probe_solver: Annotated[str, typer.Option(help=f"Probe: the solver ({', '.join(SOLVERS)}).")] = "default",
    probe_precision: Annotated[Optional[float], typer.Option(help="Probe, default solver: the standard error each "
                                                             "word's sigma is sampled to (relative).")] = None,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Train a model of the paper's families and save a checkpoint that explain --model DIR reads."""
    from ..training.train import train as run_train
    reverse = {k: v for k, v in (("vocab_size", vocab_size), ("train_size", train_size)) if v is not None}
    if reverse and task != "reverse":
        raise WordinfoError("--vocab-size and --train-size apply to --task reverse only")
    recipe = {k: v for k, v in (("epochs", epochs), ("batch_size", batch_size), ("lr", lr),
                                ("patience", patience)) if v is not None}
    if probe is None and (probe_layers != "all" or probe_solver != "default" or probe_precision is not None):
        raise WordinfoError("--probe-layers, --probe-solver and --probe-precision need --probe FILE")
    probe_options = {"layers": probe_layers, "solver": probe_solver, **precision_option(probe_precision)}
    run_train(task, arch, out or Path("runs/models") / f"{task}-{arch}", data_dir=data_dir, train_file=train_file,
              test_file=test_file, seed=seed, val_fraction=val_fraction, recipe=recipe, reverse=reverse,
              tune_embeddings=tune_embeddings, threads=threads, progress=not quiet, log=typer.echo,
              command=command_line(ctx), probe=probe, probe_options=probe_options if probe else None)


def command_line(ctx: typer.Context) -> str:
    """The command as given (options that differ from their defaults), to record how a result was made."""
    import shlex
    parts = ["wordinfo", ctx.info_name or ""]
    for p in ctx.command.params:
        value = ctx.params.get(p.name)
        if value is None or value == p.default or not getattr(p, "opts", None):
            continue
        if isinstance(value, bool):
            parts.append(p.opts[0] if value else p.secondary_opts[0])
        else:
            parts += [p.opts[0], shlex.quote(str(value))]
    return " ".join(parts)
