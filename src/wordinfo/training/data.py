"""The labelled data sets: SST-2 and CoLA as TSV files, where they are, and the validation split.

The project's data sit beside its checkout, in ``../shared/data`` (read-only, never
copied in). A TSV has one example per line, a 0/1 label and a text in either order
(SST-2: label first; CoLA: text first), no header; the label column is found by
looking at the file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

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


def default_data_dir() -> Path:
    """``../shared/data`` seen from the working directory, else from the checkout this package lives in."""
    candidates = [Path.cwd() / ".." / "shared" / "data",
                  Path(__file__).resolve().parents[3] / ".." / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    raise WordinfoError("data directory ../shared/data not found: pass --data-dir, or --train and --test")


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


def read_tsv(path: str | Path) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels of a two-column TSV, label first or last (found from the first rows)."""
    path = Path(path)
    try:
        lines = [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError as e:
        raise WordinfoError(f"cannot read {str(path)!r}: {e.strerror}") from None
    rows = [line.split("\t") for line in lines]
    bad = next((i for i, r in enumerate(rows) if len(r) != 2), None)
    if bad is not None:
        raise WordinfoError(f"{path}, line {bad + 1}: expected two tab-separated columns (label and text)")
    if not rows:
        raise WordinfoError(f"{path} has no examples")
    first = [r[0].strip() for r in rows]
    label_col = 0 if all(v in ("0", "1") for v in first) else 1
    texts, labels = [], []
    for i, r in enumerate(rows):
        label, text = r[label_col].strip(), r[1 - label_col].strip()
        if label not in ("0", "1"):
            raise WordinfoError(f"{path}, line {i + 1}: label must be 0 or 1, got {label[:20]!r}")
        if not text:
            raise WordinfoError(f"{path}, line {i + 1}: empty text")
        texts.append(text)
        labels.append(int(label))
    return texts, labels


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
