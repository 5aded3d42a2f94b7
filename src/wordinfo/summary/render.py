"""Summary tables as text: a terminal table (rich), CSV, JSON or Markdown, printed or written one file per table.

Files are written atomically (:func:`wordinfo.files.write_text`): a reader sees a whole
table or the one before it.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import WordinfoError
from ..files import write_text

FORMATS = ("table", "csv", "json", "markdown")


def render(tables: dict, fmt: str = "table", out_dir: Path | None = None, echo=print) -> list[Path]:
    """Print (or write to ``out_dir``, one file per table) as a terminal table, CSV, JSON or Markdown."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise WordinfoError(f"unknown --format {fmt!r}: use table, csv, json or markdown")
    written = []
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        ext = {"table": "txt", "csv": "csv", "json": "json", "markdown": "md"}[fmt]
        for name, df in tables.items():
            path = out_dir / f"{name}.{ext}"
            write_text(path, _one(df, fmt, name) + ("\n" if fmt != "csv" else ""))
            written.append(path)
        return written
    if fmt == "json":
        echo(json.dumps({n: _records(df) for n, df in tables.items()}, indent=1))
    elif fmt == "table":
        _rich(tables)
    else:
        for i, (name, df) in enumerate(tables.items()):
            if len(tables) > 1:
                echo(("\n" if i else "") + (f"## {name}\n" if fmt == "markdown" else f"# {name}"))
            echo(_one(df, fmt, name).rstrip("\n"))
    return written


def _markdown(df) -> str:
    head = "| " + " | ".join(str(c) for c in df.columns) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def _one(df, fmt, name):
    if fmt == "csv":
        return df.to_csv(index=False, float_format="%.4g")
    if fmt == "json":
        return json.dumps(_records(df), indent=1)
    if fmt == "markdown":
        return _markdown(df)
    import io

    from rich.console import Console
    buf = io.StringIO()
    Console(file=buf, width=200, no_color=True).print(_rich_table(name, df))
    return buf.getvalue()


def _records(df):
    return json.loads(df.to_json(orient="records", double_precision=6))


def _cell(v) -> str:
    if isinstance(v, float):
        return "" if v != v else (f"{v:.1f}" if abs(v) >= 10 else f"{v:.3g}")
    return "" if v is None else str(v)


def _rich_table(name, df):
    from rich.markup import escape
    from rich.table import Table
    t = Table(title=name, title_justify="left")
    for c in df.columns:
        t.add_column(escape(str(c)), justify="right" if df[c].dtype.kind in "fiu" else "left")
    for row in df.itertuples(index=False):
        t.add_row(*(escape(_cell(v)) for v in row))
    return t


def _rich(tables):
    from rich.console import Console
    console = Console()
    for name, df in tables.items():
        console.print(_rich_table(name, df))
