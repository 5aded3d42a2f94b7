"""A small synthetic corpus (with a sentence that tries to inject a script), for the run, report and worker tests."""

from __future__ import annotations

import random
from pathlib import Path

SCRIPT = "<script>window.__pwned=1</script> a great & \"quoted\" film"
WORDS = ["the", "film", "is", "a", "good", "bad", "great", "boring", "story", "and", "of", "with", "actors", "plot",
         "funny", "not", ",", "."]


def sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) for _ in range(n)]
    out[1] = SCRIPT
    return out


def write_tsv(path: Path, texts: list[str]) -> Path:
    """SST-2 layout: label, tab, text; no header."""
    path.write_text("".join(f"{i % 2}\t{t}\n" for i, t in enumerate(texts)), encoding="utf-8")
    return path
