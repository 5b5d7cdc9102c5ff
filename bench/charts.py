#!/usr/bin/env python3
"""Draws the charts of docs/benchmarks.md from the benchmark results (bench/results/*.json) as SVG.

Standard library only. Usage: python3 bench/charts.py [RESULTS_DIR [OUT_DIR]]
(defaults: bench/results and docs/img next to this script's module).
"""
import json
import math
import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "docs", "img")

ORGMESH = "#3b6ea5"
RAW = "#a9a9a9"
MET = "#4c9a5b"
MISSED = "#c0504d"
NEUTRAL = "#3b6ea5"
FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'
TITLES = {
    "heartbeat": "Heartbeat",
    "pipeline": "Pipeline / DM",
    "ask": "Ask (request/reply)",
    "tasks": "Task queue",
    "vault": "Secret fetch",
    "startup": "Start-up",
}


def load():
    out = {}
    for name in sorted(os.listdir(RESULTS)):
        if name.endswith(".json"):
            with open(os.path.join(RESULTS, name), encoding="utf-8") as f:
                d = json.load(f)
            out[d["bench"]] = d
    return out


def text(x, y, s, size=12, anchor="start", weight="normal", fill="#222"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{escape(s)}</text>')


def svg(width, height, body):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">\n<rect width="100%" height="100%" fill="white"/>\n'
            + "\n".join(body) + "\n</svg>\n")


def fmt(v):
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def grouped(title, subtitle, figures, path):
    """Two horizontal bars per figure, orgmesh and raw jnats, on one linear scale (figures share a unit)."""
    label_w, bar_w, right = max(180, 7 * max(len(f["label"]) for f in figures) + 16), 400, 90
    width = label_w + bar_w + right
    row = 44
    top = 70
    height = top + row * len(figures) + 20
    vmax = 1.22 * max(max(f["orgmesh"], f["raw"]) for f in figures) or 1
    body = [text(10, 22, title, 15, weight="bold"), text(10, 40, subtitle, 11, fill="#555")]
    body.append(f'<rect x="{label_w}" y="50" width="12" height="10" fill="{ORGMESH}"/>')
    body.append(text(label_w + 16, 59, "orgmesh", 11))
    body.append(f'<rect x="{label_w + 90}" y="50" width="12" height="10" fill="{RAW}"/>')
    body.append(text(label_w + 106, 59, "raw jnats, same run", 11))
    for i, f in enumerate(figures):
        y = top + i * row
        body.append(text(label_w - 8, y + 20, f["label"], 12, anchor="end"))
        for j, (key, color) in enumerate((("orgmesh", ORGMESH), ("raw", RAW))):
            w = bar_w * f[key] / vmax
            by = y + 4 + j * 16
            body.append(f'<rect x="{label_w}" y="{by}" width="{max(w, 1):.1f}" height="14" fill="{color}"/>')
            body.append(text(label_w + w + 4, by + 11, f"{fmt(f[key])} {f['unit']}", 10, fill="#333"))
        body.append(text(width - 6, y + 20, f"{f['ratio']:.2f}×", 12, anchor="end", weight="bold"))
    body.append(f'<line x1="{label_w}" y1="{top - 2}" x2="{label_w}" y2="{height - 16}" stroke="#333"/>')
    write(path, svg(width, height, body))


def ratios(data, path):
    """Every figure's ratio orgmesh / raw on a log scale around 1×, coloured by its target when it has one."""
    rows = []
    for bench in ["pipeline", "ask", "tasks", "heartbeat", "vault", "startup"]:
        if bench not in data:
            continue
        figs = data[bench]["figures"]
        if bench == "startup":
            figs = [f for f in figs if "no cache" in f["label"]]
        rows.append(("head", TITLES[bench]))
        for f in figs:
            rows.append(("fig", f))
    label_w, bar_w, right = 300, 420, 150
    width = label_w + bar_w + right
    row = 20
    top = 78
    height = top + row * len(rows) + 40
    lo, hi = math.log2(1 / 8), math.log2(16)

    def x(r):
        r = min(max(r, 2 ** lo), 2 ** hi)
        return label_w + bar_w * (math.log2(r) - lo) / (hi - lo)

    body = [text(10, 22, "orgmesh ÷ raw jnats, every figure (same run, log scale)", 15, weight="bold"),
            text(10, 40, "Throughput: right of 1× is faster than raw. Latency, CPU, memory, start time: "
                 "right of 1× is slower / bigger.", 11, fill="#555")]
    legend = [(MET, "target met"), (MISSED, "target missed"), (NEUTRAL, "no target set")]
    for k, (c, s) in enumerate(legend):
        body.append(f'<rect x="{label_w + k * 120}" y="50" width="12" height="10" fill="{c}"/>')
        body.append(text(label_w + 16 + k * 120, 59, s, 11))
    for t in [0.125, 0.25, 0.5, 1, 2, 4, 8, 16]:
        body.append(f'<line x1="{x(t):.1f}" y1="{top - 6}" x2="{x(t):.1f}" y2="{height - 32}" '
                    f'stroke="{"#333" if t == 1 else "#ddd"}" stroke-width="{1.5 if t == 1 else 1}"/>')
        body.append(text(x(t), height - 18, f"{t:g}×", 10, anchor="middle", fill="#555"))
    for i, (kind, v) in enumerate(rows):
        y = top + i * row
        if kind == "head":
            body.append(text(10, y + 14, v, 12, weight="bold"))
            continue
        f = v
        r = f["ratio"]
        color = NEUTRAL if f.get("met") is None else (MET if f["met"] else MISSED)
        x0, x1 = sorted((x(1), x(r)))
        body.append(text(label_w - 8, y + 14, f["label"], 11, anchor="end"))
        body.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 1):.1f}" height="12" fill="{color}"/>')
        if f.get("target") is not None:
            tx = x(f["target"])
            body.append(f'<line x1="{tx:.1f}" y1="{y + 1}" x2="{tx:.1f}" y2="{y + 19}" stroke="#000" '
                        f'stroke-dasharray="3,2"/>')
        note = f"{r:.2f}×"
        if f.get("target") is not None:
            note += f" (target {'≥' if f['higher_is_better'] else '≤'} {f['target']:g}×)"
        body.append(text(label_w + bar_w + 6, y + 14, note, 11))
    write(path, svg(width, height, body))


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)
    print("wrote", os.path.relpath(path))


def main():
    data = load()
    ratios(data, os.path.join(OUT, "bench-ratios.svg"))
    if "tasks" in data:
        grouped("Task queue throughput", "tasks/s, agents sharing one role queue, leaf → hub",
                data["tasks"]["figures"], os.path.join(OUT, "bench-tasks.svg"))
    lat = []
    if "pipeline" in data:
        p = {f["label"]: f for f in data["pipeline"]["figures"]}
        for pct in ("p50", "p99"):
            js = p.get(f"DM {pct} vs JetStream")
            rr = p.get(f"DM {pct} vs request/reply")
            if js:
                lat.append(dict(js, label=f"DM {pct} vs raw JetStream"))
            if rr:
                lat.append(dict(rr, label=f"DM {pct} vs raw request/reply"))
    if "ask" in data:
        lat += [f for f in data["ask"]["figures"] if f["unit"] == "ms" and "1 caller" in f["label"]]
    if lat:
        grouped("Latency leaf → hub → leaf", "ms, one message at a time; lower is better", lat,
                os.path.join(OUT, "bench-latency.svg"))
    if "heartbeat" in data:
        grouped("Heartbeat lateness", "ms from slot to arrival; lower is better",
                [f for f in data["heartbeat"]["figures"] if f["unit"] == "ms"],
                os.path.join(OUT, "bench-heartbeat.svg"))
    if "startup" in data:
        figs = data["startup"]["figures"]
        grouped("Start to ready, JVM", "ms; baseline: a bare JVM connecting a jnats client, same flags",
                [dict(f, label=f["label"].replace(" start to ready", "")) for f in figs if f["unit"] == "ms"],
                os.path.join(OUT, "bench-startup.svg"))
        grouped("Resident memory at ready, JVM", "MiB; baseline: a bare JVM connecting a jnats client",
                [dict(f, label=f["label"].replace(" RSS", "")) for f in figs if f["unit"] == "MiB"],
                os.path.join(OUT, "bench-rss.svg"))


if __name__ == "__main__":
    main()
