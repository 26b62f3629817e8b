"""supplycast: demand forecasting and replenishment planning, the Rust core from Python.

    import supplycast
    sales = supplycast.read_export("orders.csv")        # date, sku, quantity
    fc = supplycast.forecast(sales)                      # sku, date, point, p10, p50, p90, model
    po = supplycast.plan(fc, params="parameters.csv")    # the purchase list

`forecast` also takes Nixtla's `unique_id, ds, y`. The same forecast on a Dask cluster,
partitioned by SKU: `supplycast.distributed.forecast`. Errors are `SupplycastError`
(a `ValueError`) with the messages the app and the command line give.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from typing import Optional, Union

import numpy as np
import pandas as pd

from . import _frame, _native
from ._native import SupplycastError

__all__ = ["SupplycastError", "read_export", "forecast", "plan"]

PathOrBytes = Union[str, "os.PathLike[str]", bytes]


def _read(source: PathOrBytes, name: Optional[str]) -> tuple[str, bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, label = bytes(source), name or "export"
    else:
        label = name or os.fspath(source)
        try:
            with open(source, "rb") as f:
                data = f.read()
        except OSError as e:
            raise SupplycastError(f"{label}: cannot read the file: {e.strerror}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise SupplycastError(f"{label}: the gzip file is damaged: {e}") from None
    return label, data


def read_export(
    source: PathOrBytes, freq: Optional[str] = None, name: Optional[str] = None
) -> pd.DataFrame:
    """A shop's order or sales export (Shopify, WooCommerce, a long or wide table; plain
    or gzipped) cleaned as the app cleans it, as one row per SKU and period: `date, sku,
    quantity` from each SKU's first sale. `freq` is the finest period wanted (daily by
    default; a weekly or monthly file keeps its own). The cleaning report is in
    `.attrs["report"]` and the period in `.attrs["freq"]`."""
    label, data = _read(source, name)
    (skus, codes, days, qty), freq_label, report = _native.read_export(label, data, freq)
    names = np.asarray(skus, dtype=object)
    df = pd.DataFrame(
        {
            "date": np.asarray(days, dtype="datetime64[D]").astype("datetime64[ns]"),
            "sku": names[np.asarray(codes, dtype=np.int64)] if len(names) else [],
            "quantity": qty,
        }
    )
    df.attrs["freq"] = freq_label
    df.attrs["report"] = json.loads(report)
    return df


def _dataset(df: pd.DataFrame, freq: Optional[str], name: str) -> bytes:
    table = _frame.normalise(df, name)
    if table.empty:
        raise SupplycastError(f"{name}: the table has no rows")
    skus, codes, days, qty = _frame.arrays(table)
    freq_label, first, last = _native.bounds(days, freq)
    ds = _native.dataset(name, skus, codes, days, qty, freq_label, first, last)
    if ds is None:
        raise SupplycastError(f"{name}: no SKU has any sale")
    return ds


def forecast(
    df: pd.DataFrame,
    h: Optional[int] = None,
    freq: Optional[str] = None,
    windows: int = 3,
) -> pd.DataFrame:
    """Every SKU's forecast with the automatic choice (the app's default without the
    pretrained model, which needs the neural build): `sku, date, point, p10, p50, p90,
    model`, SKUs in code order. `df` holds `sku, date, quantity` or `unique_id, ds, y`,
    one row per SKU and period (repeated rows are summed; a period without a row sells
    nothing). `h`: periods ahead (default by period: 28 days, 8 weeks, 6 months, 4
    quarters). `freq`: the period (D, W, M, Q) where the dates alone do not tell it.
    SKUs that could not be forecast, and why, are in `.attrs["failed"]`."""
    ds = _dataset(df, freq, "table")
    return _frame.forecast_frame(_native.forecast(ds, h, windows))


def plan(
    forecasts: pd.DataFrame,
    params: Union[None, PathOrBytes, pd.DataFrame] = None,
    horizon_days: float = 90.0,
    simulations: int = 1000,
    budget: Optional[float] = None,
) -> pd.DataFrame:
    """The purchase list for `forecasts` (what `forecast` returned, or any frame with
    `sku, date, p10, p50, p90`): the SKUs to order today, most urgent first, with the
    stock used, the quantity, value, arrival and policy, as `supplycast plan` writes it. `params`: the parameters CSV of the app and
    the CLI (path, bytes or DataFrame; SKUs it lacks take the defaults). Demand scenarios
    are drawn from each period's P10/P50/P90."""
    need = ["sku", "date", "p10", "p50", "p90"]
    missing = [c for c in need if c not in forecasts.columns]
    if missing:
        raise SupplycastError(f"forecasts: no {', '.join(missing)} column (expected {', '.join(need)})")
    table = forecasts[need].copy()
    table["date"] = pd.to_datetime(table["date"]).dt.strftime("%Y-%m-%d")
    fc = table.to_csv(index=False).encode()
    params_name, params_bytes = "parameters", None
    if isinstance(params, pd.DataFrame):
        params_bytes = params.to_csv(index=False).encode()
    elif params is not None:
        params_name, params_bytes = _read(params, None)
    csv = _native.plan(fc, params_bytes, params_name, horizon_days, simulations, budget)
    return pd.read_csv(io.StringIO(csv), dtype={"sku": str})
