"""The labelled tasks: SST-2 and CoLA, which files they are, and the validation split.

A task's TSV has one example per line, a 0/1 label and a text in either order (SST-2:
label first; CoLA: text first), no header; :func:`wordinfo.corpus.read_labelled` reads it
and :func:`wordinfo.corpus.default_data_dir` finds ``../shared/data``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from ..corpus import default_data_dir, read_labelled  # noqa: F401  (read_labelled: the task files' reader)
from ..errors import WordinfoError

SPLIT_SEED = 0        # the validation split is the same whatever the training seed


@dataclass(frozen=True)
class TaskSpec:
    name: str
    train: str            # relative to the data directory
    test: str
    metric: str           # 'accuracy' or 'mcc'
    labels: tuple
    test_name: str        # what the evaluation file is called in reports


TASKS = {
    "sst2": TaskSpec("sst2", "sst2/train.tsv", "sst2/test.tsv", "accuracy", ("negative", "positive"), "test"),
    "cola": TaskSpec("cola", "cola/train.tsv", "cola/dev.tsv", "mcc", ("unacceptable", "acceptable"), "dev"),
}


def task_files(task: str, data_dir: str | Path | None = None, train: str | Path | None = None,
               test: str | Path | None = None) -> tuple[Path, Path]:
    """The training and evaluation TSVs of a task; ``train``/``test`` override the defaults one by one."""
    spec = TASKS[task]
    root = None
    if train is None or test is None:
        root = Path(data_dir) if data_dir is not None else default_data_dir()
    paths = (Path(train) if train is not None else root / spec.train,
             Path(test) if test is not None else root / spec.test)
    for p in paths:
        if not p.is_file():
            raise WordinfoError(f"data file {str(p)!r} not found: pass --data-dir, or --train and --test")
    return paths


def split_validation(texts: list[str], labels: list[int], fraction: float, seed: int = SPLIT_SEED):
    """Carve a validation split off a training set, with a fixed seed: ``(train, validation)`` pairs."""
    if not 0 < fraction < 1:
        raise WordinfoError(f"validation fraction must be between 0 and 1, got {fraction}")
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(fraction * len(texts)))
    if n_val >= len(texts):
        raise WordinfoError(f"too few examples ({len(texts)}) to carve a validation split")
    val, train = order[:n_val], order[n_val:]
    pick = lambda idx: ([texts[i] for i in idx], [labels[i] for i in idx])
    return pick(train), pick(val)
