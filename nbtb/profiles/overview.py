"""`Profile.overview()`: where each step's time went, how busy the GPU was, and a plain verdict.

Breakdown (torch-tb-profiler's overall_parser, FORMATS.md §8): within each step, each role in
priority order Kernel > Memcpy > Memset > Communication > Runtime > DataLoader > CPU Exec gets the
time covered by its events (merged over all threads/streams) that no higher role covers; Other is
the rest of the step. A profile without step markers is one step, labelled -1, spanning its events.

GPU utilisation = time covered by at least one kernel within [first step start, last step end],
divided by that span; None without kernels.

Verdict, from the average step (shares of its Total):
- "input-bound"   when DataLoader ≥ INPUT_BOUND (20%); fraction = the DataLoader share.
- with GPU events: "compute-bound" when Kernel+Memcpy+Memset+Communication ≥ COMPUTE_BOUND (50%),
  fraction = that share; else "launch-bound" (the GPU mostly waits on the host), fraction =
  Runtime+CPU Exec+Other.
- without: "cpu-bound", fraction = the CPU Exec share.
steps_to_check: the slowest step, and the step where the verdict's roles took longest if another.

Top ops: self time = duration minus the time of direct children on the same lane (pid, tid),
summed per (role, name); the `top` largest per role.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .categories import KERNEL_CATS, ROLES, role

INPUT_BOUND = 0.20
COMPUTE_BOUND = 0.50
BREAKDOWN_COLUMNS = ROLES + ["Total"]
TOP_COLUMNS = ["category", "name", "calls", "self_us", "total_us"]
_GPU_ROLES = ["Kernel", "Memcpy", "Memset", "Communication"]
_HOST_ROLES = ["Runtime", "CPU Exec", "Other"]


@dataclass
class Overview:
    breakdown: pd.DataFrame  # index `step` (ints, then "average"); ROLES + Total, µs
    gpu_utilization: float | None
    verdict: str
    fraction: float
    steps_to_check: list
    top_ops: pd.DataFrame  # category, name, calls, self_us, total_us

    def to_dict(self) -> dict:
        """JSON-safe: plain lists, floats (NaN → None), strings."""
        rows = [[_num(v) for v in row] for row in self.breakdown.to_numpy().tolist()]
        return {
            "columns": list(self.breakdown.columns),
            "steps": [s if isinstance(s, str) else int(s) for s in self.breakdown.index.tolist()],
            "rows": rows,
            "gpu_utilization": _num(self.gpu_utilization),
            "verdict": self.verdict,
            "fraction": _num(self.fraction),
            "steps_to_check": [int(s) for s in self.steps_to_check],
            "thresholds": {"input_bound": INPUT_BOUND, "compute_bound": COMPUTE_BOUND},
            "top_ops": [{"category": r[0], "name": r[1], "calls": int(r[2]), "self_us": _num(r[3]),
                         "total_us": _num(r[4])} for r in self.top_ops.itertuples(index=False, name=None)],
        }

    def _repr_html_(self) -> str:
        e = html.escape
        util = "n/a (no GPU events)" if self.gpu_utilization is None else f"{self.gpu_utilization:.1%}"
        check = ", ".join(str(s) for s in self.steps_to_check) or "–"
        head = "".join(f"<th>{e(str(c))}</th>" for c in ["step"] + list(self.breakdown.columns))
        body = "".join(
            "<tr>" + f"<td>{e(str(step))}</td>" + "".join(f"<td>{v:,.1f}</td>" for v in row) + "</tr>"
            for step, row in zip(self.breakdown.index.tolist(), self.breakdown.to_numpy().tolist()))
        tops = "".join(
            f"<tr><td>{e(c)}</td><td>{e(n)}</td><td>{k}</td><td>{s:,.1f}</td><td>{t:,.1f}</td></tr>"
            for c, n, k, s, t in self.top_ops.itertuples(index=False, name=None))
        return (f"<div class='nbtb-overview'><p><b>{e(self.verdict)}</b> ({self.fraction:.1%} of step time); "
                f"GPU utilization {e(util)}; steps to check: {e(check)}</p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"<p>Top ops by self time (µs)</p><table><thead><tr><th>category</th><th>name</th>"
                f"<th>calls</th><th>self_us</th><th>total_us</th></tr></thead><tbody>{tops}</tbody></table></div>")


def _num(v):
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else v


def overview(profile, top: int = 10) -> Overview:
    tl = profile.timeline
    ts = tl["ts"].to_numpy()
    end = ts + tl["dur"].to_numpy()
    roles = _roles(tl)
    steps = profile.steps
    if steps.empty:
        involved = roles >= 0
        lo = float(ts[involved].min()) if involved.any() else 0.0
        hi = float(end[involved].max()) if involved.any() else 0.0
        labels, s_start, s_end = [-1], np.array([lo]), np.array([hi])
    else:
        labels = steps["step"].tolist()
        s_start, s_end = steps["start"].to_numpy(), steps["end"].to_numpy()

    table = np.zeros((len(labels), len(ROLES) + 1))
    table[:, -1] = s_end - s_start
    covered_before = np.zeros(len(labels))
    for k, name in enumerate(ROLES[:-1]):
        # U_k = union of roles 0..k: role k's own time is what U_k covers beyond U_{k-1}
        mine = (roles >= 0) & (roles <= k)
        union = _merge(ts[mine], end[mine])
        covered = _covered(union, s_start, s_end)
        table[:, k] = covered - covered_before
        covered_before = covered
    table[:, len(ROLES) - 1] = table[:, -1] - covered_before  # Other
    frame = pd.DataFrame(table, columns=BREAKDOWN_COLUMNS, index=pd.Index(labels, name="step", dtype=object))
    average = frame.mean(axis=0) if len(frame) else pd.Series(0.0, index=BREAKDOWN_COLUMNS)
    frame.loc["average"] = average
    frame.index.name = "step"

    cats = tl["cat"].to_numpy()
    kernel = np.isin(cats, list(KERNEL_CATS))
    util = None
    if kernel.any():
        span = float(s_end[-1] - s_start[0])
        busy = _covered(_merge(ts[kernel], end[kernel]), s_start[:1], s_end[-1:])[0]
        util = busy / span if span > 0 else None

    has_gpu = bool((roles >= 0).any() and (roles[roles >= 0] <= ROLES.index("Memset")).any()) or kernel.any()
    verdict, fraction, verdict_roles = _verdict(average, has_gpu)
    return Overview(breakdown=frame, gpu_utilization=util, verdict=verdict, fraction=fraction,
                    steps_to_check=_steps_to_check(frame.drop(index="average"), verdict_roles),
                    top_ops=_top_ops(tl, roles, top))


def _roles(tl: pd.DataFrame) -> np.ndarray:
    """Role index per event (position in ROLES), -1 for events outside the breakdown."""
    if tl.empty:
        return np.zeros(0, dtype=np.int64)
    cat_codes, cat_values = pd.factorize(tl["cat"])
    name_codes, name_values = pd.factorize(tl["name"])
    combo = cat_codes.astype(np.int64) * max(len(name_values), 1) + name_codes
    uniq, inverse = np.unique(combo, return_inverse=True)
    index = {r: i for i, r in enumerate(ROLES)}
    per_unique = np.array([index.get(role(str(cat_values[u // max(len(name_values), 1)]),
                                          str(name_values[u % max(len(name_values), 1)])), -1)
                           for u in uniq.tolist()], dtype=np.int64)
    return per_unique[inverse.reshape(-1)]


def _merge(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint, sorted intervals covering the union of [start, end)."""
    if not len(start):
        return np.zeros(0), np.zeros(0)
    order = np.argsort(start, kind="stable")
    s, e = start[order], end[order]
    reach = np.maximum.accumulate(e)
    new = np.ones(len(s), dtype=bool)
    new[1:] = s[1:] > reach[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, len(s) - 1)
    return s[first], reach[last]


def _covered(union: tuple[np.ndarray, np.ndarray], lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """How much of each [lo, hi) the disjoint sorted intervals cover."""
    s, e = union
    if not len(s):
        return np.zeros(len(lo))
    before = np.concatenate([[0.0], np.cumsum(e - s)])

    def upto(x):  # covered length within (-inf, x]
        j = np.searchsorted(s, x, side="right")
        prev = np.clip(j - 1, 0, len(s) - 1)
        part = np.where(j > 0, np.clip(np.minimum(x, e[prev]) - s[prev], 0, None), 0.0)
        return before[np.maximum(j - 1, 0)] * (j > 0) + part

    return np.maximum(upto(np.asarray(hi, float)) - upto(np.asarray(lo, float)), 0.0)


def _verdict(average: pd.Series, has_gpu: bool) -> tuple[str, float, list[str]]:
    total = float(average["Total"])
    if total <= 0:
        return ("cpu-bound" if not has_gpu else "launch-bound"), 0.0, []
    share = lambda cols: float(sum(average[c] for c in cols)) / total  # noqa: E731
    if share(["DataLoader"]) >= INPUT_BOUND:
        return "input-bound", share(["DataLoader"]), ["DataLoader"]
    if not has_gpu:
        return "cpu-bound", share(["CPU Exec"]), ["CPU Exec"]
    if share(_GPU_ROLES) >= COMPUTE_BOUND:
        return "compute-bound", share(_GPU_ROLES), _GPU_ROLES
    return "launch-bound", share(_HOST_ROLES), _HOST_ROLES


def _steps_to_check(steps: pd.DataFrame, verdict_roles: list[str]) -> list[int]:
    labels = steps.index.tolist()
    if not labels or labels == [-1]:
        return []
    slowest = labels[int(np.argmax(steps["Total"].to_numpy()))]
    out = [int(slowest)]
    if verdict_roles:
        worst = labels[int(np.argmax(steps[verdict_roles].sum(axis=1).to_numpy()))]
        if worst != slowest:
            out.append(int(worst))
    return out


def _self_times(tl: pd.DataFrame) -> np.ndarray:
    """dur minus the durations of direct children (events nested on the same lane), clipped at 0.

    Events are sorted by (pid, tid, ts, -dur), so one stack walk per lane finds each event's parent.
    """
    pid = tl["pid"].to_numpy().tolist()
    tid = tl["tid"].to_numpy().tolist()
    ts = tl["ts"].to_numpy().tolist()
    dur = tl["dur"].to_numpy().tolist()
    child = [0.0] * len(ts)
    stack: list[int] = []  # indices of open events on the current lane
    lane = None
    for i in range(len(ts)):
        here = (pid[i], tid[i])
        if here != lane:
            stack.clear()
            lane = here
        t = ts[i]
        while stack and ts[stack[-1]] + dur[stack[-1]] <= t:
            stack.pop()
        if stack:
            parent = stack[-1]
            # a child reaching past its parent's end counts only inside the parent
            child[parent] += min(t + dur[i], ts[parent] + dur[parent]) - t
        stack.append(i)
    return np.maximum(np.asarray(dur) - np.asarray(child), 0.0)


def _top_ops(tl: pd.DataFrame, roles: np.ndarray, top: int) -> pd.DataFrame:
    if tl.empty or not (roles >= 0).any():
        return pd.DataFrame({c: [] for c in TOP_COLUMNS}).astype(
            {"calls": np.int64, "self_us": np.float64, "total_us": np.float64})
    keep = roles >= 0
    # step markers, GPU mirrors of annotations and the profiler's span are not ops: left out of the
    # nesting too, or a kernel exactly as long as its step's GPU mirror could lose its self time
    ops = tl[keep]
    frame = pd.DataFrame({"category": np.array(ROLES, dtype=object)[roles[keep]],
                          "name": ops["name"].to_numpy(), "self_us": _self_times(ops),
                          "total_us": ops["dur"].to_numpy()})
    grouped = frame.groupby(["category", "name"], sort=False).agg(
        calls=("self_us", "size"), self_us=("self_us", "sum"), total_us=("total_us", "sum")).reset_index()
    grouped["rank"] = grouped["category"].map({r: i for i, r in enumerate(ROLES)})
    grouped = grouped.sort_values(["rank", "self_us", "name"], ascending=[True, False, True], kind="stable")
    grouped = grouped.groupby("category", sort=False).head(top)
    out = grouped[TOP_COLUMNS].reset_index(drop=True)
    out["calls"] = out["calls"].astype(np.int64)
    out["self_us"] = out["self_us"].round(6)  # drop float noise from the subtractions (ps resolution)
    return out
