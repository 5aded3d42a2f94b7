"""The ``wordinfo`` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from .errors import WordinfoError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="How much does each layer of a model still know about each input word?")

VALUE_HELP = {"kept": "information kept, bits relative to the bound (0 = forgotten)",
              "bits": "entropy H_i in bits (higher = more forgotten)",
              "sigma": "sigma, the noise a word tolerates (higher = more forgotten)"}


@app.callback()
def _root() -> None:
    """wordinfo: per-word conditional entropy of every layer (Guan et al., ICML 2019), fast."""


@app.command()
def explain(
    text: str = typer.Argument(..., help="The sentence to explain."),
    model: str = typer.Option("minilm", help="'minilm' (bundled MiniLM-L6) or a local model directory."),
    layers: str = typer.Option("all", help="'all' or layer numbers such as 1,3,6."),
    target: str = typer.Option("tokens", help="tokens (layer states), cls (first token) or logits (needs a head)."),
    calibrate: Optional[Path] = typer.Option(None, help="File of sentences (one a line) for sigma_S; "
                                             "default: a bundled sample."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    png: Optional[Path] = typer.Option(None, help="Also save a words-by-layers heatmap to this PNG."),
    value: str = typer.Option("kept", help="Table value: kept, bits or sigma."),
    truncate: bool = typer.Option(False, help="Cut texts longer than the model's maximum length."),
    lam: float = typer.Option(0.1, help="lambda: closeness of features vs entropy."),
    scale: Optional[float] = typer.Option(None, help="Bound on sigma (default: 10 x std of word embeddings)."),
    seed: int = typer.Option(0, help="Seed of the noise."),
    solver: str = typer.Option("default", help="default, or paper (the authors' algorithm, slow)."),
) -> None:
    """Explain every layer of a model for one sentence."""
    try:
        if value not in VALUE_HELP:
            raise WordinfoError(f"unknown --value {value!r}: use kept, bits or sigma")
        if png is not None and png.suffix.lower() != ".png":
            raise WordinfoError(f"--png needs a file name ending in .png, got {str(png)!r}")
        import wordinfo
        exp = wordinfo.explain(text, model=model, layers=layers, target=target,
                               calibration=str(calibrate) if calibrate else None, lam=lam, scale=scale, seed=seed,
                               solver=solver, truncate=truncate, progress=sys.stderr.isatty() or not json_out)
    except WordinfoError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    if png is not None:
        _save_png(exp, png)
    if json_out:
        typer.echo(exp.to_json())
    else:
        _print_table(exp, value)
        if png is not None:
            typer.echo(f"heatmap written to {png}")


@app.command()
def bench(
    quick: bool = typer.Option(False, help="A small run (minutes): 8 sentences, 300 paper steps, short sweeps."),
    data: Optional[Path] = typer.Option(None, help="SST-2 TSV (label, text); default ../shared/data/sst2/test.tsv."),
    out: Path = typer.Option(Path("benchmarks/results/bench.json"), help="Where to write the JSON results."),
    png: Optional[Path] = typer.Option(Path("docs/performance.png"), help="Scaling figure (PNG)."),
    paper_steps: Optional[int] = typer.Option(None, help="Steps of the paper solver (default 5000; 300 quick)."),
    sentences: Optional[int] = typer.Option(None, help="Sentences in case B (default 64; 8 quick)."),
    batch_size: int = typer.Option(1, help="Sentences per solver call in case B."),
) -> None:
    """Time the default and fast solvers against the authors' algorithm, side by side (cases A, B, scaling)."""
    try:
        from .bench import bench as run_bench
        run_bench(quick=quick, data=str(data) if data else None, out=out, figure=png, paper_steps=paper_steps,
                  sentences=sentences, batch_size=batch_size, log=typer.echo)
    except WordinfoError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


def _save_png(exp, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    ax = exp.plot()
    path.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(path, dpi=150)


def _print_table(exp, value: str) -> None:
    """Words as rows, layers as columns, each cell shaded by its value within the sentence."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    key = {"kept": "retained_bits", "bits": "bits", "sigma": "sigma"}[value]
    data = exp.word_values(key)                               # [layers, words]
    lo, hi = float(data.min()), float(data.max())
    console = Console()
    console.print(f"[bold]{escape(exp.model)}[/]: {VALUE_HELP[value]}")
    console.print(f"bound on sigma = {exp.scale:.3g}, lambda = {exp.settings['lam']}, K = {exp.width}; "
                  "shading runs light (low) to dark blue (high) within the sentence", style="dim")
    table = Table()
    table.add_column("word")
    for layer in exp.layers:
        table.add_column(f"L{layer}" if layer.isdigit() else layer, justify="right")
    fmt = "{:.3f}" if value == "sigma" else "{:.0f}"
    for w, (word, special) in enumerate(zip(exp.words(), exp.word_maps[0].special)):
        cells = []
        for li in range(len(exp.layers)):
            v = float(data[li, w])
            shade = int(40 + 200 * (v - lo) / (hi - lo)) if hi > lo else 140
            cells.append(f"[rgb({shade},{shade},255)]{fmt.format(v)}[/]")
        table.add_row(f"[dim]{escape(word)}[/]" if special else escape(word), *cells)
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
