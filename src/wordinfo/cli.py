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
    model: str = typer.Option("minilm", help="'minilm' (bundled MiniLM-L6), a local Hugging Face model directory "
                              "or a checkpoint of wordinfo train."),
    layers: str = typer.Option("all", help="'all' or layer numbers such as 1,3,6."),
    target: str = typer.Option("tokens", help="tokens (layer states), cls (first token) or logits (needs a head); "
                               "wordinfo train models also: sentence (pooled), step:J (LSTM state at token J, "
                               "-1 = last), decoder:J (reverse task, decoder state at output step J)."),
    calibrate: Optional[Path] = typer.Option(None, help="File of sentences (one a line) for sigma_S; "
                                             "default: a bundled sample."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    png: Optional[Path] = typer.Option(None, help="Also save a words-by-layers heatmap to this PNG."),
    value: str = typer.Option("kept", help="Table value: kept, bits or sigma."),
    truncate: bool = typer.Option(False, help="Cut texts longer than the model's maximum length."),
    lam: float = typer.Option(0.1, help="lambda: closeness of features vs entropy."),
    scale: Optional[float] = typer.Option(None, help="Bound on sigma (default: 10 x std of word embeddings)."),
    seed: int = typer.Option(0, help="Seed of the noise."),
    solver: str = typer.Option("default", help="default, fast (interactive), or paper (the authors' algorithm, slow)."),
    precision: Optional[float] = typer.Option(None, help="Default solver: the standard error each word's sigma "
                                              "is sampled to (relative; default 0.03, i.e. 3%)."),
    dtype: str = typer.Option("auto", help="Noisy passes in auto (bfloat16 where fast), float32 or bfloat16."),
    device: str = typer.Option("cpu", help="cpu, cuda (cuda:N) or auto (the GPU when there is one)."),
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
                               solver=solver, truncate=truncate, dtype=dtype, device=device,
                               progress=sys.stderr.isatty() or not json_out, **_precision(precision))
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
    device: str = typer.Option("cpu", help="cpu, cuda (cuda:N) or auto (the GPU when there is one)."),
    skip_scaling: bool = typer.Option(False, help="Leave out the scaling sweep (a short run on a borrowed GPU)."),
    reference_sentences: Optional[int] = typer.Option(None, help="Case-B sentences the paper solver fits, scaled up "
                                                      "(default 3; 1 quick)."),
    workers: Optional[int] = typer.Option(None, help="Case B also on this many single-thread worker processes "
                                          "(default: 2 on a CPU, none on a GPU)."),
) -> None:
    """Time the default and fast solvers against the authors' algorithm, side by side (cases A, B, scaling)."""
    try:
        from .bench import bench as run_bench
        run_bench(quick=quick, data=str(data) if data else None, out=out, figure=png, paper_steps=paper_steps,
                  sentences=sentences, batch_size=batch_size, device=device, skip_scaling=skip_scaling,
                  reference_sentences=reference_sentences, workers=workers, log=typer.echo)
    except WordinfoError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


@app.command()
def train(
    ctx: typer.Context,
    task: str = typer.Option(..., help="sst2, cola, or reverse (the synthetic reverse-sequence task)."),
    arch: str = typer.Option(..., help="bert, transformer, lstm or cnn (reverse: lstm or transformer)."),
    out: Optional[Path] = typer.Option(None, help="Checkpoint directory (default runs/models/TASK-ARCH)."),
    data_dir: Optional[Path] = typer.Option(None, help="Folder with sst2/ and cola/ (default ../shared/data)."),
    train_file: Optional[Path] = typer.Option(None, "--train", help="Training TSV (label and text, either order)."),
    test_file: Optional[Path] = typer.Option(None, "--test", help="Evaluation TSV (SST-2 test, CoLA dev by default)."),
    seed: int = typer.Option(0, help="Seed of the weights, batches and (reverse) the generated data."),
    epochs: Optional[int] = typer.Option(None, help="Most epochs (default per arch)."),
    batch_size: Optional[int] = typer.Option(None, help="Batch size (default per arch)."),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate (default per arch)."),
    patience: Optional[int] = typer.Option(None, help="Stop after this many epochs without a better validation score."),
    val_fraction: float = typer.Option(0.1, help="Share of the training file held out for validation (fixed seed)."),
    tune_embeddings: bool = typer.Option(False, help="Fine-tune the MiniLM word embeddings (default: frozen)."),
    vocab_size: Optional[int] = typer.Option(None, help="Reverse task: number of distinct words (default 20)."),
    train_size: Optional[int] = typer.Option(None, help="Reverse task: training sequences (default 10000)."),
    threads: Optional[int] = typer.Option(None, help="CPU threads (default: PyTorch's; 1 is faster on a busy machine)."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Train a model of the paper's families and save a checkpoint that explain --model DIR reads."""
    try:
        from .training.train import train as run_train
        reverse = {k: v for k, v in (("vocab_size", vocab_size), ("train_size", train_size)) if v is not None}
        if reverse and task != "reverse":
            raise WordinfoError("--vocab-size and --train-size apply to --task reverse only")
        recipe = {k: v for k, v in (("epochs", epochs), ("batch_size", batch_size), ("lr", lr),
                                    ("patience", patience)) if v is not None}
        run_train(task, arch, out or Path("runs/models") / f"{task}-{arch}", data_dir=data_dir, train_file=train_file,
                  test_file=test_file, seed=seed, val_fraction=val_fraction, recipe=recipe, reverse=reverse,
                  tune_embeddings=tune_embeddings, threads=threads, progress=not quiet, log=typer.echo,
                  command=_command_line(ctx))
    except WordinfoError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


@app.command()
def run(
    data: Path = typer.Option(..., help="Sentences: a .tsv, .jsonl or .txt file, one sentence per row."),
    out: Path = typer.Option(..., help="Run directory: created, or resumed when it holds the same run."),
    model: str = typer.Option("minilm", help="'minilm' (bundled MiniLM-L6) or a local model directory."),
    layers: str = typer.Option("all", help="'all' or layer numbers such as 1,3,6."),
    target: str = typer.Option("tokens", help="tokens (layer states), cls (first token) or logits (needs a head)."),
    text_col: Optional[str] = typer.Option(None, help="Text column: 0-based number, or a name (with --header, "
                                           "or a JSONL key). Default: the longest TSV column, or 'text'."),
    label_col: Optional[str] = typer.Option(None, help="Label column (number or name), or 'none'. Default: the "
                                            "other column of a two-column TSV, or the JSONL key 'label'."),
    fmt: str = typer.Option("auto", "--format", help="tsv, jsonl or txt (default: from the file name)."),
    header: bool = typer.Option(False, help="The TSV's first row names its columns."),
    limit: Optional[int] = typer.Option(None, help="Explain only the first N sentences (raise it later to go on)."),
    batch_size: int = typer.Option(1, help="Sentences per solver call (1 is fastest on a CPU)."),
    part_size: int = typer.Option(64, help="Sentences per Parquet part (what a crash can cost at most)."),
    calibrate: Optional[Path] = typer.Option(None, help="File of sentences for sigma_S; default: a bundled sample."),
    truncate: bool = typer.Option(False, help="Cut texts longer than the model's maximum length."),
    lam: float = typer.Option(0.1, help="lambda: closeness of features vs entropy."),
    scale: Optional[float] = typer.Option(None, help="Bound on sigma (default: 10 x std of word embeddings)."),
    seed: int = typer.Option(0, help="Seed of the noise."),
    solver: str = typer.Option("default", help="default, fast (about 10x quicker, rougher), or paper (slow)."),
    precision: Optional[float] = typer.Option(None, help="Default solver: the standard error each word's sigma "
                                              "is sampled to (relative; default 0.03, i.e. 3%)."),
    progress: bool = typer.Option(True, help="Show a progress bar (rate and ETA) on stderr."),
    workers: int = typer.Option(1, help="Single-thread worker processes sharing the sentences (CPU only; one per "
                                "core is fastest: 2 explain 1.2x as fast as one 2-thread process on 2 cores)."),
) -> None:
    """Explain every sentence of a corpus into a run directory (Parquet), resumable after a crash."""
    try:
        from .runs import run_corpus
        run_corpus(data, out, model=model, layers=layers, target=target, text_col=text_col, label_col=label_col,
                   fmt=fmt, header=header, limit=limit, batch_size=batch_size, part_size=part_size, lam=lam,
                   scale=scale, calibration=str(calibrate) if calibrate else None, seed=seed, solver=solver,
                   truncate=truncate, progress=progress, workers=workers, log=lambda m: typer.echo(m, err=True),
                   **_precision(precision))
    except WordinfoError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command()
def summary(
    runs: list[str] = typer.Argument(..., metavar="RUNDIR...", help="Run directories (or explain --json files)."),
    fmt: str = typer.Option("table", "--format", help="table, csv, json or markdown."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write one file per table into this folder."),
    table: Optional[list[str]] = typer.Option(None, help="Only these tables: layers, categories, words, "
                                              "forgetting, forgetting_words, pos (repeat the flag)."),
    value: str = typer.Option("kept", help="kept (bits kept, higher = kept) or bits (entropy, higher = forgotten)."),
    top: int = typer.Option(10, help="Words listed per layer."),
    min_count: int = typer.Option(5, help="A word needs this many occurrences to be listed."),
    fraction: float = typer.Option(0.5, help="A word is forgotten at the first layer from which it keeps at most "
                                   "this fraction of its best layer's bits."),
    pos: str = typer.Option("auto", help="Parts of speech: auto (when a tagger is installed), yes or no."),
) -> None:
    """Mean bits by layer and word category, words most kept and forgotten, where words are forgotten."""
    try:
        from .summary import render, summarize
        if pos not in ("auto", "yes", "no"):
            raise WordinfoError(f"unknown --pos {pos!r}: use auto, yes or no")
        tables = summarize(runs, value=value, top=top, min_count=min_count, fraction=fraction,
                           pos={"auto": "auto", "yes": True, "no": False}[pos], tables=table or None)
        for path in render(tables, fmt, out, echo=typer.echo):
            typer.echo(f"wrote {path}", err=True)
    except WordinfoError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


@app.command()
def query(
    args: list[str] = typer.Argument(..., metavar="RUNDIR... SQL",
                                     help="Run directories, then one DuckDB query over the views tokens, words, "
                                          "sentences and forgetting."),
    fmt: str = typer.Option("table", "--format", help="table, csv, json or markdown."),
) -> None:
    """Any SQL over one or more runs (DuckDB), printed as a table, CSV, JSON or Markdown."""
    try:
        if len(args) < 2:
            raise WordinfoError('give one or more run directories and then the query: wordinfo query RUNDIR "SQL"')
        from .summary import Workspace, render
        with Workspace(args[:-1]) as ws:
            render({"query": ws.query(args[-1])}, fmt, echo=typer.echo)
    except WordinfoError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


@app.command()
def report(
    sources: list[str] = typer.Argument(..., metavar="RUNDIR...", help="Run directories or explain --json files."),
    out: Path = typer.Option(..., "--out", "-o", help="The HTML file to write (self-contained, works offline)."),
    max_sentences: int = typer.Option(500, help="Sentences per run with a heatmap and a row in the list."),
    value: str = typer.Option("kept", help="Curves and tables in kept (bits kept) or bits (entropy)."),
    title: Optional[str] = typer.Option(None, help="Page title."),
    png: Optional[Path] = typer.Option(None, help="Also write paper figures (curves, heatmaps) into this folder."),
    figure_format: str = typer.Option("png", help="Format of the --png figures: png, svg or pdf."),
) -> None:
    """One self-contained HTML report: heatmaps, per-layer curves by word category, a sentence list."""
    try:
        from .report import build_report
        path = build_report(sources, out, max_sentences=max_sentences, value=value, title=title, figures=png,
                            figure_format=figure_format)
    except WordinfoError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"report written to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if png is not None:
        typer.echo(f"figures written to {png}/")


@app.command()
def evaluate(
    model: str = typer.Option(..., help="'minilm', a Hugging Face model directory or a checkpoint of wordinfo train."),
    data: Path = typer.Option(..., help="Sentences: a TSV (label and text, either order) or one sentence a line."),
    methods: str = typer.Option("all", help="'all' or some of wordinfo, saliency, input_x_gradient, "
                                "integrated_gradients, lrp, erasure, attention, attention_rollout, "
                                "information_bottleneck, random."),
    n: int = typer.Option(200, help="Evaluate the first N sentences."),
    out: Optional[Path] = typer.Option(None, help="Output folder (default runs/eval/MODEL-NAME)."),
    layers: str = typer.Option("all", help="Layers to explain besides the prediction: 'all', '1,3,6' or 'none'."),
    seeds: int = typer.Option(3, help="Seeds per stochastic method, for coherency across seeds."),
    seed_sentences: int = typer.Option(50, help="Sentences that get the extra seeds."),
    solver: str = typer.Option("default", help="wordinfo's solver: default or fast."),
    ig_steps: int = typer.Option(20, help="Integrated gradients: integration points."),
    part: Optional[str] = typer.Option(None, help="'I/K': explain only every K-th sentence from the I-th "
                                       "(one share of the work); a run without --part on the same --out merges."),
    threads: Optional[int] = typer.Option(None, help="CPU threads (default: PyTorch's; 1 on a busy machine)."),
    time_limit: Optional[float] = typer.Option(None, help="Seconds after which no new sentence starts; results "
                                               "cover the sentences done, the same command again continues."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Compare wordinfo with Captum baselines and the information bottleneck: faithfulness, coherency,
    ground truth (reverse task) and cost; prints a table, writes CSV, JSON and figures. Finished
    sentences are kept under OUT/records: the same command again resumes after a stop."""
    try:
        from .evaluation import evaluate as run_evaluation
        from .evaluation.report import print_table
        if threads is not None:
            import torch
            if threads < 1:
                raise WordinfoError(f"--threads must be at least 1, got {threads}")
            torch.set_num_threads(threads)
        share = _part(part) if part is not None else None
        folder = out or Path("runs/eval") / Path(model.rstrip("/")).name
        results = run_evaluation(model, data, methods=methods, n=n, layers=layers, seeds=seeds,
                                 seed_sentences=seed_sentences, out=folder, solver=solver, ig_steps=ig_steps,
                                 part=share, time_limit=time_limit, progress=not quiet, log=lambda msg: typer.echo(msg, err=True))
    except WordinfoError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
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


def _command_line(ctx: typer.Context) -> str:
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


def _save_png(exp, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    ax = exp.plot()
    path.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(path, dpi=150)


def _precision(precision: float | None) -> dict:
    """``--precision`` as a solver option, when given (a solver without it says so in one line)."""
    if precision is None:
        return {}
    from ._checks import check_positive
    return {"precision": check_positive("--precision", precision)}


def _print_table(exp, value: str) -> None:
    """Words as rows, layers as columns, each cell shaded by its value within the sentence."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    key = {"kept": "retained_bits", "bits": "bits", "sigma": "sigma"}[value]
    data = exp.word_values(key)                               # [layers, words]
    errors = exp.word_errors(key)                             # their standard errors (NaN: none known)
    lo, hi = float(data.min()), float(data.max())
    console = Console()
    console.print(f"[bold]{escape(exp.model)}[/]: {VALUE_HELP[value]}")
    console.print(f"bound on sigma = {exp.scale:.3g}, lambda = {exp.settings['lam']}, K = {exp.width}; "
                  "shading runs light (low) to dark blue (high) within the sentence; ± one standard error",
                  style="dim")
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
            se = float(errors[li, w])
            spread = "" if se != se else f" [dim]±{fmt.format(se)}[/]"
            cells.append(f"[rgb({shade},{shade},255)]{fmt.format(v)}[/]{spread}")
        table.add_row(f"[dim]{escape(word)}[/]" if special else escape(word), *cells)
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
