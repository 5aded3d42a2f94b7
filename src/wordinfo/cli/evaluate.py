"""``wordinfo evaluate``: wordinfo next to Captum's baselines and the information bottleneck."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..baselines import METHODS
from ..errors import WordinfoError
from .app import command
from .options import Quiet, Ray, Threads, ray_option, threads_option


@command()
def evaluate(
    model: Annotated[str, typer.Option(help="'minilm', a Hugging Face model directory or a checkpoint of wordinfo "
                                       "train.")],
    data: Annotated[Path, typer.Option(help="Sentences: a TSV (label and text, either order) or one sentence a "
                                       "line.")],
    methods: Annotated[str, typer.Option(help="'all' or some of " + ", ".join(METHODS) + ".")] = "all",
    n: Annotated[int, typer.Option(help="Evaluate the first N sentences.")] = 200,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default runs/eval/MODEL-NAME).")] = None,
    layers: Annotated[str, typer.Option(help="Layers to explain besides the prediction: 'all', '1,3,6' or "
                                        "'none'.")] = "all",
    seeds: Annotated[int, typer.Option(help="Seeds per stochastic method, for coherency across seeds.")] = 3,
    seed_sentences: Annotated[int, typer.Option(help="Sentences that get the extra seeds.")] = 50,
    solver: Annotated[str, typer.Option(help="wordinfo's solver: default or fast.")] = "default",
    ig_steps: Annotated[int, typer.Option(help="Integrated gradients: integration points.")] = 20,
    part: Annotated[Optional[str], typer.Option(help="'I/K': explain only every K-th sentence from the I-th (one "
                                                "share of the work); a run without --part on the same --out "
                                                "merges.")] = None,
    threads: Threads = None,
    time_limit: Annotated[Optional[float], typer.Option(help="Seconds after which no new sentence starts; results "
                                                        "cover the sentences done, the same command again "
                                                        "continues.")] = None,
    quiet: Quiet = False,
    ray: Ray = None,
    workers: Annotated[Optional[int], typer.Option(help="With --ray: the number of actors (default: one per CPU "
                                                   "of the cluster).")] = None,
) -> None:
    """Compare wordinfo with Captum baselines and the information bottleneck: faithfulness, coherency,
    ground truth (reverse task) and cost; prints a table, writes CSV, JSON and figures. Finished
    sentences are kept under OUT/records: the same command again resumes after a stop."""
    from ..evaluation import evaluate as run_evaluation
    from ..evaluation.report import print_table
    threads_option(threads)
    share = _part(part) if part is not None else None
    folder = out or Path("runs/eval") / Path(model.rstrip("/")).name
    results = run_evaluation(model, data, methods=methods, n=n, layers=layers, seeds=seeds,
                             seed_sentences=seed_sentences, out=folder, solver=solver, ig_steps=ig_steps,
                             part=share, time_limit=time_limit, progress=not quiet,
                             log=lambda msg: typer.echo(msg, err=True), ray=ray_option(ray), workers=workers)
    if share is not None and not results["settings"]["complete"]:
        typer.echo(f"part {part} written to {folder}/records")
        return
    print_table(results)
    typer.echo(f"results.json, results.csv, results.md, scores.json and figures written to {folder}")


def _part(text: str) -> tuple[int, int]:
    try:
        i, k = (int(v) for v in text.split("/"))
    except ValueError:
        raise WordinfoError(f"--part takes I/K (e.g. 2/8), got {text!r}") from None
    return i, k
