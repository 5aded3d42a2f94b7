"""The Typer application and the one error wrapper every command runs inside."""

from __future__ import annotations

import functools

import typer

from ..errors import WordinfoError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="How much does each layer of a model still know about each input word?")


@app.callback()
def _root() -> None:
    """wordinfo: per-word conditional entropy of every layer (Guan et al., ICML 2019), fast."""


def command(fn=None, **typer_options):
    """``@command``: register ``fn`` as a subcommand whose ``WordinfoError`` is one line on stderr (exit 2)
    and whose Ctrl-C is exit 130 without a traceback. An ``OSError`` that reaches here (a folder that cannot
    be made, a file the system refuses) is one line too, naming the file. The signature is Typer's, untouched."""
    def register(f):
        @functools.wraps(f)
        def wrapped(*args, **kwargs):
            try:
                return f(*args, **kwargs)
            except WordinfoError as e:
                typer.echo(f"error: {e}", err=True)
                raise typer.Exit(2) from None
            except OSError as e:
                where = f" {e.filename}" if e.filename else ""
                typer.echo(f"error: cannot use{where} ({e.strerror or e}): check the path, its permissions and "
                           "the free space", err=True)
                raise typer.Exit(2) from None
            except KeyboardInterrupt:
                raise typer.Exit(130) from None
        return app.command(**typer_options)(wrapped)
    return register(fn) if fn is not None else register
