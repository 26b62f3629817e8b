#!/usr/bin/env python3
"""Independent reference for supplycast's ingestion of the Online Retail II export.

Reads the raw export with nothing but the Python standard library and applies the
cleaning rules stated in crates/core/src/data/clean.rs and crates/core/src/data/series.rs, written again from
their text (not from the Rust code), then writes the per-SKU daily totals:

    python3 tests/reference/make_online_retail_daily.py \
        ../shared/data/online_retail_ii_2009-12_2010-12.csv.gz \
        tests/reference/online_retail_daily.csv.gz

Output: gzip CSV `date,sku,quantity`, one row per SKU and trading day with a non-zero
total, sorted by sku then date. Python 3.11, stdlib only.
"""
import collections
import csv
import datetime as dt
import gzip
import io
import sys

NON_PRODUCT_CODES = {"POST", "DOT", "M", "D", "C2", "C3", "S", "B", "CRUK", "BANK CHARGES",
                     "AMAZONFEE", "ADJUST", "ADJUST2", "ADJUST3", "TEST001", "TEST002", "GIFT",
                     "SHIPPING", "TIP"}
NON_PRODUCT_DESCRIPTIONS = {"POSTAGE", "DOTCOM POSTAGE", "CARRIAGE", "MANUAL", "DISCOUNT",
                            "BANK CHARGES", "AMAZON FEE", "SAMPLES", "ADJUST BAD DEBT",
                            "CRUK COMMISSION", "SHIPPING", "TIP", "GIFT CARD", "GIFT VOUCHER"}


def non_product(code, desc):
    c, d = code.strip().upper(), desc.strip().upper()
    return (c in NON_PRODUCT_CODES or c.startswith("GIFT_") or c.startswith("TEST")
            or d in NON_PRODUCT_DESCRIPTIONS or d.startswith("ADJUSTMENT BY") or "GIFT VOUCHER" in d)


def main(src, dst):
    with gzip.open(src, "rt", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], [r for r in rows[1:] if any(x.strip() for x in r)]
    col = {h: i for i, h in enumerate(header)}
    I, S, D, Q, T, P, C = (col[k] for k in ("Invoice", "StockCode", "Description", "Quantity",
                                             "InvoiceDate", "Price", "Customer ID"))
    # Most frequent description per SKU (upper-cased code).
    descs = collections.defaultdict(collections.Counter)
    for r in rows:
        if r[D].strip():
            descs[r[S].strip().upper()][r[D].strip()] += 1
    sku_desc = {k: v.most_common(1)[0][0] for k, v in descs.items()}

    activity = set()
    seen = set()
    sales = []      # [index, ts, sku, customer, qty]
    cancels = []
    for idx, r in enumerate(rows):
        ts = r[T].strip()
        activity.add(ts[:10])
        key = tuple(r)
        if key in seen:
            continue
        seen.add(key)
        qty, price = float(r[Q]), float(r[P])
        sku = r[S].strip().upper()
        inv = r[I].strip()
        if qty == 0 or non_product(sku, sku_desc.get(sku, "")):
            continue
        marker = inv[:1].upper() if len(inv) > 1 and inv[1].isdigit() else ""
        if marker == "A":
            continue
        if qty > 0 and marker == "C":
            continue
        if qty < 0:
            if marker == "C" or price > 0:
                cancels.append((idx, ts, sku, r[C].strip(), qty))
            continue
        if price <= 0:
            continue
        sales.append([idx, ts, sku, r[C].strip(), qty])

    removed = set()
    cand = collections.defaultdict(list)
    for s in sales:
        if s[3]:
            cand[(s[3], s[2], s[4])].append(s)
    for (idx, ts, sku, cust, qty) in sorted(cancels, key=lambda c: (c[1], c[0])):
        if not cust:
            continue
        best = None
        for s in cand.get((cust, sku, -qty), []):
            if s[0] in removed or s[1] > ts:
                continue
            if best is None or (s[1], s[0]) > (best[1], best[0]):
                best = s
        if best is not None:
            removed.add(best[0])

    # Trading calendar.
    days = sorted(dt.date.fromisoformat(d) for d in activity)
    first, last = days[0], days[-1]
    span = [first + dt.timedelta(i) for i in range((last - first).days + 1)]
    act = set(days)
    occ, on = collections.Counter(), collections.Counter()
    for d in span:
        occ[d.weekday()] += 1
        on[d.weekday()] += d in act
    def closed_day(w):
        occ_o = sum(occ[o] for o in range(7) if o != w)
        on_o = sum(on[o] for o in range(7) if o != w)
        return occ[w] >= 4 and on[w] * 10 <= occ[w] and on_o * 2 >= occ_o
    closed = {w for w in range(7) if closed_day(w)}
    open_days = [d for d in span if d.weekday() not in closed]
    busy = sum(d in act for d in open_days) * 10 >= len(open_days) * 9
    trading = [d for d in open_days if (d in act or not busy)]
    tset = set(trading)

    def to_trading(d):
        for t in trading:
            if t >= d:
                return t
        return trading[-1]

    totals = collections.Counter()
    for s in sales:
        if s[0] in removed:
            continue
        d = dt.date.fromisoformat(s[1][:10])
        if d not in tset:
            d = to_trading(d)
        totals[(s[2], d.isoformat())] += s[4]

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["date", "sku", "quantity"])
    for (sku, d), q in sorted(totals.items()):
        if q != 0:
            w.writerow([d, sku, int(q) if q == int(q) else q])
    with gzip.GzipFile(dst, "wb", mtime=0) as f:
        f.write(out.getvalue().encode())
    print(f"{len(totals)} sku-days, {len({k[0] for k in totals})} skus, "
          f"{sum(totals.values()):.0f} units; closed weekdays {sorted(closed)}; "
          f"{len(removed)} sales removed by cancellations", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
