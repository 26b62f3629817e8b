"""Reference optima for supplycast's allocation and rebalancing programs.

Generates instances (seeded) as the CSV files `supplycast allocate` / `rebalance` read,
solves the same programs with SciPy's HiGHS (scipy 1.17.1: linprog method="highs" for
allocation, milp for rebalancing with whole units) and writes the optimum next to them.

    /tmp/refenv/venv/bin/python tests/reference/logistics/make_fixtures.py

(the venv from ../shared/tools/setup_refenv.sh). The programs are written out in
crates/core/src/logistics/allocate.rs and rebalance.rs; this file builds them independently from
the CSV data.
"""
import json
import os

import numpy as np
import scipy
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import lil_matrix

HERE = os.path.dirname(os.path.abspath(__file__))


def write(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")


def allocation_instance(name, rng, nl, nk, nr, *, lane_p=0.8, cap=None, stock_hi=40, dem_hi=8,
                        cost_hi=20, unmet=None, equal_costs=False, exact_supply=False):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    locs = [f"L{i}" for i in range(nl)]
    skus = [f"SKU{k:03d}" for k in range(nk)]
    regs = [f"R{r:02d}" for r in range(nr)]
    dem = rng.integers(0, dem_hi + 1, size=(nr, nk))
    if exact_supply:
        # Stock equals demand SKU by SKU, split at random across locations: degenerate.
        stock = np.zeros((nl, nk), dtype=int)
        for k in range(nk):
            tot = dem[:, k].sum()
            cuts = np.sort(rng.integers(0, tot + 1, size=nl - 1))
            stock[:, k] = np.diff(np.concatenate([[0], cuts, [tot]]))
    else:
        stock = rng.integers(0, stock_hi + 1, size=(nl, nk))
    capacity = cap if cap is not None else [int(x) for x in rng.integers(stock.sum(1).min() // 2, stock.sum(1).max() + 1, size=nl)]
    lanes = {}
    for l in range(nl):
        for r in range(nr):
            if rng.random() < lane_p or r % nl == l:
                lanes[(l, r)] = 5 if equal_costs else int(rng.integers(1, cost_hi + 1))
    write(os.path.join(d, "locations.csv"), ["location", "capacity_units", "x", "y"],
          [[locs[l], "" if capacity[l] is None else capacity[l], int(rng.integers(0, 100)), int(rng.integers(0, 100))] for l in range(nl)])
    write(os.path.join(d, "stock.csv"), ["location", "sku", "on_hand"],
          [[locs[l], skus[k], stock[l, k]] for l in range(nl) for k in range(nk) if stock[l, k] > 0])
    write(os.path.join(d, "demand.csv"), ["region", "sku", "demand"],
          [[regs[r], skus[k], dem[r, k]] for r in range(nr) for k in range(nk) if dem[r, k] > 0])
    write(os.path.join(d, "costs.csv"), ["location", "region", "cost_per_unit"],
          [[locs[l], regs[r], c] for (l, r), c in sorted(lanes.items())])

    # Variables: x[l,r,k] on lanes where demand and stock exist, then u[r,k].
    xs = [(l, r, k) for (l, r) in sorted(lanes) for k in range(nk) if dem[r, k] > 0 and stock[l, k] > 0]
    us = [(r, k) for r in range(nr) for k in range(nk) if dem[r, k] > 0]
    max_c = max(lanes.values())
    penalty = unmet if unmet is not None else 1 + (nl + 1) * max_c
    c = np.array([lanes[(l, r)] for (l, r, k) in xs] + [penalty] * len(us), dtype=float)
    n = len(c)
    rows_ub, b_ub = [], []
    A_ub = lil_matrix((nl * nk + nl, n))
    for i, (l, r, k) in enumerate(xs):
        A_ub[l * nk + k, i] = 1
        A_ub[nl * nk + l, i] = 1
    b_ub = [stock[l, k] for l in range(nl) for k in range(nk)] + [capacity[l] if capacity[l] is not None else 1e12 for l in range(nl)]
    A_eq = lil_matrix((len(us), n))
    ui = {rk: j for j, rk in enumerate(us)}
    for i, (l, r, k) in enumerate(xs):
        A_eq[ui[(r, k)], i] = 1
    for j in range(len(us)):
        A_eq[j, len(xs) + j] = 1
    b_eq = [dem[r, k] for (r, k) in us]
    res = linprog(c, A_ub=A_ub.tocsr(), b_ub=b_ub, A_eq=A_eq.tocsr(), b_eq=b_eq, bounds=(0, None), method="highs")
    assert res.status == 0, res.message
    unmet_units = float(res.x[len(xs):].sum())
    expected = {"source": f"scipy {scipy.__version__} linprog(method='highs')",
                "unmet_cost": unmet, "objective": float(res.fun), "unmet_units": unmet_units,
                "shipping": float(res.fun - penalty * unmet_units)}
    if unmet is None:
        expected["feasible"] = unmet_units < 1e-9
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(name, len(xs), "ship variables", expected)


def rebalance_instance(name, rng, nl, nk, hubs, *, cap_hi=None, short=False):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    locs = [f"W{i}" for i in range(nl)]
    hub_names = [f"HUB{i}" for i in range(hubs)]
    skus = [f"SKU{k:02d}" for k in range(nk)]
    on_hand = rng.integers(0, 30, size=(nl, nk))
    target = rng.integers(0, 35 if short else 20, size=(nl, nk))
    nodes = locs + hub_names
    lanes = []
    for a in nodes:
        for b in nodes:
            if a != b and (rng.random() < 0.45 or (a in hub_names) != (b in hub_names)):
                cap = "" if cap_hi is None else int(rng.integers(0, cap_hi + 1))
                lanes.append((a, b, int(rng.integers(1, 15)), cap))
    write(os.path.join(d, "stock.csv"), ["location", "sku", "on_hand", "target_min"],
          [[locs[l], skus[k], on_hand[l, k], target[l, k]] for l in range(nl) for k in range(nk)])
    write(os.path.join(d, "lanes.csv"), ["from", "to", "cost_per_unit", "capacity_units"], lanes)
    # Same program as rebalance.rs, every SKU included (SKUs that cannot gain do not move).
    ne = len(lanes)
    nf = ne * nk
    shorts = [(l, k) for l in range(nl) for k in range(nk) if target[l, k] > 0]
    n = nf + len(shorts)
    P = 1 + sum(c for _, _, c, _ in lanes)
    c = np.array([lanes[e][2] for e in range(ne) for k in range(nk)] + [P] * len(shorts), dtype=float)
    idx = {name: i for i, name in enumerate(nodes)}
    cons_A, lo, hi = [], [], []
    A = lil_matrix((len(nodes) * nk * 2 + ne, n))
    row = 0
    si = {lk: nf + j for j, lk in enumerate(shorts)}
    for v, name_ in enumerate(nodes):
        for k in range(nk):
            for e, (a, b, _, _) in enumerate(lanes):
                if b == name_:
                    A[row, e * nk + k] += 1
                    A[row + 1, e * nk + k] += 1
                if a == name_:
                    A[row, e * nk + k] -= 1
                    A[row + 1, e * nk + k] -= 1
            if v < nl:
                lo += [-on_hand[v, k], target[v, k] - on_hand[v, k]]
                hi += [np.inf, np.inf]
                if (v, k) in si:
                    A[row + 1, si[(v, k)]] = 1
            else:
                lo += [0, -np.inf]
                hi += [0, np.inf]
            row += 2
    for e, (_, _, _, cap) in enumerate(lanes):
        for k in range(nk):
            A[row, e * nk + k] = 1
        lo.append(0)
        hi.append(np.inf if cap == "" else cap)
        row += 1
    integrality = np.array([1] * nf + [0] * len(shorts))
    res = milp(c, constraints=LinearConstraint(A.tocsr(), lo, hi), integrality=integrality,
               bounds=Bounds(0, np.inf), options={"mip_rel_gap": 0})
    assert res.status == 0, res.message
    shortfall = float(res.x[nf:].sum())
    expected = {"source": f"scipy {scipy.__version__} milp (HiGHS)", "objective": float(res.fun),
                "penalty": P, "shortfall_units": shortfall, "cost": float(res.fun - P * shortfall)}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(name, expected)


def main():
    rng = np.random.default_rng(20261125)
    allocation_instance("alloc_small", rng, 3, 6, 5, unmet=60)
    allocation_instance("alloc_degenerate", rng, 4, 10, 6, equal_costs=True, exact_supply=True, lane_p=1.0,
                        cap=[None, None, None, None])
    allocation_instance("alloc_unmet", rng, 3, 15, 8, stock_hi=10, dem_hi=8, unmet=25)
    allocation_instance("alloc_zero_capacity", rng, 4, 12, 6, cap=[0, 150, 200, 120], unmet=40)
    allocation_instance("alloc_must_meet", rng, 3, 10, 5, stock_hi=60, dem_hi=4, cap=[None, None, None])
    allocation_instance("alloc_infeasible", rng, 3, 10, 5, stock_hi=8, dem_hi=8, cap=[None, 30, None])
    allocation_instance("alloc_5x200x30", rng, 5, 200, 30, stock_hi=60, dem_hi=10, unmet=100)
    rebalance_instance("rebal_open", rng, 4, 5, 1)
    rebalance_instance("rebal_shared_lanes", rng, 5, 6, 1, cap_hi=25)
    rebalance_instance("rebal_short", rng, 4, 4, 0, cap_hi=10, short=True)


if __name__ == "__main__":
    main()
