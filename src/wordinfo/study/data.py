"""What the findings read: the trained models, their corpus runs and predictions, as tables.

:class:`StudyData` trains a model the first time a finding asks for it (or reuses the
checkpoint ``wordinfo train`` left, when its recipe is the default one), runs the default
solver over the task's sentences with :func:`wordinfo.run_corpus` (so every corpus run is an
ordinary, resumable run directory under ``DIR/runs``, readable by ``wordinfo summary``,
``query`` and ``report``), and turns runs into one pandas table of words per model. Nothing
here computes a finding.

The sentences: SST-2's first ``n`` test sentences; CoLA's first ``n/2`` of each GLUE dev half
(in-domain ``dev_in_domain.tsv`` and out-of-domain ``dev.tsv``), two runs per model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import numpy as np

from ..corpus import default_data_dir, read_labelled
from ..errors import WordinfoError
from ..files import write_text
from .plan import Plan

# eval set name -> file under the data directory (CoLA's GLUE dev is its two halves together)
EVAL_FILES = {"sst2": {"test": "sst2/test.tsv"},
              "cola": {"in-domain": "cola/dev_in_domain.tsv", "out-of-domain": "cola/dev.tsv"}}
TRAIN_FILES = {"sst2": "sst2/train.tsv", "cola": "cola/train.tsv"}

WORDS_SQL = """
SELECT w.run, w.sentence, w.layer, w.word_index, w.word, w.category, w.special, w.kept, w.bits_se,
       t.log_sigma, t.position, t.pieces
FROM words w
JOIN (SELECT run, sentence, layer, word_index, avg(ln(sigma)) AS log_sigma, min(position) AS position,
             count(*) AS pieces
      FROM tokens GROUP BY run, sentence, layer, word_index) t USING (run, sentence, layer, word_index)
WHERE w.layer IS NOT NULL
ORDER BY w.run, w.sentence, w.layer, w.word_index
"""


class StudyData:
    def __init__(self, plan: Plan, log: Callable[[str], None] = print, data_dir: str | Path | None = None):
        self.plan = plan
        self.log = log
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        for task in EVAL_FILES:
            for f in [TRAIN_FILES[task], *EVAL_FILES[task].values()]:
                if not (self.data_dir / f).is_file():
                    raise WordinfoError(f"data file {str(self.data_dir / f)!r} not found: the study reads SST-2 and "
                                        "CoLA from ../shared/data (or --data-dir DIR holding sst2/ and cola/)")
        self._words: dict = {}
        self._specs: dict = {}            # model name -> (task, arch, recipe overrides)
        self.models: dict = {}            # model name -> {"trained": here or before, "wall_time_s": its training's}

    # ---- names
    @property
    def classifiers(self) -> list[str]:
        return [f"{task}-{fam}" for task in EVAL_FILES for fam in self.plan.families]

    def of_task(self, task: str) -> list[str]:
        """The classifiers of one task ('sst2-bert', ...), in the families' order."""
        return [n for n in self.classifiers if n.startswith(task + "-")]

    @staticmethod
    def split(name: str) -> tuple[str, str]:
        task, arch = name.split("-", 1)
        return task, arch

    # ---- models
    def model(self, name: str, task: str | None = None, arch: str | None = None, recipe: dict | None = None,
              **train_options) -> Path:
        """The checkpoint of ``name``: reused when there, trained (with ``recipe`` over the defaults) when not."""
        from ..training.train import default_recipe, train
        if task is None:            # a model asked for by name alone: as it was first asked for, or a classifier
            task, arch, recipe = self._specs.get(name, (*self.split(name), None))
        self._specs[name] = (task, arch, recipe)
        path = self.plan.model_dir(name)
        wanted = {**default_recipe(task, arch).to_dict(), **self._quick_recipe(), **(recipe or {})}
        metrics = path / "metrics.json"
        if metrics.is_file():
            have = json.loads(metrics.read_text())
            if have.get("recipe") == wanted and have.get("seed") == self.plan.seed and \
                    have.get("data", {}).get("n_train", None) == self._n_train(task):
                self.models.setdefault(name, {"trained": "before", "wall_time_s": have.get("wall_time_s")})
                return path
            raise WordinfoError(f"{path} holds a {name} model trained with other settings: move it away, or give "
                                "the study another --models-dir")
        self.log(f"training {name} into {path}")
        files = {} if task == "reverse" else {"train_file": self._train_file(task),
                                             "test_file": self._eval_path(task, next(iter(EVAL_FILES[task])))}
        reverse = {"train_size": 1000, "val_size": 200, "test_size": 200} if self.plan.quick and task == "reverse" \
            else None
        report = train(task, arch, path, seed=self.plan.seed, recipe=wanted, reverse=reverse, progress=False,
                       log=lambda m: None, command=f"wordinfo study --out {self.plan.out}", **files, **train_options)
        self.models[name] = {"trained": "here", "wall_time_s": report["wall_time_s"]}
        return path

    def _quick_recipe(self) -> dict:
        return {"epochs": self.plan.epochs} if self.plan.epochs else {}

    def _n_train(self, task: str):
        """The training sentences ``wordinfo train`` keeps after carving off its validation split (its own rule)."""
        import inspect

        from ..training.data import split_validation
        from ..training.train import train
        if task == "reverse":
            return None
        fraction = inspect.signature(train).parameters["val_fraction"].default
        return len(split_validation(*read_labelled(self._train_file(task)), fraction)[0][0])

    def _train_file(self, task: str) -> Path:
        full = self.data_dir / TRAIN_FILES[task]
        if not self.plan.train_subset:
            return full
        path = self.plan.root / "data" / f"{task}-train-first-{self.plan.train_subset}.tsv"
        if not path.is_file():
            lines = full.read_text(encoding="utf-8").splitlines()[:self.plan.train_subset]
            write_text(path, "\n".join(lines) + "\n")
        return path

    def _eval_path(self, task: str, half: str) -> Path:
        return self.data_dir / EVAL_FILES[task][half]

    # ---- evaluation sets and predictions
    def eval_set(self, task: str, half: str, limit: int | None = None) -> tuple[list[str], np.ndarray]:
        texts, labels = read_labelled(self._eval_path(task, half))
        limit = limit or (200 if self.plan.quick else None)
        return texts[:limit], np.array(labels[:limit])

    def predictions(self, name: str, task: str, half: str) -> np.ndarray:
        """Predicted labels of model ``name`` on an evaluation half, cached in ``DIR/predictions``."""
        from ..files import write_json
        from ..training.predict import predictions
        cache = self.plan.root / "predictions" / f"{name}--{half}.json"
        if cache.is_file():
            return np.array(json.loads(cache.read_text()))
        texts, _ = self.eval_set(task, half)
        pred = predictions(self.model(name), texts)
        write_json(cache, pred.tolist(), indent=None)
        return pred

    # ---- corpus runs
    def pieces(self, task: str) -> list[tuple[str, Path, int]]:
        """(label, file, sentences) of a task's explained sentences."""
        n = self.plan.n
        if task == "sst2":
            return [("test", self._eval_path("sst2", "test"), n)]
        return [("in", self._eval_path("cola", "in-domain"), n // 2),
                ("out", self._eval_path("cola", "out-of-domain"), n - n // 2)]

    def runs(self, name: str, model: Path | None = None, task: str | None = None) -> list[Path]:
        """The run directories of model ``name`` over its task's sentences (explained now where not yet)."""
        from ..runs import run_corpus
        task = task or self.split(name)[0]
        model = model or self.model(name)
        out = []
        for label, path, limit in self.pieces(task):
            run_dir = self.plan.run_dir(f"{name}-{label}")
            if not _complete(run_dir, limit):
                self.log(f"explaining {limit} sentences of {path.name} with {name} into {run_dir}")
                run_corpus(path, run_dir, model=str(model), layers="all", target="tokens", limit=limit,
                           seed=self.plan.seed, solver="default", workers=self.plan.workers, progress=True,
                           log=lambda m: None, **self.plan.solver_options())
            out.append(run_dir)
        return out

    def words(self, name: str, **run_options) -> "pd.DataFrame":  # noqa: F821
        """One row per (sentence, layer, word) of model ``name``'s runs: kept bits, mean log sigma, category,
        position; ``sid`` names a sentence across runs, ``depth`` is layer / number of layers."""
        if name not in self._words:
            # a sentence's name is the same for every model: its task's piece ('test', 'in', 'out') and number
            self._words[name] = words_of(self.runs(name, **run_options), prefix=len(name) + 1)
        return self._words[name]

    def first_sentences(self, name: str, k: int = 1):
        """The Explanation of the first ``k`` sentences of model ``name``'s first run (tokens, sigma, error bars)."""
        from ..runs import open_run
        run = open_run(self.runs(name)[0])
        return run.explanation(run.sentence_ids(k))

    @property
    def reference(self) -> str:
        """The model of the findings about one model: SST-2's BERT (the paper's), else the first classifier."""
        return "sst2-bert" if "sst2-bert" in self.classifiers else self.classifiers[0]

    def encoder(self, name: str):
        """Model ``name`` as wordinfo's encoder (word vectors in, targets out)."""
        from ..models.resolve import resolve
        return resolve(str(self.model(name)))

    @cached_property
    def probe_file(self) -> Path:
        """F6's probe set: the SST-2 test sentences right after the ``n`` the corpus runs explain."""
        texts, _ = read_labelled(self._eval_path("sst2", "test"))
        path = self.plan.root / "data" / f"probe-{self.plan.probe_size}.txt"
        if not path.is_file():
            write_text(path, "\n".join(texts[self.plan.n:self.plan.n + self.plan.probe_size]) + "\n")
        return path


def words_of(runs: list[Path], prefix: int = 0) -> "pd.DataFrame":  # noqa: F821
    """The words table of some run directories (see :meth:`StudyData.words`); ``sid`` is the run's name from
    character ``prefix`` on, and the sentence number."""
    from ..summary import Workspace
    with Workspace(runs) as ws:
        df = ws.query(WORDS_SQL)
    df["sid"] = df["run"].astype(str).str[prefix:] + ":" + df["sentence"].astype(str)
    df["layer"] = df["layer"].astype(int)
    df["depth"] = df["layer"] / df["layer"].max()
    return df


def _complete(run_dir: Path, limit: int) -> bool:
    if not (run_dir / "manifest.json").is_file():
        return False
    from ..runs import open_run
    run = open_run(run_dir)
    return run.done >= min(limit, run.total)
