"""The terminal table of ``wordinfo explain``: words as rows, layers as columns, shaded, with error bars."""

from __future__ import annotations

from .. import values
from ..concepts import describe


def print_matrix(matrix) -> None:
    """Rows from layer A, columns to layer B: mean bits kept per word, ± its standard error."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{escape(matrix.model)}[/]: mean bits layer B keeps of a word's state at layer A "
                  "(special tokens left out); ± one standard error")
    table = Table()
    table.add_column("from \\ to")
    for b in range(1, matrix.num_layers + 1):
        table.add_column(f"L{b}", justify="right")
    for a in range(matrix.num_layers):
        cells = []
        for b in range(1, matrix.num_layers + 1):
            v, se = matrix.bits[a, b], matrix.bits_se[a, b]
            cells.append("" if v != v else f"{v:.0f}" + ("" if se != se else f" [dim]±{se:.0f}[/]"))
        table.add_row("input" if a == 0 else f"L{a}", *cells)
    console.print(table)


def print_table(exp, value: str) -> None:
    """Words as rows, layers as columns, each cell shaded by its value within the sentence."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    v = values.value(value)
    data = exp.word_values(v.key)                             # [layers, words]
    errors = exp.word_errors(v.key)                           # their standard errors (NaN: none known)
    lo, hi = float(data.min()), float(data.max())
    console = Console()
    console.print(f"[bold]{escape(exp.model)}[/]: {v.help}")
    if v.name == "concept":
        console.print(escape(describe(exp.concept)), style="dim")
    console.print(f"bound on sigma = {exp.scale:.3g}, lambda = {exp.settings['lam']}, K = {exp.width}; "
                  "shading runs light (low) to dark blue (high) within the sentence; ± one standard error",
                  style="dim")
    table = Table()
    table.add_column("word")
    paired = exp.pair(0) is not None          # a sentence pair: which text each word is in
    if paired:
        table.add_column("text", justify="right")
    for layer in exp.layers:
        table.add_column(f"L{layer}" if layer.isdigit() else layer, justify="right")
    fmt = "{:.0f}" if v.in_bits else "{:.3f}"
    for w, (word, special) in enumerate(zip(exp.words(), exp.word_maps[0].special)):
        cells = []
        for li in range(len(exp.layers)):
            x = float(data[li, w])
            shade = int(40 + 200 * (x - lo) / (hi - lo)) if hi > lo else 140
            se = float(errors[li, w])
            spread = "" if se != se else f" [dim]±{fmt.format(se)}[/]"
            cells.append(f"[rgb({shade},{shade},255)]{fmt.format(x)}[/]{spread}")
        text = [str(exp.segments(0)[w] + 1)] if paired else []
        table.add_row(f"[dim]{escape(word)}[/]" if special else escape(word), *text, *cells)
    console.print(table)
