"""Public series for the pretraining corpus (issue 9), as long CSVs `date,sku,quantity`
that `supplycast pretrain --series FILE` reads through the app's own ingestion.

Sources (none of them is an evaluation set of ours or a reserved data set):
- tsibbledata 0.4.1 (GitHub snapshot cran/tsibbledata, GPL-3; the weights trained on it
  ship, the data do not): aus_retail (152 monthly retail turnover series, 1982-2018),
  PBS (monthly prescriptions by concession/type/ATC2, 1991-2008), aus_livestock
  (monthly slaughter counts by animal and state, 1976-2018); each also summed to whole
  quarters.
- M4 weekly training series (GitHub snapshot Mcompetitions/M4-methods,
  Dataset/Train/Weekly-train.csv, 359 series); M4-info.csv is absent from the snapshot,
  so the dates are made up (weeks from 2000-01-03): only the calendar's frequency matters.

    python make_public_series.py TSIBBLEDATA_DATA_DIR M4_WEEKLY_TRAIN_CSV OUT_DIR

needs pandas and pyreadr (pyreadr 0.5.x read the .rda files).
"""
import sys
from pathlib import Path

import pandas as pd
import pyreadr

src, m4, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)


def r_date(days):
    return pd.to_datetime(days, unit="D", origin="1970-01-01")


frames = []
ar = pyreadr.read_r(src / "aus_retail.rda")["aus_retail"]
frames.append(pd.DataFrame({"date": r_date(ar["Month"]), "sku": "retail " + ar["Series ID"].astype(str), "quantity": ar["Turnover"]}))
pbs = pyreadr.read_r(src / "PBS.rda")["PBS"]
key = "pbs " + pbs["Concession"].astype(str) + "/" + pbs["Type"].astype(str) + "/" + pbs["ATC2"].astype(str)
frames.append(pd.DataFrame({"date": r_date(pbs["Month"]), "sku": key, "quantity": pbs["Scripts"]}))
ls = pyreadr.read_r(src / "aus_livestock.rda")["aus_livestock"]
key = "livestock " + ls["Animal"].astype(str) + "/" + ls["State"].astype(str)
frames.append(pd.DataFrame({"date": r_date(ls["Month"]), "sku": key, "quantity": ls["Count"]}))
monthly = pd.concat(frames).dropna()
monthly["date"] = monthly["date"].dt.to_period("M").dt.to_timestamp()
monthly = monthly.groupby(["sku", "date"], as_index=False)["quantity"].sum()
monthly["quantity"] = monthly["quantity"].clip(lower=0)
monthly.to_csv(out / "public_monthly.csv", index=False, columns=["date", "sku", "quantity"], date_format="%Y-%m-%d")

q = monthly.assign(q=monthly["date"].dt.to_period("Q"))
n = q.groupby(["sku", "q"])["quantity"].transform("size")
quarterly = q[n == 3].groupby(["sku", "q"], as_index=False)["quantity"].sum()
quarterly["date"] = quarterly["q"].dt.to_timestamp()
quarterly.to_csv(out / "public_quarterly.csv", index=False, columns=["date", "sku", "quantity"], date_format="%Y-%m-%d")

w = pd.read_csv(m4)
rows = []
for _, r in w.iterrows():
    vals = r.iloc[1:].dropna().to_numpy()
    dates = pd.date_range("2000-01-03", periods=len(vals), freq="7D")
    rows.append(pd.DataFrame({"date": dates, "sku": "m4 " + str(r.iloc[0]), "quantity": vals}))
weekly = pd.concat(rows)
weekly.to_csv(out / "public_weekly.csv", index=False, date_format="%Y-%m-%d")
for name, d in [("monthly", monthly), ("quarterly", quarterly), ("weekly", weekly)]:
    print(f"{name}: {d['sku'].nunique()} series, {len(d)} periods")
