"""Prints the quality suite's tables (Markdown) from the JSON that `supplycast
bench-forecast --json` and `reference_forecast.py --json-out` wrote for each shape.
Usage: report.py OUT_DIR name:h [name:h ...]"""
import json
import os
import sys

out = sys.argv[1]
summary = []
for arg in sys.argv[2:]:
    name, h = arg.split(":")
    ours = json.load(open(os.path.join(out, f"{name}.ours.json")))
    ref = json.load(open(os.path.join(out, f"{name}.ref.json")))
    print(f"\n### {name}: h = {h}, season {ours['season']}, {ours['series']} series\n")
    print("| model | MASE | RMSSE | scaled pinball (P10/P50/P90 mean) | 80 % coverage | wall s |")
    print("|---|---|---|---|---|---|")
    singles = [m for m in ours["models"] if m["model"] != "Auto"]
    auto = next(m for m in ours["models"] if m["model"] == "Auto")
    for m in ours["models"]:
        s = m["summary"]
        label = "**automatic choice**" if m["model"] == "Auto" else m["model"]
        print(f"| {label} | {s['mase']:.3f} | {s['rmsse']:.3f} | {s['sql_mean']:.3f} | {s['coverage80']:.3f} | {m['wall_s']:.2f} |")
    refm = ref["models"]
    def get(model, key):
        r = refm.get(model)
        if not r or "error" in r:
            return None
        return r.get(key)
    for model in ["SeasonalNaive", "AutoETS"]:
        mase, rmsse = get(model, "MASE_mean"), get(model, "RMSSE_mean")
        sql = get(model, "SQL_mean_3q")
        cov = get(model, "coverage_80")
        wall = get(model, "wall_s")
        f = lambda v: "-" if v is None else f"{v:.3f}"
        print(f"| StatsForecast {model} | {f(mase)} | {f(rmsse)} | {f(sql)} | {f(cov)} | {f(wall)} |")
    best_mase = min(singles, key=lambda m: m["summary"]["mase"])
    best_sql = min(singles, key=lambda m: m["summary"]["sql_mean"])
    naive = sum(n for m, n in ours["choices"] if m == "Naive")
    a = auto["summary"]
    ets_wall = get("AutoETS", "wall_s")
    summary.append((name, a, best_mase, best_sql, naive, ours["naive_wins"], auto["wall_s"], ets_wall))
    picks = ", ".join(f"{m} {n}" for m, n in ours["choices"][:4])
    print(f"\nchosen: {picks}")
print("\n### Summary\n")
print("| shape | auto MASE | best single (MASE) | auto pinball | best single (pinball) | coverage | Naive chosen / wins | engine s | AutoETS s | speed-up |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name, a, bm, bq, naive, wins, t, ets in summary:
    speed = "-" if not ets else f"{ets / t:.1f}×"
    print(f"| {name} | {a['mase']:.3f} | {bm['model']} {bm['summary']['mase']:.3f} ({a['mase']/bm['summary']['mase']-1:+.1%}) | {a['sql_mean']:.3f} | {bq['model']} {bq['summary']['sql_mean']:.3f} ({a['sql_mean']/bq['summary']['sql_mean']-1:+.1%}) | {a['coverage80']:.3f} | {naive} / {wins} | {t:.1f} | {'-' if not ets else f'{ets:.1f}'} | {speed} |")
