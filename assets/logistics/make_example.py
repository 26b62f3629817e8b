"""The bundled two-location example for the Logistics page (and its e2e test).

Stock for the sample store's SKUs at a Manchester and a London warehouse, sized from
each SKU's last 28 days of demand; five delivery regions with shares of demand and
per-unit shipping costs; a transfer lane each way; and one day's van deliveries around
Manchester (lat/lon, minutes from midnight). Seeded, so the files are reproducible:

    python3 assets/logistics/make_example.py
"""
import collections
import csv
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    rng = random.Random(11)
    rows = list(csv.DictReader(open(os.path.join(ROOT, "assets", "sample_store.csv"))))
    last = max(r["date"] for r in rows)
    dates = sorted({r["date"] for r in rows})
    recent = set(dates[-28:])
    demand = collections.Counter()
    for r in rows:
        if r["date"] in recent:
            demand[r["sku"]] += float(r["quantity"])
    skus = sorted({r["sku"] for r in rows})
    total = sum(demand.values())
    # Manchester can ship 45 % of four weeks' demand, London 35 %: capacity binds.
    man, lon = round(0.45 * total, -2), round(0.35 * total, -2)
    with open(os.path.join(HERE, "locations.csv"), "w") as f:
        f.write(f"location,capacity_units,lat,lon\nManchester,{man:.0f},53.4808,-2.2426\nLondon,{lon:.0f},51.5072,-0.1276\n")
    with open(os.path.join(HERE, "stock.csv"), "w") as f:
        f.write("location,sku,on_hand\n")
        for k in skus:
            d = demand[k]
            for loc, lo, hi in (("Manchester", 0.2, 0.9), ("London", 0.1, 0.7)):
                units = round(d * rng.uniform(lo, hi))
                if units > 0:
                    f.write(f"{loc},{k},{units}\n")
    regions = [("North", 0.28, 0.8, 1.7), ("Midlands", 0.2, 1.0, 1.2), ("London & South East", 0.34, 1.6, 0.7),
               ("Scotland", 0.06, 1.4, 2.3), ("Europe", 0.12, 3.5, 2.8)]
    with open(os.path.join(HERE, "regions.csv"), "w") as f:
        f.write("region,share\n")
        for name, share, _, _ in regions:
            f.write(f"{name},{share}\n")
    with open(os.path.join(HERE, "costs.csv"), "w") as f:
        f.write("location,region,cost_per_unit\n")
        for name, _, man, lon in regions:
            f.write(f"Manchester,{name},{man}\nLondon,{name},{lon}\n")
    with open(os.path.join(HERE, "lanes.csv"), "w") as f:
        lane = round(0.05 * total, -2)
        f.write(f"from,to,cost_per_unit,capacity_units\nManchester,London,0.5,{lane:.0f}\nLondon,Manchester,0.5,{lane:.0f}\n")
    with open(os.path.join(HERE, "deliveries.csv"), "w") as f:
        f.write("id,lat,lon,demand,ready,due,service\n")
        f.write("depot,53.4808,-2.2426,0,420,1140,0\n")
        for i in range(40):
            lat = 53.4808 + rng.uniform(-0.12, 0.12)
            lon = -2.2426 + rng.uniform(-0.2, 0.2)
            if rng.random() < 0.3:
                ready = rng.choice([480, 600, 720, 840])
                win = f"{ready},{ready + 120}"
            else:
                win = ","
            f.write(f"shop{i + 1:02d},{lat:.5f},{lon:.5f},{rng.randint(2, 14)},{win},{rng.choice([5, 10, 15])}\n")
    print("example written; last sales date", last)


if __name__ == "__main__":
    main()
