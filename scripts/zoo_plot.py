#!/usr/bin/env python3
"""Draws the zoo's scaling curves as one self-contained SVG (no plotting library):
left, held-out loss against training tokens for every model (its
zoo/<name>.gguf.log.jsonl); right, the final held-out loss per domain against
parameters for the trained models (`quantlab zoo --json`).

    scripts/zoo_plot.py [--quantlab build/bin/quantlab] [--dir zoo] [-o docs/zoo-scaling.svg]
"""
import argparse
import json
import math
import os
import subprocess
import sys

W, H = 980, 420
PANEL_W, PANEL_H = 400, 300
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def curve(path):
    points = []
    with open(path) as f:
        for line in f:
            if line.strip():
                j = json.loads(line)
                points.append((j["tokens"], j["val_loss"]))
    return points


def log_ticks(lo, hi):
    ticks, e = [], math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo <= v <= hi:
                ticks.append(v)
        e += 1
    return ticks


def human(v):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= div:
            return f"{v / div:g}{unit}"
    return f"{v:g}"


class Panel:
    def __init__(self, x0, y0, xlo, xhi, ylo, yhi, title, xlabel, ylabel):
        self.x0, self.y0 = x0, y0
        self.xlo, self.xhi, self.ylo, self.yhi = math.log10(xlo), math.log10(xhi), ylo, yhi
        self.out = [f'<text x="{x0 + PANEL_W / 2}" y="{y0 - 12}" text-anchor="middle" '
                    f'font-weight="bold">{title}</text>',
                    f'<rect x="{x0}" y="{y0}" width="{PANEL_W}" height="{PANEL_H}" '
                    'fill="none" stroke="#444"/>',
                    f'<text x="{x0 + PANEL_W / 2}" y="{y0 + PANEL_H + 36}" '
                    f'text-anchor="middle">{xlabel}</text>',
                    f'<text transform="translate({x0 - 42},{y0 + PANEL_H / 2}) rotate(-90)" '
                    f'text-anchor="middle">{ylabel}</text>']
        for t in log_ticks(xlo, xhi):
            x = self.px(t)
            self.out.append(f'<line x1="{x}" y1="{y0}" x2="{x}" y2="{y0 + PANEL_H}" stroke="#ddd"/>')
            self.out.append(f'<text x="{x}" y="{y0 + PANEL_H + 16}" text-anchor="middle" '
                            f'font-size="11">{human(t)}</text>')
        step = 0.5 if yhi - ylo > 2 else 0.25
        v = math.ceil(ylo / step) * step
        while v <= yhi + 1e-9:
            y = self.py(v)
            self.out.append(f'<line x1="{x0}" y1="{y}" x2="{x0 + PANEL_W}" y2="{y}" stroke="#ddd"/>')
            self.out.append(f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end" '
                            f'font-size="11">{v:g}</text>')
            v += step

    def px(self, v):
        return round(self.x0 + (math.log10(v) - self.xlo) / (self.xhi - self.xlo) * PANEL_W, 1)

    def py(self, v):
        return round(self.y0 + (self.yhi - v) / (self.yhi - self.ylo) * PANEL_H, 1)

    def line(self, points, color, label, legend_row, dots=False):
        path = " ".join(f"{self.px(x)},{self.py(y)}" for x, y in points)
        self.out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        if dots:
            for x, y in points:
                self.out.append(f'<circle cx="{self.px(x)}" cy="{self.py(y)}" r="3.5" fill="{color}"/>')
        ly = self.y0 + 14 + 16 * legend_row
        lx = self.x0 + PANEL_W - 110
        self.out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 18}" y2="{ly - 4}" '
                        f'stroke="{color}" stroke-width="3"/>')
        self.out.append(f'<text x="{lx + 24}" y="{ly}" font-size="12">{label}</text>')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quantlab", default="build/bin/quantlab")
    ap.add_argument("--dir", default="zoo")
    ap.add_argument("-o", "--output", default="docs/zoo-scaling.svg")
    a = ap.parse_args()
    zoo = json.loads(subprocess.check_output([a.quantlab, "zoo", "--dir", a.dir, "--json"]))
    curves = {}
    for m in zoo:
        log = os.path.join(a.dir, m["name"] + ".gguf.log.jsonl")
        if m["state"] != "missing" and os.path.exists(log) and curve(log):
            curves[m["name"]] = curve(log)
    trained = [m for m in zoo if m["state"] == "trained" and not m["moe"]]
    moes = [m for m in zoo if m["state"] == "trained" and m["moe"]]
    if not curves:
        sys.exit("zoo_plot: no training curves in " + a.dir)
    all_pts = [p for c in curves.values() for p in c]
    losses = [y for _, y in all_pts] + [v for m in trained for v in m["val_loss_by_domain"].values()]
    ylo, yhi = math.floor(min(losses) * 2) / 2, math.ceil(max(losses) * 2) / 2
    left = Panel(70, 50, min(x for x, _ in all_pts), max(x for x, _ in all_pts), ylo, yhi,
                 "held-out loss while training", "training tokens", "loss (nats/token)")
    for i, (name, pts) in enumerate(curves.items()):
        left.line(pts, COLORS[i % len(COLORS)], name, i)
    parts = left.out
    if trained:
        params = [m["params"] for m in trained + moes]
        right = Panel(560, 50, min(params) / 1.5, max(params) * 1.5, ylo, yhi,
                      "final held-out loss by size", "parameters", "loss (nats/token)")
        domains = sorted(trained[0]["val_loss_by_domain"])
        series = [("mean", [(m["params"], m["val_loss"]) for m in trained])]
        series += [(d, [(m["params"], m["val_loss_by_domain"][d]) for m in trained]) for d in domains]
        for i, (label, pts) in enumerate(series):
            right.line(pts, COLORS[i % len(COLORS)], label, i, dots=True)
        for m in moes:  # the MoE at its total size: one hollow point, mean loss
            x, y = right.px(m["params"]), right.py(m["val_loss"])
            right.out.append(f'<circle cx="{x}" cy="{y}" r="5" fill="none" stroke="{COLORS[0]}" '
                             'stroke-width="2"/>')
            right.out.append(f'<text x="{x - 8}" y="{y - 12}" font-size="11" text-anchor="end">'
                             f'{m["name"]} (total size, mean)</text>')
        parts += right.out
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="13"><rect width="{W}" height="{H}" fill="white"/>'
           + "\n".join(parts) + "</svg>\n")
    tmp = a.output + ".tmp"
    with open(tmp, "w") as f:
        f.write(svg)
    os.replace(tmp, a.output)
    print(f"zoo_plot: wrote {a.output} ({len(curves)} curves, {len(trained)} trained dense models)")


if __name__ == "__main__":
    main()
