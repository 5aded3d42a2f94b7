"""What the study runs: which models, which sentences, which solver settings, full or quick.

A :class:`Plan` is plain data, saved as ``DIR/study.json``: a second ``wordinfo study`` with
the same directory resumes it, and one with other settings is refused (as ``wordinfo run``
refuses a directory that holds another run). ``--quick`` shrinks every stage so the whole
study runs in minutes (CI): small training subsets for one epoch, a handful of sentences, a
looser precision. Its numbers test the machinery, not the paper.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import WordinfoError

TASKS = ("sst2", "cola")
FAMILIES = ("bert", "transformer", "lstm", "cnn")
REVERSE = ("lstm", "transformer")


@dataclass
class Plan:
    out: str
    quick: bool = False
    families: tuple[str, ...] = FAMILIES
    n: int = 64                          # sentences explained per task (CoLA: half from each GLUE dev half)
    seed: int = 0
    precision: float = 0.03              # the default solver's target standard error of each sigma
    max_samples: int = 256
    models_dir: str | None = None        # where trained models live (reused when their recipe matches)
    train_subset: int | None = None      # quick: train on the first N training sentences only
    epochs: int | None = None            # quick: this many epochs for every model
    probe_size: int = 3                  # F6: sentences explained before training and after every epoch
    probe_epochs: int = 4                # F6: epochs of each family's probed training
    reverse_sentences: int = 16          # F8: reverse-task sequences
    bad_lr_factor: float = 30.0          # F7: the too-large learning rate, times the family's default
    bad_lr_family: str = "cnn"
    bootstrap: int = 2000                # bootstrap resamples of each interval
    workers: int = 1                     # Ray actors for the corpus runs (1: this process)
    notes: dict = field(default_factory=dict)

    @classmethod
    def make(cls, out, quick: bool = False, families=None, n: int | None = None, models_dir=None,
             workers: int = 1, seed: int = 0) -> "Plan":
        families = tuple(FAMILIES if not families else families)
        unknown = [f for f in families if f not in FAMILIES]
        if unknown:
            raise WordinfoError(f"unknown model family {unknown[0]!r} (--models): use {', '.join(FAMILIES)}")
        if n is not None and n < 4:
            raise WordinfoError(f"--n must be at least 4 (two sentences from each CoLA half), got {n}")
        if quick:
            return cls(str(out), True, families, n or 4, seed, precision=0.15, max_samples=32,
                       models_dir=models_dir, train_subset=320, epochs=1, probe_size=2, probe_epochs=2,
                       reverse_sentences=2, bootstrap=200, workers=workers)
        return cls(str(out), False, families, n or 64, seed, models_dir=models_dir, workers=workers)

    # ---- where things are
    @property
    def root(self) -> Path:
        return Path(self.out)

    def model_dir(self, name: str) -> Path:
        """A model's checkpoint: the shared ``runs/models/NAME`` of ``wordinfo train`` for the full study (so a
        model trained once serves both), the study's own folder for quick models and the study's own variants."""
        if self.quick or name.startswith(("f6-", "f7-")):
            return self.root / "models" / name
        return Path(self.models_dir or "runs/models") / name

    def run_dir(self, name: str) -> Path:
        return self.root / "runs" / name

    def solver_options(self) -> dict:
        return {"precision": self.precision, "max_samples": self.max_samples}

    # ---- identity
    def to_dict(self) -> dict:
        d = asdict(self)
        d["families"] = list(self.families)
        return d

    def identity(self) -> dict:
        """What must match for a directory to be resumed: what the shared models and corpus runs depend on (the
        output path, the worker count and the settings of single findings, :data:`FINDING_SETTINGS`, may change;
        each finding's result records the ones it ran with)."""
        d = self.to_dict()
        for k in ("out", "workers", "notes", "models_dir", *FINDING_SETTINGS):
            d.pop(k)
        return d

    def finding_settings(self) -> dict:
        return {k: getattr(self, k) for k in FINDING_SETTINGS}


# settings that only some findings read, recorded with each finding's result rather than fixed for the directory
FINDING_SETTINGS = ("probe_size", "probe_epochs", "reverse_sentences", "bad_lr_factor", "bad_lr_family", "bootstrap")


# What the study does differently from the paper: printed at the top of study.md
PROTOCOL = [
    "MiniLM-L6 (all-MiniLM-L6-v2: 6 layers, 384 wide, a distilled BERT) stands in for BERT-base (12 layers, 768 "
    "wide); layers are compared at the same depth l/L so that 6 and 12 layers line up.",
    "The Transformer, LSTM and CNN read MiniLM's WordPiece tokens and start from its 384-d word embeddings, kept "
    "frozen (the paper trains its own); their perturbed input x is the token embeddings, so the three share one "
    "input space and one bound on sigma.",
    "What is perturbed: for BERT (MiniLM) the embedding block's output (word + position + segment embeddings "
    "after LayerNorm), as in the authors' BERT code; for the other families the token embeddings.",
    "No QQP data is at hand here: the study covers SST-2 and CoLA (CoLA on GLUE's dev set, both halves). "
    "wordinfo explains sentence pairs, so a pair TSV can be added once one is available.",
    "Every sigma comes from wordinfo's default solver (a precision target per word, error bars), not the "
    "authors' 5,000 Adam steps; sigma_S is calibrated on the bundled sample of sentences.",
    "Intervals are 95% percentile bootstraps over sentences (paired across models where models are compared: "
    "every model explains the same sentences), unless a row says otherwise.",
]
