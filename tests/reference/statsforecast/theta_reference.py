#!/usr/bin/env python3
"""DynamicOptimizedTheta reference (the shared harness has no Theta model): the same
split, scaling and metrics as ../shared/tools/reference_forecast.py, whose functions it
imports. Writes theta_daily.json and theta_daily_forecasts.csv.gz.

    /tmp/refenv/venv/bin/python tests/reference/statsforecast/theta_reference.py \
        ../shared/tools tests/reference/statsforecast/or_daily_top500.csv.gz 28 7 tests/reference/statsforecast/theta_daily
"""
import json
import sys
import time

tools, data, h, m, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, tools)
import pandas as pd  # noqa: E402
import reference_forecast as rf  # noqa: E402
from statsforecast import StatsForecast  # noqa: E402
from statsforecast.models import DynamicOptimizedTheta  # noqa: E402

df = rf.load(data, 0)
train, test, too_short = rf.split(df, h, m, m)
sc = rf.scales(train, m)
sf_train = pd.DataFrame({"unique_id": train["sku"].to_numpy(), "ds": train["step"].to_numpy(), "y": train["quantity"].to_numpy(dtype=float)})
t0 = time.perf_counter()
fc = StatsForecast(models=[DynamicOptimizedTheta(season_length=m)], freq=1, n_jobs=1).forecast(h=h, df=sf_train, level=[80])
wall = time.perf_counter() - t0
fc = fc.rename(columns={"unique_id": "sku", "ds": "step"})
fc["sku"] = fc["sku"].astype(str)
res = rf.evaluate(test, fc, "DynamicOptimizedTheta", sc, True)
res["wall_s"] = round(wall, 3)
json.dump({"h": h, "season": m, "models": {"DynamicOptimizedTheta": res}}, open(out + ".json", "w"), indent=2)
fc[["sku", "step", "DynamicOptimizedTheta"]].to_csv(out + "_forecasts.csv.gz", index=False, float_format="%.6g")
print(res)
