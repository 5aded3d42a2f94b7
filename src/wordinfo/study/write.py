"""The study's write-up: ``study.md`` (for the repository's docs) and ``study.html`` (self-contained).

Both are made from one context: the plan, the protocol differences, a verdict table and one
section per finding ("the paper says", "we measured", tables, figures, the verdict). The HTML
is a Jinja2 template with autoescape on, its figures inlined as base64 PNG so the file works
offline; the Markdown links the PNGs in ``figures/``.
"""

from __future__ import annotations

import base64
from pathlib import Path

from ..files import write_text
from .finding import Result
from .plan import PROTOCOL, Plan


def _cell(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.0f}"
    return str(v).replace("|", "\\|")


def context(plan: Plan, results: dict[str, Result], state: dict) -> dict:
    total = sum(state.get("seconds", {}).values())
    return {"plan": plan, "protocol": PROTOCOL, "results": list(results.values()), "state": state,
            "hours": total / 3600, "command": state.get("command") or f"wordinfo study --out {plan.out}",
            "machine": state.get("machine", {}), "models": models_sentence(state.get("models", {}), plan)}


def models_sentence(models: dict, plan: Plan) -> str:
    """Which models the study trained (their time is in its wall time) and which it reused (theirs is not)."""
    parts = []
    for when, how in (("here", "trained by the study (counted in its wall time)"),
                      ("before", f"reused from {plan.models_dir or 'runs/models'}, trained before it (not counted)")):
        times = {n: m.get("wall_time_s") for n, m in sorted(models.items()) if m.get("trained") == when}
        if times:
            untimed = sum(not t for t in times.values())
            spent = f"{sum(t for t in times.values() if t) / 60:.0f} min of training" + \
                (f", {untimed} not timed" if untimed else "")
            parts.append(f"{len(times)} {how}: {spent} ({', '.join(times)})")
    return f"Models: {'; '.join(parts)}." if parts else ""


def markdown(ctx: dict) -> str:
    plan, lines = ctx["plan"], []
    lines += ["# The paper's study, reproduced with wordinfo", "",
              f"Guan et al. (ICML 2019), finding by finding. Made by `{ctx['command']}`"
              f"{' (quick: a test of the machinery, not of the paper)' if plan.quick else ''}; "
              f"{ctx['hours'] * 60:.0f} minutes of wall time in all on {ctx['machine'].get('cpus', '?')} CPU cores "
              f"({ctx['machine'].get('processor', '')}, torch {ctx['machine'].get('torch', '?')}). "
              f"{plan.n} sentences per task, seed {plan.seed}, the default solver at precision {plan.precision} "
              f"(at most {plan.max_samples} samples); families: {', '.join(plan.families)}. {ctx['models']}".rstrip(),
              "",
              "## Protocol: what differs from the paper", ""]
    lines += [f"- {p}" for p in ctx["protocol"]]
    lines += ["", "## Verdicts", "", "| finding | verdict | why |", "|---|---|---|"]
    lines += [f"| {r.id}: {r.title} | **{r.verdict}** | {_cell(r.why)} |" for r in ctx["results"]]
    for r in ctx["results"]:
        used = ctx["state"].get("settings", {}).get(r.id)
        used = f" Settings: {', '.join(f'{k} {v}' for k, v in used.items())}." if used else ""
        lines += ["", f"## {r.id}: {r.title}", "", f"**The paper says.** {r.paper}", "",
                  f"**We measured.** {r.how} ({r.seconds / 60:.1f} min.{used})", ""]
        for m in r.measured:
            unit = f" {m.unit}" if m.unit else ""
            lines.append(f"- {m.what}: **{m.interval.text()}**{unit} (n = {m.interval.n})")
        for name, t in r.tables.items():
            lines += ["", f"*{name}*", "", "| " + " | ".join(t["columns"]) + " |",
                      "|" + "---|" * len(t["columns"])]
            lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in t["rows"]]
        for f in r.figures:
            lines += ["", f"![{r.id}]({f})"]
        lines += ["", f"**Verdict: {r.verdict}.** {r.why}"]
    return "\n".join(lines) + "\n"


def write_report(out: Path, plan: Plan, results: dict[str, Result], state: dict) -> tuple[Path, Path]:
    from ..report.style import environment
    ctx = context(plan, results, state)
    md = write_text(Path(out) / "study.md", markdown(ctx))
    images = {f: _inline(Path(out) / f) for r in ctx["results"] for f in r.figures}
    html = environment().get_template("study.html.j2").render(**ctx, images=images, cell=_cell)
    return md, write_text(Path(out) / "study.html", html)


def _inline(path: Path) -> str | None:
    return base64.b64encode(path.read_bytes()).decode() if path.is_file() else None
