"""The Python package: read_export, forecast, plan, errors, and the distributed
forecast on a Dask local cluster equal to the single-process one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import supplycast
from supplycast import SupplycastError

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def table(n_skus: int = 48, days: int = 160, seed: int = 3) -> pd.DataFrame:
    """Daily units of `n_skus` SKUs of different shapes: weekly cycles, new SKUs,
    intermittent ones, and two rows for one SKU and day (summed)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    rows = []
    for k in range(n_skus):
        first = (k * 5) % 60
        level = 1 + (k % 6) * 2.5
        for d in range(first, days):
            if k % 4 == 3 and rng.random() < 0.7:
                continue
            weekly = 0.4 if d % 7 in (5, 6) else 1.0
            rows.append((f"SKU-{k:03d}", start + pd.Timedelta(days=d), float(rng.poisson(level * weekly))))
    rows.append(("SKU-000", start + pd.Timedelta(days=100), 5.0))
    return pd.DataFrame(rows, columns=["sku", "date", "quantity"])


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return table()


@pytest.fixture(scope="module")
def single(sales) -> pd.DataFrame:
    return supplycast.forecast(sales, h=14)


def test_read_export_gives_the_cleaned_series_and_the_report():
    df = supplycast.read_export(FIXTURES / "online_retail_excerpt.csv")
    assert list(df.columns) == ["date", "sku", "quantity"]
    assert df.attrs["freq"] == "daily"
    report = df.attrs["report"]
    assert report["rows"] == 5000
    assert report["skus_in_file"] >= df["sku"].nunique() > 100
    # Every SKU runs from its first sale; quantities are units, never negative.
    assert (df["quantity"] >= 0).all()
    first = df[df["quantity"] > 0].groupby("sku")["date"].min()
    assert (df.groupby("sku")["date"].min() == first).all()
    # The same bytes, gzipped, give the same frame.
    import gzip

    raw = (FIXTURES / "online_retail_excerpt.csv").read_bytes()
    again = supplycast.read_export(gzip.compress(raw), name="excerpt.csv.gz")
    pd.testing.assert_frame_equal(df, again)


def test_forecast_gives_every_sku_h_periods_with_ordered_quantiles(sales, single):
    assert list(single.columns) == ["sku", "date", "point", "p10", "p50", "p90", "model"]
    skus = sorted(sales["sku"].unique())
    assert sorted(single["sku"].unique()) == skus
    assert (single.groupby("sku").size() == 14).all()
    assert single.attrs["failed"] == {}
    last = sales["date"].max()
    assert single["date"].min() == last + pd.Timedelta(days=1)
    assert single["date"].max() == last + pd.Timedelta(days=14)
    assert (single["p10"] <= single["p50"] + 1e-9).all()
    assert (single["p50"] <= single["p90"] + 1e-9).all()
    assert (single["model"].str.len() > 0).all()
    # A SKU selling ~13.5 a weekday is forecast at that level, not at zero.
    busy = single[single["sku"] == "SKU-005"]
    assert 6 < busy["point"].mean() < 20


def test_nixtla_columns_give_the_same_forecast(sales, single):
    nixtla = sales.rename(columns={"sku": "unique_id", "date": "ds", "quantity": "y"})
    pd.testing.assert_frame_equal(supplycast.forecast(nixtla, h=14), single, check_exact=True)


def test_the_distributed_forecast_equals_the_single_process_one(sales, single):
    dd = pytest.importorskip("dask.dataframe")
    from dask.distributed import Client, LocalCluster

    from supplycast import distributed

    # Shuffled rows, three partitions of the input, four of the SKUs, two worker
    # processes: the result must not depend on any of it.
    shuffled = sales.sample(frac=1.0, random_state=1).reset_index(drop=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster):
            got = distributed.forecast(dd.from_pandas(shuffled, npartitions=3), h=14, npartitions=4)
    pd.testing.assert_frame_equal(got, single, check_exact=True)


def test_bad_rows_are_refused_with_their_row_and_column(sales):
    bad = sales.head(20).copy()
    bad["date"] = bad["date"].astype(object)
    bad.loc[2, "date"] = "31/31/2024"
    with pytest.raises(SupplycastError, match=r"row 3 .*column date: '31/31/2024' is not a date"):
        supplycast.forecast(bad)
    bad = sales.head(20).copy()
    bad["quantity"] = bad["quantity"].astype(object)
    bad.loc[4, "quantity"] = "twelve"
    with pytest.raises(SupplycastError, match=r"row 5 .*column quantity: 'twelve' is not a number"):
        supplycast.forecast(bad)
    with pytest.raises(SupplycastError, match="expected columns sku, date, quantity"):
        supplycast.forecast(sales.rename(columns={"quantity": "units"}))
    with pytest.raises(SupplycastError, match="freq"):
        supplycast.forecast(sales, freq="fortnightly")
    with pytest.raises(SupplycastError, match="h = 0"):
        supplycast.forecast(sales, h=0)
    # A ValueError, as Python code expects of bad input.
    assert issubclass(SupplycastError, ValueError)


def test_a_bad_export_gives_the_apps_message():
    with pytest.raises(SupplycastError, match="empty.csv: the file is empty"):
        supplycast.read_export(b"   ", name="empty.csv")
    with pytest.raises(SupplycastError, match="cannot read the file"):
        supplycast.read_export("/nonexistent/orders.csv")


def test_plan_gives_the_purchase_list_with_the_merchants_stock(single):
    params = pd.DataFrame({"sku": ["SKU-005"], "on_hand": [500.0]})
    po = supplycast.plan(single, params=params)
    assert {"sku", "on_hand", "on_order", "order_qty", "order_value"} <= set(po.columns)
    # The purchase list holds the SKUs to order today: 500 units on hand cover far more
    # than SKU-005's lead time, while SKUs without stock must be ordered.
    listed = set(po["sku"])
    assert "SKU-005" not in listed
    assert listed <= set(single["sku"]) and len(listed) > 30
    assert (po["order_qty"] > 0).all()
    assert (po["on_hand"] == 0).all()
    with pytest.raises(SupplycastError, match="horizon_days"):
        supplycast.plan(single, horizon_days=-1)
    with pytest.raises(SupplycastError, match="on_hand"):
        supplycast.plan(single, params=pd.DataFrame({"sku": ["SKU-005"], "on_hand": [-3]}))
