"""The pretrained model's tables (Markdown) from scripts/pretrained-bench.sh's JSON
(`supplycast bench-forecast --json` per shape: <name>.pre.json, cold starts
<name>.cold<K>.json) next to Fracast-0 (tests/reference/fracast/<name>.fracast.json,
made by run_fracast.py with the same metric definitions).
Usage: compare.py OUT_DIR name:h:season [...]"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1]
ROWS = ["pretrained", "pretrained-ft", "patchtst", "Auto+pretrained", "Auto+patchtst+pretrained",
        "Auto", "SeasonalNaive"]


def row(label, mase, sql, cov, wall):
    f = lambda v: "-" if v is None else f"{v:.3f}"
    w = "-" if wall is None else f"{wall:.1f}"
    print(f"| {label} | {f(mase)} | {f(sql)} | {f(cov)} | {w} |")


def fracast(name, cold=None):
    p = os.path.join(here, f"{name}{'_cold_context' if cold else ''}.fracast.json")
    if not os.path.exists(p):
        return None
    d = json.load(open(p))
    if cold is None:
        return d
    c = d.get("cold_start", {}).get(str(cold), {})
    return c


summary = []
for arg in sys.argv[2:]:
    name, h, season = arg.split(":")
    p = os.path.join(out, f"{name}.pre.json")
    if not os.path.exists(p):
        continue
    ours = json.load(open(p))
    by = {m["model"]: m for m in ours["models"]}
    print(f"\n### {name}: h = {h}, season {season}, {ours['series']} series\n")
    print("| model | MASE | scaled pinball | 80 % coverage | wall s |")
    print("|---|---|---|---|---|")
    for r in ROWS:
        if r in by:
            s = by[r]["summary"]
            row(r, s["mase"], s["sql_mean"], s["coverage80"], by[r]["wall_s"])
    fr = fracast(name)
    if fr:
        row("Fracast-0 (yardstick)", fr["mase"], fr["pinball"], fr["coverage80"], fr["wall_s"])
    best = min((m for m in ours["models"] if not m["model"].startswith("Auto")),
               key=lambda m: m["summary"]["mase"])
    pre = by.get("pretrained", {}).get("summary", {})
    summary.append((name, pre.get("mase"), pre.get("sql_mean"), fr and fr["mase"], fr and fr["pinball"],
                    by.get("Auto", {}).get("summary", {}).get("mase"),
                    by.get("Auto+pretrained", {}).get("summary", {}).get("mase"), best["model"]))

print("\n### Summary: zero-shot against Fracast-0 and the automatic choice\n")
print("| shape | pretrained MASE / pinball | Fracast-0 MASE / pinball | Auto MASE | Auto+pretrained MASE | best single (MASE) |")
print("|---|---|---|---|---|---|")
for name, pm, ps, fm, fs, am, apm, best in summary:
    f = lambda v: "-" if v is None else f"{v:.3f}"
    print(f"| {name} | {f(pm)} / {f(ps)} | {f(fm)} / {f(fs)} | {f(am)} | {f(apm)} | {best} |")

print("\n### Cold start: every SKU with only K periods of history (scale from those K)\n")
print("| shape | K | pretrained (zero-shot) | Auto (statistical, short history) | SeasonalNaive | Fracast-0 | series |")
print("|---|---|---|---|---|---|---|")
for name, k in [("daily", 28), ("daily", 56), ("weekly", 4), ("weekly", 8)]:
    p = os.path.join(out, f"{name}.cold{k}.json")
    if not os.path.exists(p):
        continue
    d = json.load(open(p))
    by = {m["model"]: m["summary"] for m in d["models"]}
    cell = lambda s: "-" if not s else f"{s['mase']:.3f} / {s['sql_mean']:.3f} / {s['coverage80']:.3f}"
    fr = fracast(name, k) or {}
    frs = fr.get("fracast")
    fcell = "-" if not frs or "mase" not in frs else f"{frs['mase']:.3f} / {frs['pinball']:.3f} / {frs['coverage80']:.3f}"
    print(f"| {name} | {k} | {cell(by.get('pretrained'))} | {cell(by.get('Auto'))} | {cell(by.get('SeasonalNaive'))} | {fcell} | {d['series']} |")
print("\nCells: MASE / scaled pinball / 80 % coverage.")
