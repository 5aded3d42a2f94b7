"""``wordinfo summary``, ``query``, ``report`` and ``verify``: reading runs (and explain --json files), never
writing to them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import values
from ..errors import WordinfoError
from ..files import check_writable
from .app import command
from .options import TableFormat, value_option


@command()
def summary(
    runs: Annotated[list[str], typer.Argument(metavar="RUNDIR...", help="Run directories (or explain --json files; a "
                                              "folder of runs, such as OUT/probe, is its runs).")],
    fmt: TableFormat = "table",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write one file per table into this folder.")]
    = None,
    table: Annotated[Optional[list[str]], typer.Option(help="Only these tables: layers, epochs (probe runs: "
                                                       "mean per word by epoch and layer), categories, words, "
                                                       "forgetting, forgetting_words, pos, matrix (repeat the flag).")]
    = None,
    value: value_option(values.CORPUS_VALUES, "Table value") = "kept",
    top: Annotated[int, typer.Option(help="Words listed per layer.")] = 10,
    min_count: Annotated[int, typer.Option(help="A word needs this many occurrences to be listed.")] = 5,
    fraction: Annotated[float, typer.Option(help="A word is forgotten at the first layer from which it keeps at "
                                            "most this fraction of its best layer's bits.")] = 0.5,
    pos: Annotated[str, typer.Option(help="Parts of speech: auto (when a tagger is installed), yes or no.")] = "auto",
) -> None:
    """Mean bits by layer and word category, words most kept and forgotten, where words are forgotten."""
    from ..summary import render, summarize
    if pos not in ("auto", "yes", "no"):
        raise WordinfoError(f"unknown --pos {pos!r}: use auto, yes or no")
    if out is not None:
        check_writable(out, "-o", folder=True)          # before the work, not after it
    tables = summarize(runs, value=value, top=top, min_count=min_count, fraction=fraction,
                       pos={"auto": "auto", "yes": True, "no": False}[pos], tables=table or None)
    for path in render(tables, fmt, out, echo=typer.echo):
        typer.echo(f"wrote {path}", err=True)


@command()
def query(
    args: Annotated[list[str], typer.Argument(metavar="RUNDIR... SQL",
                                              help="Run directories, then one DuckDB query over the views tokens, "
                                                   "words, sentences and forgetting.")],
    fmt: TableFormat = "table",
) -> None:
    """Any SQL over one or more runs (DuckDB), printed as a table, CSV, JSON or Markdown."""
    if len(args) < 2:
        raise WordinfoError('give one or more run directories and then the query: wordinfo query RUNDIR "SQL"')
    from ..summary import Workspace, render
    with Workspace(args[:-1]) as ws:
        render({"query": ws.query(args[-1])}, fmt, echo=typer.echo)


@command()
def report(
    sources: Annotated[list[str], typer.Argument(metavar="RUNDIR...", help="Run directories or explain --json "
                                                 "files.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write (self-contained, works "
                                      "offline).")],
    max_sentences: Annotated[int, typer.Option(help="Sentences per run with a heatmap and a row in the list.")] = 500,
    value: value_option(values.CORPUS_VALUES, "Curves and tables in") = "kept",
    title: Annotated[Optional[str], typer.Option(help="Page title.")] = None,
    png: Annotated[Optional[Path], typer.Option(help="Also write paper figures (curves, heatmaps) into this "
                                                "folder.")] = None,
    figure_format: Annotated[str, typer.Option(help="Format of the --png figures: png, svg or pdf.")] = "png",
) -> None:
    """One self-contained HTML report: heatmaps, per-layer curves by word category, a sentence list."""
    from ..report import build_report
    path = build_report(sources, out, max_sentences=max_sentences, value=value, title=title, figures=png,
                        figure_format=figure_format)
    typer.echo(f"report written to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if png is not None:
        typer.echo(f"figures written to {png}/")


@command()
def verify(
    runs: Annotated[list[str], typer.Argument(metavar="RUNDIR...", help="Run directories written by wordinfo run "
                                              "(local paths or s3://, gs:// URIs).")],
) -> None:
    """Check every part of a run against its checksum; print what is wrong (exit code 1 when a part is damaged)."""
    from ..runs import Run
    damaged = False
    for path in runs:
        found = Run(path).verify()
        for line in found.lines():
            typer.echo(line)
        damaged |= not found.ok
    if damaged:
        raise typer.Exit(1)
