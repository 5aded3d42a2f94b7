"""Per-sentence records of an evaluation on disk, so that a long run resumes and can be split in parts.

Each finished sentence is appended as one JSON line to ``OUT/records/<part>.jsonl``
(``all.jsonl`` for a whole run, ``part-I-of-K.jsonl`` for part ``I`` of ``K``) with its
word scores, timings and per-sentence metrics. A later run with the same settings reads
every ``*.jsonl`` there and explains only the sentences still missing; the parts of a
split run, made anywhere, are merged by running the whole evaluation once more on a
folder holding all their files. ``OUT/records/settings.json`` holds what the records
depend on; a folder holding another evaluation's records is refused.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

import numpy as np

from ..errors import WordinfoError
from ..files import plain, write_json


def fingerprint(model, texts: list[str], methods: list[str], settings: dict) -> dict:
    """What the records depend on: the model, the sentences (hashed), the methods and their settings."""
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    return {"model": str(model) if isinstance(model, (str, Path)) else type(model).__name__,
            "sentences": len(texts), "texts_sha256": digest, "methods": list(methods), **settings}


class RecordStore:
    """The records folder of one evaluation (``OUT/records``)."""

    def __init__(self, out: str | Path, finger: dict, part: tuple[int, int] | None = None):
        self.folder = Path(out) / "records"
        self.finger = json.loads(json.dumps(finger, default=str))
        self.path = self.folder / (f"part-{part[0]}-of-{part[1]}.jsonl" if part else "all.jsonl")
        settings = self.folder / "settings.json"
        if settings.is_file():
            saved = json.loads(settings.read_text())
            differ = sorted(k for k in set(saved) | set(self.finger) if saved.get(k) != self.finger.get(k))
            if differ:
                raise WordinfoError(f"{self.folder} holds the records of another evaluation (it differs in "
                                    f"{', '.join(differ)}): give another --out or remove that folder")
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_json(settings, self.finger, indent=1, sort_keys=False)

    def load(self) -> dict[int, dict]:
        """Every record already written, by sentence index (the first of duplicates wins)."""
        done: dict[int, dict] = {}
        for path in sorted(self.folder.glob("*.jsonl")):
            for line in path.read_text().splitlines():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:          # a line cut short by a kill: that sentence runs again
                    continue
                done.setdefault(int(obj["index"]), restore(obj))
        return done

    def append(self, record: dict) -> None:
        """One more line of ``<part>.jsonl``: appended, not rewritten (a killed run loses at most that line)."""
        line = json.dumps(plain({**record, "host": platform.node()}))
        with open(self.path, "a") as f:
            f.write(line + "\n")
            f.flush()


def restore(obj: dict) -> dict:
    """A record read back from JSON: score arrays (None as NaN), curves as arrays, percent keys as ints."""
    for rec in obj["methods"].values():
        rec["scores"] = np.array([[np.nan if v is None else v for v in row] for row in rec["scores"]], dtype=float)
        rec["seed_runs"] = []
        fa = rec.get("faithfulness")
        if fa:
            for key in ("deletion_curve", "insertion_curve"):
                fa[key] = np.asarray(fa[key], dtype=float)
            for key in ("comprehensiveness", "sufficiency"):
                fa[key] = {int(q): v for q, v in fa[key].items()}
        if "layer_rho" in rec:
            rec["layer_rho"] = [np.nan if v is None else v for v in rec["layer_rho"]]
        if "seed_rho" in rec:
            rec["seed_rho"] = [np.nan if v is None else v for v in rec["seed_rho"]]
    return obj
