#!/usr/bin/env python3
"""SESOpt (SimpleExponentialSmoothingOptimized) and CrostonSBA references, which the shared
harness does not run: the same split as ../shared/tools/reference_forecast.py (whose
functions it imports), forecasts written with 10 significant digits to
ses_sba_daily_forecasts.csv.gz.

    /tmp/refenv/venv/bin/python tests/reference/statsforecast/ses_sba_reference.py \
        ../shared/tools tests/reference/statsforecast/or_daily_top500.csv.gz 28 7 tests/reference/statsforecast/ses_sba_daily
"""
import sys

tools, data, h, m, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, tools)
import pandas as pd  # noqa: E402
import reference_forecast as rf  # noqa: E402
from statsforecast import StatsForecast  # noqa: E402
from statsforecast.models import CrostonSBA, SimpleExponentialSmoothingOptimized  # noqa: E402

df = rf.load(data, 0)
train, test, too_short = rf.split(df, h, m, m)
sf_train = pd.DataFrame({"unique_id": train["sku"].to_numpy(), "ds": train["step"].to_numpy(), "y": train["quantity"].to_numpy(dtype=float)})
models = [SimpleExponentialSmoothingOptimized(alias="SESOpt"), CrostonSBA()]
fc = StatsForecast(models=models, freq=1, n_jobs=1).forecast(h=h, df=sf_train)
fc = fc.rename(columns={"unique_id": "sku", "ds": "step"})
fc["sku"] = fc["sku"].astype(str)
fc[["sku", "step", "SESOpt", "CrostonSBA"]].to_csv(out + "_forecasts.csv.gz", index=False, float_format="%.10g")
print(len(fc), "rows")
