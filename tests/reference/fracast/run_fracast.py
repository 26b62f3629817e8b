#!/usr/bin/env python3
"""Zero-shot reference run of the Fracast-0 foundation model (PyPI `fracast`).

What it does
  * Reads a long CSV `date,sku,quantity` (regular, zero-filled per series).
  * For every series holds out the last h periods; the context is everything before
    (truncated to --max-context, default = fracast's own maximum of 2048 periods).
  * Forecasts the h held-out periods zero-shot with Fracast-0 (bundled W8 weights by default,
    CPU, torch.set_num_threads(1)); point forecast = P50, 80 % interval = [P10, P90]
    (fracast returns the 9 quantiles 0.1 .. 0.9).
  * Scores them with the *same code* as the shared StatsForecast harness
    (/work/shared/tools/reference_forecast.py: `load`, `split`, `scales`, `evaluate` are
    imported from it, not copied): MASE / RMSSE scaled by the in-sample seasonal-lag
    MAE / MSE of the training part (lag = --season), scaled pinball loss averaged over
    q0.1/q0.5/q0.9 with the MASE scale, coverage80 = share of held-out values within
    [P10, P90]; series with a zero scale are left out of the scaled means exactly as there;
    series with len <= h + season are skipped exactly as there.
  * --cold-start K1,K2: additionally truncates each context to the last K periods before
    the held-out part (a new SKU with K periods of history) and reports the same metrics
    per K, still scaled by the FULL training part (so the numbers are comparable with the
    non-truncated run), plus a naive "mean-of-context" fallback on the same truncated
    context (flat mean of the K values; P10/P90 = empirical 10 %/90 % quantiles of them,
    numpy linear interpolation). Fracast refuses contexts with fewer than 8 finite values;
    for K < 8 its row is reported as not applicable.
  * --cold-scale context (default: full): the cold-start rows are instead scored with the scale
    of the K-period truncated training part, exactly as if the input file held only the last
    K+h periods of each series (as `supplycast bench-forecast FILE --history K` does): the
    harness's `split` + `scales` are run on that truncated frame (a series with fewer than K
    training periods keeps what it has). Series whose K-period scale is zero are left out of
    the scaled means by `evaluate` as in the harness (and still count in `series` / cov80
    there); `series_scaled` / `coverage80_scaled` are the same metrics with those series
    left out entirely (how the Rust bench skips them).
  * Wall time = fracast inference only (sum of forecast_batch calls; model load excluded).

Padding: fracast masks non-finite values. Contexts of different length in one batch are
left-padded with NaN; fracast itself left-pads every row to its 2048-step window with
(value 0, observed False), so a NaN-padded row gives exactly the same forecast as the row
alone up to float32 batch arithmetic (checked on 40 daily and 40 m3_monthly series: max
|batched - single| / max|context| <= 2.3e-7).

Fracast's weights are used here ONLY as an external yardstick. They are Apache-2.0 but are
never copied into, distilled into, or used as supplycast's weights.

fracast version used: 0.1.0 (torch 2.15.0+cu132 from PyPI, run on the CPU; Python 3.11.7),
W8 bundled checkpoint (fracast's default).

Exact command lines (run from /work/main, venv /tmp/refenv/venv):
  P="nice -n 5 /tmp/refenv/venv/bin/python tests/reference/fracast/run_fracast.py"
  $P /tmp/suite/daily.csv             --h 28 --season 6  --cold-start 28,56 --json-out tests/reference/fracast/daily.fracast.json
  $P /tmp/suite/weekly.csv            --h 8  --season 1  --cold-start 4,8   --json-out tests/reference/fracast/weekly.fracast.json
  $P /tmp/suite/daily.csv  --h 28 --season 6 --cold-start 28,56 --cold-scale context --json-out tests/reference/fracast/daily_cold_context.fracast.json
  $P /tmp/suite/weekly.csv --h 8  --season 1 --cold-start 4,8   --cold-scale context --json-out tests/reference/fracast/weekly_cold_context.fracast.json
  $P /tmp/suite/m3_monthly.csv        --h 18 --season 12 --json-out tests/reference/fracast/m3_monthly.fracast.json
  $P /tmp/suite/m3_quarterly.csv      --h 8  --season 4  --json-out tests/reference/fracast/m3_quarterly.fracast.json
  $P /tmp/suite/m1_monthly.csv        --h 18 --season 12 --json-out tests/reference/fracast/m1_monthly.fracast.json
  $P /tmp/suite/m1_quarterly.csv      --h 8  --season 4  --json-out tests/reference/fracast/m1_quarterly.fracast.json
  $P /tmp/suite/tourism_monthly.csv   --h 24 --season 12 --json-out tests/reference/fracast/tourism_monthly.fracast.json
  $P /tmp/suite/tourism_quarterly.csv --h 8  --season 4  --json-out tests/reference/fracast/tourism_quarterly.fracast.json
(the seasons are those recorded in /tmp/suite/<name>.ours.json and <name>.ref.json.)
"""
import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd

HARNESS_DIR = os.environ.get("REFERENCE_HARNESS_DIR", "/work/shared/tools")
sys.path.insert(0, HARNESS_DIR)
from reference_forecast import evaluate, load, scales, split  # noqa: E402  (shared metric code)

NAME = "fracast"
MIN_FINITE = 8  # fracast.inference._MIN_FINITE


def contexts_from_train(train, max_len):
    """sku -> float array of the last `max_len` training values (ordered by date)."""
    out = {}
    for sku, g in train.groupby("sku", sort=False):
        y = g["quantity"].to_numpy(dtype=np.float32)
        out[sku] = y[-max_len:] if max_len else y
    return out


def fracast_forecast(model, ctx, h, batch_size):
    """Returns ({sku: [h, 9] quantile array}, inference seconds)."""
    import torch
    skus = list(ctx)
    res, wall = {}, 0.0
    for i in range(0, len(skus), batch_size):
        chunk = skus[i:i + batch_size]
        T = max(len(ctx[s]) for s in chunk)
        batch = np.full((len(chunk), T), np.nan, dtype=np.float32)  # left-pad with NaN (masked)
        for r, s in enumerate(chunk):
            batch[r, T - len(ctx[s]):] = ctx[s]
        t0 = time.perf_counter()
        with torch.inference_mode():
            q = model.forecast_batch(batch, horizon=h)
        wall += time.perf_counter() - t0
        for r, s in enumerate(chunk):
            res[s] = q[r]
    return res, wall


def to_harness_frame(test, qmap, levels, name):
    """Quantile arrays -> the harness's forecast frame: sku, step, name, name-lo-80, name-hi-80."""
    i10, i50, i90 = (int(np.argmin(np.abs(np.asarray(levels) - q))) for q in (0.1, 0.5, 0.9))
    rows = []
    for sku, g in test.groupby("sku", sort=False):
        steps = g["step"].to_numpy()
        q = qmap[sku]
        rows.append(pd.DataFrame({"sku": sku, "step": steps, name: q[:, i50],
                                  f"{name}-lo-80": q[:, i10], f"{name}-hi-80": q[:, i90]}))
    return pd.concat(rows, ignore_index=True)


def mean_of_context_frame(test, ctx, name):
    rows = []
    for sku, g in test.groupby("sku", sort=False):
        c = np.asarray(ctx[sku], dtype=float)
        lo, hi = np.quantile(c, [0.1, 0.9])
        n = len(g)
        rows.append(pd.DataFrame({"sku": sku, "step": g["step"].to_numpy(), name: np.full(n, c.mean()),
                                  f"{name}-lo-80": np.full(n, lo), f"{name}-hi-80": np.full(n, hi)}))
    return pd.concat(rows, ignore_index=True)


def summarize(r, wall=None):
    out = {"series": r["n_series_evaluated"], "n_series_scale_zero": r["n_series_scale_zero"],
           "mase": r["MASE_mean"], "mase_median": r["MASE_median"], "rmsse": r["RMSSE_mean"],
           "pinball": r["SQL_mean_3q"], "sql": [r["SQL_0.1"], r["SQL_0.5"], r["SQL_0.9"]],
           "coverage80": r["coverage_80"], "mae": r["MAE_mean"], "rmse": r["RMSE_mean"]}
    if wall is not None:
        out["wall_s"] = round(wall, 3)
    return out


def score(test, fc, name, sc, wall, scaled_only):
    """The harness's `evaluate`; with scaled_only also re-run on the series with a non-zero
    scale only (zero-scale series skipped entirely, as the Rust bench does)."""
    out = summarize(evaluate(test, fc, name, sc, True), wall)
    if scaled_only:
        ok = sc.index[sc["scale_mae"] > 0]
        r = evaluate(test[test["sku"].isin(ok)], fc[fc["sku"].isin(ok)], name, sc.loc[ok], True)
        out["series_scaled"] = r["n_series_evaluated"]
        out["coverage80_scaled"] = r["coverage_80"]
        assert abs(r["MASE_mean"] - out["mase"]) < 1e-12 and abs(r["SQL_mean_3q"] - out["pinball"]) < 1e-12
    return out


def f3(x):
    return "-" if x is None else f"{x:.3f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--h", type=int, required=True)
    ap.add_argument("--season", type=int, required=True, help="season length = lag of the in-sample scale")
    ap.add_argument("--max-context", type=int, default=None, help="default: fracast's context_length (2048)")
    ap.add_argument("--cold-start", default=None, help="comma-separated K values, e.g. 28,56")
    ap.add_argument("--cold-scale", default="full", choices=["full", "context"],
                    help="scale of the cold-start metrics: the full training part (default) or the "
                         "K-period truncated training part (as if the file held only the last K+h periods)")
    ap.add_argument("--weights", default="w8", choices=["w8", "fp32"], help="bundled checkpoint (default w8, fracast's default)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--json-out")
    args = ap.parse_args()

    import torch
    import fracast
    from fracast import FracastModel

    torch.set_num_threads(1)
    h, m = args.h, args.season
    df = load(args.data, 0)
    train, test, too_short = split(df, h, m, m)
    sc = scales(train, m)

    t0 = time.perf_counter()
    model = FracastModel.from_pretrained(weights=args.weights, device="cpu")
    load_s = time.perf_counter() - t0
    max_ctx = min(args.max_context or model.context_length, model.context_length)
    if h > model.horizon:
        warnings.warn(f"h={h} > native horizon {model.horizon}: fracast rolls out median blocks")

    ctx = contexts_from_train(train, max_ctx)
    qmap, wall = fracast_forecast(model, ctx, h, args.batch_size)
    main_res = summarize(evaluate(test, to_harness_frame(test, qmap, model.quantiles, NAME), NAME, sc, True), wall)

    out = {"model": "fracast-0", "version": fracast.__version__, "data": args.data, "h": h, "season": m,
           "series": main_res["series"], "mase": main_res["mase"], "rmsse": main_res["rmsse"],
           "pinball": main_res["pinball"], "coverage80": main_res["coverage80"], "wall_s": main_res["wall_s"],
           "detail": main_res,
           "meta": {"weights": args.weights, "max_context": max_ctx, "native_horizon": model.horizon,
                    "quantiles": model.quantiles, "threads": torch.get_num_threads(),
                    "batch_size": args.batch_size, "model_load_s": round(load_s, 3),
                    "n_series_too_short": len(too_short),
                    "train_len_min": int(train.groupby("sku").size().min()),
                    "train_len_max": int(train.groupby("sku").size().max()),
                    "torch": torch.__version__, "numpy": np.__version__, "pandas": pd.__version__,
                    "python": platform.python_version(),
                    "metric_code": os.path.join(HARNESS_DIR, "reference_forecast.py"),
                    "point": "P50", "interval80": "[P10, P90]"},
           "cold_scale": args.cold_scale, "cold_start": {}}

    lines = [f"Data: `{args.data}`  h={h}  season={m}  series={main_res['series']} "
             f"(too short: {len(too_short)})  fracast {fracast.__version__} ({args.weights}), "
             f"max context {max_ctx}, threads {torch.get_num_threads()}", "",
             "| run | model | series | MASE | RMSSE | SQL q0.1/q0.5/q0.9 | scaled pinball | cov80 | wall s |",
             "|---|---|---|---|---|---|---|---|---|"]

    def row(run, name, r):
        if r is None or "error" in r:
            lines.append(f"| {run} | {name} | n/a: {r['error'] if r else ''} |  |  |  |  |  |  |")
            return
        lines.append(f"| {run} | {name} | {r['series']} | {f3(r['mase'])} | {f3(r['rmsse'])} | "
                     f"{'/'.join(f3(x) for x in r['sql'])} | {f3(r['pinball'])} | {f3(r['coverage80'])} | "
                     f"{r['wall_s'] if 'wall_s' in r else '-'} |")

    row(f"full (≤{max_ctx})", "fracast-0", main_res)

    if args.cold_start:
        for k in [int(x) for x in args.cold_start.split(",") if x.strip()]:
            if args.cold_scale == "context":
                # exactly as if the file held only the last K+h periods of each series
                dfk = df.groupby("sku", sort=False).tail(k + h).reset_index(drop=True)
                train_k, _, too_short_k = split(dfk, h, m, m)
                ksc = scales(train_k, m)
                ktest = test[test["sku"].isin(ksc.index)]
                kctx = {s: v for s, v in ctx.items() if s in ksc.index}
                for s in kctx:  # same context values as the truncated file's training part
                    assert np.array_equal(kctx[s][-k:], train_k.loc[train_k["sku"] == s, "quantity"]
                                          .to_numpy(dtype=np.float32))
                scale_desc = (f"in-sample seasonal-lag MAE/MSE of the last K={k} training periods "
                              f"(file cut to the last K+h periods)")
            else:
                ksc, ktest, kctx, too_short_k = sc, test, ctx, too_short
                scale_desc = "in-sample seasonal-lag MAE/MSE of the full training part"
            cctx = {s: v[-k:] for s, v in kctx.items()}
            entry = {"context_min": int(min(len(v) for v in cctx.values())), "context_max": k,
                     "scale": scale_desc, "cold_scale": args.cold_scale,
                     "n_series_too_short": len(too_short_k),
                     "n_series_scale_zero": int((ksc["scale_mae"] <= 0).sum())}
            scaled_only = args.cold_scale == "context"
            if k < MIN_FINITE:
                entry["fracast"] = {"error": f"fracast needs >= {MIN_FINITE} observations (K={k})"}
            else:
                q, w = fracast_forecast(model, cctx, h, args.batch_size)
                entry["fracast"] = score(ktest, to_harness_frame(ktest, q, model.quantiles, NAME),
                                         NAME, ksc, w, scaled_only)
            t1 = time.perf_counter()
            moc = mean_of_context_frame(ktest, cctx, "moc")
            w = time.perf_counter() - t1
            entry["mean-of-context"] = score(ktest, moc, "moc", ksc, w, scaled_only)
            out["cold_start"][str(k)] = entry
            tag = f"cold start K={k}" + (" (K-period scale)" if scaled_only else "")
            row(tag, "fracast-0", entry["fracast"])
            row(tag, "mean-of-context", entry["mean-of-context"])
            if scaled_only:
                for name in ("fracast", "mean-of-context"):
                    r = entry[name]
                    if "error" not in r:
                        lines.append(f"|  | {name}: {r['n_series_scale_zero']} zero-scale series; without them "
                                     f"series={r['series_scaled']} cov80={f3(r['coverage80_scaled'])} |"
                                     "  |  |  |  |  |  |  |")

    md = "\n".join(lines) + "\n"
    print(md)
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump(out, fh, indent=2)
            fh.write("\n")


if __name__ == "__main__":
    main()
