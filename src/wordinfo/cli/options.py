"""Options that several commands share, defined once; help texts and choices come from the registries.

Each is an ``Annotated`` type: ``def explain(model: Model = "minilm", ...)``. The solver
names come from :data:`wordinfo.solvers.registry.SOLVERS`, the value names and their
meanings from :mod:`wordinfo.values`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import values
from ..concepts import bundled_concepts
from ..solvers.registry import DEFAULT_PRECISION, SOLVERS

SOLVER_HELP = {"default": "default (precise, with error bars)", "fast": "fast (interactive, rougher)",
               "paper": "paper (the authors' algorithm, slow)"}
_solvers = ", ".join(SOLVER_HELP.get(s, s) for s in SOLVERS)
_precision = DEFAULT_PRECISION

Model = Annotated[str, typer.Option(help="'minilm' (bundled MiniLM-L6), a local Hugging Face model directory, "
                                         "a Hub id (gpt2, org/name; from the local cache, else downloaded) "
                                         "or a checkpoint of wordinfo train.")]
FromLayer = Annotated[str, typer.Option(help="Explain what the layers above A keep of layer A's output "
                                             "(0: of the input word vectors); 'all': every A, as a matrix of mean "
                                             "bits kept (rows from, columns to).")]


def from_layer_option(value: str):
    """``--from-layer``: a whole number, or 'all'."""
    if str(value).strip().lower() == "all":
        return "all"
    try:
        return int(value)
    except ValueError:
        from ..errors import WordinfoError
        raise WordinfoError(f"--from-layer takes a layer number or 'all', got {value!r}") from None
Layers = Annotated[str, typer.Option(help="'all' or layer numbers such as 1,3,6.")]
Calibrate = Annotated[Optional[Path], typer.Option(help="File of sentences (one a line) for sigma_S; "
                                                        "default: a bundled sample.")]
Concept = Annotated[Optional[str], typer.Option(
    help="The concept c of --value concept (r_{i,c}, the bits a layer keeps of a word beyond what its concept "
         "shares): a bundled list (" + ", ".join(bundled_concepts()) + ") or a file of words, one a line.")]
Truncate = Annotated[bool, typer.Option(help="Cut texts longer than the model's maximum length.")]
Lam = Annotated[float, typer.Option(help="lambda: closeness of features vs entropy.")]
Scale = Annotated[Optional[float], typer.Option(help="Bound on sigma (default: 10 x std of word embeddings).")]
Seed = Annotated[int, typer.Option(help="Seed of the noise.")]
Solver = Annotated[str, typer.Option(help=f"The solver: {_solvers}.")]
Precision = Annotated[Optional[float], typer.Option(
    help=f"Default solver: the standard error each word's sigma is sampled to (relative; default {_precision}, "
         f"i.e. {_precision:.0%}).")]
Dtype = Annotated[str, typer.Option(help="Noisy passes in auto (bfloat16 matrix products where fast), float32 or "
                                         "bfloat16 (which also loads the weights in bfloat16: half the memory).")]
Device = Annotated[str, typer.Option(help="cpu, cuda (cuda:N) or auto (the GPU when there is one).")]
Threads = Annotated[Optional[int], typer.Option(help="CPU threads (default: PyTorch's; 1 on a busy machine).")]
Quiet = Annotated[bool, typer.Option(help="No progress bar.")]
Ray = Annotated[Optional[str], typer.Option(help="Explain on Ray (pip install 'wordinfo\\[ray]'): --ray alone starts a "
                                                 "local instance sized to this machine, --ray HOST:PORT joins a "
                                                 "cluster (ray start --head; ray start --address=...), --ray auto "
                                                 "the one this machine is part of. --workers: actors (default: one "
                                                 "per CPU of the cluster, or per GPU with --device cuda).")]


def ray_option(value: str | None):
    """``--ray``: None (no Ray), True (a local instance) or an address."""
    if value is None:
        return None
    return True if value.strip().lower() == "local" else value.strip()
TableFormat = Annotated[str, typer.Option("--format", help="table, csv, json or markdown.")]


def value_option(allowed: tuple[str, ...], what: str):
    """``--value`` limited to ``allowed`` names of the value registry, with their meanings as help."""
    return Annotated[str, typer.Option(help=f"{what}: " + values.choices_help(allowed) + ".")]


def precision_option(precision: float | None) -> dict:
    """``--precision`` as a solver option, when given (a solver without it says so in one line)."""
    if precision is None:
        return {}
    from .._checks import check_positive
    return {"precision": check_positive("--precision", precision)}


def threads_option(threads: int | None) -> None:
    """Apply ``--threads``."""
    if threads is None:
        return
    from ..errors import WordinfoError
    if threads < 1:
        raise WordinfoError(f"--threads must be at least 1, got {threads}")
    import torch
    torch.set_num_threads(threads)
