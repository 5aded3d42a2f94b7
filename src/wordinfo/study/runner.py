"""``wordinfo study``: the paper's study, finding by finding, resumable, into one directory.

``DIR/study.json`` holds the plan and the time each finding took; ``DIR/findings/F*.json`` one
result each (written when the finding is done, so a study that stops is resumed at the
first finding without a result); ``DIR/models``, ``DIR/runs`` and ``DIR/predictions`` what
the findings computed from (corpus runs are ordinary run directories, resumable on their own);
``DIR/study.md``, ``DIR/study.html`` and ``DIR/figures`` the write-up, rewritten after every
finding so that a long study can be read while it runs.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import WordinfoError
from ..files import write_json
from .data import StudyData
from .finding import Result
from .findings import IDS, choose, finding
from .plan import Plan
from .write import write_report

LAYOUT = ("findings", "figures", "models", "runs", "predictions", "data")     # the folders of a study directory


def run_study(out: str | Path, quick: bool = False, families=None, n: int | None = None, findings=None,
              models_dir: str | Path | None = None, workers: int = 1, data_dir: str | Path | None = None,
              seed: int = 0, log: Callable[[str], None] = print, command: str | None = None) -> dict[str, Result]:
    """Run (or resume) the study into ``out``; returns the results by finding id (also written there)."""
    from ..runs.store import Lock

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise WordinfoError(f"--out {str(out)!r} is a file: give a directory")
    plan = Plan.make(out, quick, families, n, None if models_dir is None else str(models_dir), workers, seed)
    ids = choose(findings)
    if out.is_dir() and not (out / "study.json").is_file() and any(p.name != ".lock" for p in out.iterdir()):
        raise WordinfoError(f"{out} is not empty and holds no study: choose a new --out directory")
    out.mkdir(parents=True, exist_ok=True)
    with Lock(out):
        state = _state(out, plan, command)
        for sub in LAYOUT:
            (out / sub).mkdir(exist_ok=True)
        data = StudyData(plan, log, data_dir)
        saved = _saved(out)                      # what earlier calls finished: every finding's, for the write-up
        results: dict[str, Result] = {}
        for fid in ids:
            if fid in saved:
                results[fid] = saved[fid]
                log(f"{fid}: done before ({results[fid].verdict})")
                continue
            f = finding(fid)
            log(f"{fid}: {f.title} ...")
            started = time.time()
            result = f.measure(data)
            result.seconds = round(time.time() - started, 1)
            write_json(out / "findings" / f"{fid}.json", result.to_dict(), sort_keys=False)
            results[fid] = saved[fid] = result
            state["seconds"][fid] = result.seconds
            state.setdefault("settings", {})[fid] = plan.finding_settings()
            state.setdefault("models", {}).update(data.models)
            write_json(out / "study.json", state, sort_keys=False)
            log(f"{fid}: {result.verdict} ({result.seconds:.0f} s): {result.why}")
            write_report(out, plan, _in_order(saved), state)
        write_report(out, plan, _in_order(saved), state)
    return results


def _saved(out: Path) -> dict[str, Result]:
    """The results earlier calls left in the directory."""
    paths = {fid: out / "findings" / f"{fid}.json" for fid in IDS}
    return {fid: Result.from_dict(json.loads(p.read_text())) for fid, p in paths.items() if p.is_file()}


def _in_order(results: dict[str, Result]) -> dict[str, Result]:
    return {fid: results[fid] for fid in IDS if fid in results}


def _state(out: Path, plan: Plan, command: str | None) -> dict:
    """The directory's study.json: created, or checked against the plan (another study's directory is refused)."""
    path = out / "study.json"
    if path.is_file():
        state = json.loads(path.read_text())
        if state.get("format") != "wordinfo.study/1":
            raise WordinfoError(f"{path} is not a wordinfo study's: choose a new --out directory")
        old = state["plan"]
        diff = [k for k, v in plan.identity().items() if old.get(k) != v]
        if diff:
            raise WordinfoError(f"{out} holds a study with other settings ({', '.join(diff)}): resume it with its own "
                                "command, or choose a new --out directory")
        return state
    import torch
    state = {"format": "wordinfo.study/1", "plan": plan.to_dict(), "command": command,
             "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": {},
             "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                         "processor": platform.processor() or platform.machine(), "torch": torch.__version__}}
    write_json(path, state, sort_keys=False)
    return state
