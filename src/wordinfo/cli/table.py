"""The terminal table of ``wordinfo explain``: words as rows, layers as columns, shaded, with error bars."""

from __future__ import annotations

from .. import values


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
    console.print(f"bound on sigma = {exp.scale:.3g}, lambda = {exp.settings['lam']}, K = {exp.width}; "
                  "shading runs light (low) to dark blue (high) within the sentence; ± one standard error",
                  style="dim")
    table = Table()
    table.add_column("word")
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
        table.add_row(f"[dim]{escape(word)}[/]" if special else escape(word), *cells)
    console.print(table)
