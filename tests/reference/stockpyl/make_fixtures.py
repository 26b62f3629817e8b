#!/usr/bin/env python3
"""Reference values for single-echelon inventory policies, computed with stockpyl.

Writes one JSON object to stdout (diagnostics go to stderr).  Run from the repo root:

    bash ../shared/tools/setup_refenv.sh        # -> /tmp/refenv/venv (stockpyl 1.0.2, scipy 1.17.1, numpy 2.4.6)
    /tmp/refenv/venv/bin/python tests/reference/stockpyl/make_fixtures.py > tests/reference/stockpyl/policies.json

Sections (every entry is a flat object; a key that does not apply is null):

  eoq                 stockpyl.eoq.economic_order_quantity(K, h, D), or, when p is given,
                      economic_order_quantity_with_backorders(K, h, p, D) -> q, cost
  newsvendor_normal   stockpyl.newsvendor.newsvendor_normal(h, p, mean, sd[, base_stock_level=given])
  newsvendor_poisson  stockpyl.newsvendor.newsvendor_poisson(h, p, mean[, base_stock_level=given])
  base_stock_normal   periodic review, per-period demand N(mean, sd), lead time L periods:
                      newsvendor_normal(h, p, mean, sd, lead_time=L); safety_stock = s - mean*(L+1)
  base_stock_poisson  newsvendor_poisson(h, p, mean*(L+1)); safety_stock = s - mean*(L+1)
  rq_normal_cost      stockpyl.rq.r_q_cost(r, q, h, p, K, lambda, tau, L)
  rq_normal_opt       exact (r, Q) optimum for normal demand: solves g(r) = g(r+Q) and g(r,Q) = g(r)
                      with scipy.optimize.fsolve (stockpyl has no exact normal optimiser), where
                      g(y) = newsvendor_normal_cost(y, h, p, lambda*L, tau*sqrt(L)) and g(r,Q) = r_q_cost;
                      cross-checked by a nested brentq solve and by perturbing Q by +-0.1 %
                      (re-optimising r with r_q_optimal_r_for_q(tol=1e-12; looser only where
                      rounding keeps its bisection from reaching 1e-12, which is logged)).
  rq_poisson_cost     stockpyl.rq.r_q_cost_poisson(r, q, h, p, K, lambda, L)
  rq_poisson_opt      stockpyl.rq.r_q_poisson_exact(h, p, K, lambda, L)       (Federgruen-Zheng)
  ss_poisson          stockpyl.ss.s_s_discrete_exact(h, p, K, True, mean)      (Zheng-Federgruen)
  reorder_point_csl   lead-time demand N(mean, sd): reorder_point = mean + sd * scipy.stats.norm.ppf(csl)
  reorder_point_fill  z solves sd * L(z) = (1 - fill_rate) * q, L = stockpyl standard_normal_loss(z)[0]
                      (scipy.optimize.brentq, xtol 1e-14); reorder_point = mean + z * sd

All costs are per unit time, holding and stockout (backorder) costs per unit per unit time, every
quantity of a case in the same time unit.  Floats are printed with full precision (Python repr).
"""
import importlib.metadata as md
import json
import math
import signal
import sys

import numpy as np
from scipy import optimize, stats

from stockpyl import eoq, newsvendor, rq, ss
from stockpyl.loss_functions import standard_normal_loss


def log(*a):
    print(*a, file=sys.stderr)


def f(x):
    """A finite Python float."""
    x = float(x)
    assert math.isfinite(x), x
    return x


def i(x):
    """An integer-valued result (stockpyl returns e.g. 56.0) as a Python int."""
    assert float(x) == round(float(x)), x
    return int(round(float(x)))


out = {
    "source": "stockpyl {} (Snyder & Shen, Fundamentals of Supply Chain Theory), scipy {}, numpy {}".format(
        md.version("stockpyl"), md.version("scipy"), md.version("numpy")),
}

# ---------------------------------------------------------------------------------------------
# EOQ (K per order, h per unit per time, D units per time, p backorder cost per unit per time)
EOQ = [
    (8, 0.225, 1300, None),      # Example 3.1: Q* = 304.0467800264368
    (8, 0.225, 1300, 5),         # Example 3.8: Q* = 310.81255515896464
    (8, 0.225, 1300, 0.1),       # backorders cheaper than holding
    (5, 0.01, 0.3, None),        # per day: slow mover, 0.3 units/day
    (5, 0.01, 0.3, 0.2),
    (20, 0.05, 2, None),         # per day
    (50, 0.5, 120, None),        # per week
    (30, 1.0, 52, 20),           # per year
    (1, 3.0, 0.5, 100),          # cheap order, expensive backorder
    (100, 2.0, 10000, None),     # fast mover
]
out["eoq"] = []
for K, h, D, p in EOQ:
    if p is None:
        q, cost = eoq.economic_order_quantity(K, h, D)
    else:
        q, _x, cost = eoq.economic_order_quantity_with_backorders(K, h, p, D)
    out["eoq"].append({"K": K, "h": h, "D": D, "p": p, "q": f(q), "cost": f(cost)})

# ---------------------------------------------------------------------------------------------
# Newsvendor, normal demand (given = evaluate that S instead of optimising)
NV_NORMAL = [
    (2, 18, 120, 10, None),      # S* = 132.815515655446
    (2, 18, 120, 10, 130),
    (2, 18, 120, 10, 110),
    (0.18, 0.70, 50, 8, None),   # Example 4.3: S* = 56.60395592743389
    (0.18, 0.70, 50, 8, 60),     # Example 4.1: 2.156131552870387
    (0.05, 1.0, 0.4, 0.7, None), # intermittent
    (0.1, 2.5, 1.5, 1.3, None),
    (0.1, 2.5, 1.5, 1.3, 3),
    (1.0, 0.5, 30, 12, None),    # cheap stockouts: S* below the mean
    (0.5, 50, 800, 150, None),   # expensive stockouts
    (0.02, 0.3, 5000, 900, None),
]
out["newsvendor_normal"] = []
for h, p, mean, sd, given in NV_NORMAL:
    if given is None:
        s, cost = newsvendor.newsvendor_normal(h, p, mean, sd)
    else:
        s, cost = newsvendor.newsvendor_normal(h, p, mean, sd, base_stock_level=given)
    out["newsvendor_normal"].append(
        {"h": h, "p": p, "mean": mean, "sd": sd, "given": given, "s": f(s), "cost": f(cost)})

# ---------------------------------------------------------------------------------------------
# Newsvendor, Poisson demand
NV_POISSON = [
    (0.18, 0.70, 50, None),      # doc example: S* = 56
    (0.18, 0.70, 50, 52),
    (1, 4, 6, None),
    (0.05, 1.0, 0.3, None),      # intermittent
    (0.05, 1.0, 0.3, 0),
    (0.05, 1.0, 0.3, 2),
    (0.1, 2.5, 1.5, None),
    (0.1, 2.5, 2.5, 4),
    (1.0, 0.5, 3, None),         # cheap stockouts
    (0.5, 50, 120, None),        # expensive stockouts
    (2, 18, 120, None),
]
out["newsvendor_poisson"] = []
for h, p, mean, given in NV_POISSON:
    if given is None:
        s, cost = newsvendor.newsvendor_poisson(h, p, mean)
    else:
        s, cost = newsvendor.newsvendor_poisson(h, p, mean, base_stock_level=given)
    out["newsvendor_poisson"].append(
        {"h": h, "p": p, "mean": mean, "given": given, "s": i(s), "cost": f(cost)})

# ---------------------------------------------------------------------------------------------
# Periodic-review base stock, lead time L periods (protection interval L+1 periods)
BS = [  # h, p, mean, sd, L
    (2, 18, 120, 10, 0),
    (0.18, 0.70, 50, 8, 4),
    (0.02, 0.5, 0.8, 1.1, 2),    # intermittent, daily
    (0.01, 1.0, 0.3, 0.6, 7),
    (0.1, 2.5, 3, 2, 1),
    (1.0, 0.5, 40, 15, 3),       # cheap stockouts
    (0.05, 10, 500, 120, 14),    # expensive stockouts, long lead time
    (0.2, 4, 25, 9, 6),
]
out["base_stock_normal"] = []
for h, p, mean, sd, L in BS:
    s, cost = newsvendor.newsvendor_normal(h, p, mean, sd, lead_time=L)
    out["base_stock_normal"].append(
        {"h": h, "p": p, "mean": mean, "sd": sd, "L": L, "s": f(s),
         "safety_stock": f(s - mean * (L + 1)), "cost": f(cost)})

BSP = [  # h, p, mean, L
    (0.18, 0.70, 50, 0),
    (1, 4, 6, 0),
    (0.02, 0.5, 0.8, 2),         # intermittent
    (0.01, 1.0, 0.3, 7),
    (0.05, 1.0, 0.5, 1),
    (0.1, 2.5, 3, 1),
    (1.0, 0.5, 40, 3),           # cheap stockouts
    (0.05, 10, 50, 14),          # expensive stockouts, long lead time
    (0.2, 4, 25, 6),
]
out["base_stock_poisson"] = []
for h, p, mean, L in BSP:
    s, cost = newsvendor.newsvendor_poisson(h, p, mean * (L + 1))
    out["base_stock_poisson"].append(
        {"h": h, "p": p, "mean": mean, "L": L, "s": i(s),
         "safety_stock": f(s - mean * (L + 1)), "cost": f(cost)})

# ---------------------------------------------------------------------------------------------
# Continuous-review (r, Q), normal demand: lambda, tau = mean, sd of demand per unit time,
# L = lead time in that unit; lead-time demand N(lambda*L, tau*sqrt(L)).
RQ_N_PARAMS = [  # h, p, K, lambda, tau, L
    (0.225, 7.5, 8, 1300, 150, 1 / 12),      # Example 5.1 (per year, L = 1 month)
    (5.0, 50, 10, 150, 12.25, 7 / 365),      # per year: 0.4/day, 1 week lead time
    (5.0, 50, 10, 110, 10.5, 3 / 365),       # per year: 0.3/day, 3 days
    (0.01, 0.5, 5, 3, 1.8, 2.5),             # per day: 3/day, 2.5 days
    (0.1, 2, 15, 40, 12, 1.5),               # per week: 1.5 weeks
    (0.225, 0.5, 8, 1300, 150, 1 / 12),      # cheap stockouts
    (0.05, 25, 40, 20, 9, 0.5),              # expensive stockouts, half a period
    (1.2, 30, 200, 52000, 3000, 0.04),       # fast mover
]
RQ_N_COST = [  # (params index, r, q)
    (0, 126.8, 328.5),                       # Example 5.1: 78.07116250928294
    (0, 100, 300),
    (1, 3, 25),
    (2, 1.5, 22),
    (3, 9, 40),
    (4, 70, 110),
    (5, 60, 350),
    (6, 14, 180),
    (7, 2200, 4200),
]
out["rq_normal_cost"] = []
for k, r, q in RQ_N_COST:
    h, p, K, lam, tau, L = RQ_N_PARAMS[k]
    cost = rq.r_q_cost(r, q, h, p, K, lam, tau, L)
    out["rq_normal_cost"].append({"h": h, "p": p, "K": K, "lambda": lam, "tau": tau, "L": L,
                                  "r": r, "q": q, "cost": f(cost)})


class _Timeout(Exception):
    pass


def _alarm(*_):
    raise _Timeout


def optimal_r_for_q(q, h, p, lam, tau, L):
    """stockpyl's bisection r(Q) with tol=1e-12.  Its loop stops only when |g(r) - g(r+Q)| <= tol,
    which rounding can make unreachable when g is large (it then spins forever), so each try gets
    20 s and, failing that, the next looser tolerance is used (and logged)."""
    signal.signal(signal.SIGALRM, _alarm)
    for tol in (1e-12, 1e-11, 1e-10, 1e-9):
        signal.alarm(20)
        try:
            return rq.r_q_optimal_r_for_q(q, h, p, lam, tau, L, tol=tol), tol
        except _Timeout:
            log(f"  r_q_optimal_r_for_q(Q={q!r}) did not reach tol={tol:g}")
        finally:
            signal.alarm(0)
    raise RuntimeError("r_q_optimal_r_for_q did not converge")


def rq_normal_optimum(h, p, K, lam, tau, L):
    mu, sigma = lam * L, tau * math.sqrt(L)
    g = lambda y: newsvendor.newsvendor_normal_cost(y, h, p, mu, sigma)
    G = lambda r, q: rq.r_q_cost(r, q, h, p, K, lam, tau, L)

    # The two optimality conditions in (r, Q).
    def F(x):
        r, q = x
        return [(g(r) - g(r + q)), (G(r, q) - g(r))]

    starts = [rq.r_q_eoqb_approximation(h, p, K, lam, tau, L),
              rq.r_q_loss_function_approximation(h, p, K, lam, tau, L)]
    best = None
    for r0, q0 in starts:
        x, info, ier, msg = optimize.fsolve(F, [r0, q0], xtol=1e-12, full_output=True)
        res = max(abs(v) for v in F(x))
        log(f"  fsolve from ({r0:.6g},{q0:.6g}): ier={ier} r={float(x[0])!r} q={float(x[1])!r} resid={res:.3g} ({msg.strip()})")
        if x[1] > 0 and (best is None or res < best[1]):
            best = (x, res)
    (r, q), res = best
    scale = max(1.0, abs(G(r, q)))
    assert res < 1e-9 * scale, (res, scale)

    # Cross-check: nested solve.  For fixed Q, r(Q) solves g(r) = g(r+Q) (brentq), then Q solves
    # G(r(Q), Q) = g(r(Q)).
    S_star = newsvendor.newsvendor_normal(h, p, mu, sigma)[0]

    def r_of_q(qq):
        return optimize.brentq(lambda rr: g(rr) - g(rr + qq), S_star - qq - 10 * sigma - 1, S_star,
                               xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=500)

    def H(qq):
        rr = r_of_q(qq)
        return G(rr, qq) - g(rr)

    lo, hi = q * 0.5, q * 2.0
    assert H(lo) > 0 > H(hi), (H(lo), H(hi))  # K*lambda/Q dominates for small Q
    q2 = optimize.brentq(H, lo, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps, maxiter=500)
    r2 = r_of_q(q2)
    log(f"  nested brentq: r={r2!r} q={q2!r}  (|dr|={abs(r2 - r):.3g}, |dq|={abs(q2 - q):.3g})")
    assert abs(r2 - r) < 1e-6 * max(1, abs(r)) and abs(q2 - q) < 1e-6 * q, (r, q, r2, q2)

    cost = G(r, q)
    # Perturbation check: Q +- 0.1 %, r re-optimised by stockpyl, must not be cheaper.
    for fac in (0.999, 1.001):
        qq = q * fac
        rr, tol = optimal_r_for_q(qq, h, p, lam, tau, L)
        cc = G(rr, qq)
        log(f"  Q*{fac}: r={float(rr)!r} (tol {tol:g}) cost={float(cc)!r} (opt {float(cost)!r}, diff {cc - cost:.3g})")
        assert cc >= cost, (fac, cc, cost)
    return r, q, cost


out["rq_normal_opt"] = []
for h, p, K, lam, tau, L in RQ_N_PARAMS:
    log(f"rq_normal_opt h={h} p={p} K={K} lambda={lam} tau={tau} L={L}")
    r, q, cost = rq_normal_optimum(h, p, K, lam, tau, L)
    out["rq_normal_opt"].append({"h": h, "p": p, "K": K, "lambda": lam, "tau": tau, "L": L,
                                 "r": f(r), "q": f(q), "cost": f(cost)})

# ---------------------------------------------------------------------------------------------
# Continuous-review (r, Q), Poisson demand (integer r, Q)
RQ_P_PARAMS = [  # h, p, K, lambda, L
    (20, 150, 100, 1.5, 2),                  # Example 5.8: (3, 5), 107.92358063314975
    (5.0, 50, 10, 150, 7 / 365),             # per year: 0.4/day, 1 week
    (5.0, 50, 10, 110, 3 / 365),             # 0.3/day, 3 days
    (0.01, 0.5, 5, 3, 2.5),                  # per day
    (0.1, 2, 15, 40, 1.5),                   # per week
    (0.2, 0.3, 8, 12, 0.5),                  # cheap stockouts
    (0.05, 25, 40, 2, 0.75),                 # expensive stockouts, fractional lead time
    (1.0, 10, 2, 0.8, 4),                    # intermittent, cheap orders
]
RQ_P_COST = [  # (params index, r, q)
    (0, 3, 5),                               # Example 5.8: 107.92358063314975
    (0, 2, 6),
    (0, 0, 1),
    (1, 3, 25),
    (2, 1, 22),
    (3, 9, 40),
    (4, 70, 110),
    (5, 4, 30),
    (6, -1, 60),
    (7, 4, 2),
]
out["rq_poisson_cost"] = []
for k, r, q in RQ_P_COST:
    h, p, K, lam, L = RQ_P_PARAMS[k]
    cost = rq.r_q_cost_poisson(r, q, h, p, K, lam, L)
    out["rq_poisson_cost"].append({"h": h, "p": p, "K": K, "lambda": lam, "L": L,
                                   "r": r, "q": q, "cost": f(cost)})



def check_rq_poisson_global(r, q, cost, h, p, K, lam, L):
    """Brute-force check of r_q_poisson_exact: G(r', q') = (K*lam + sum_{y=r'+1}^{r'+q'} g(y)) / q'
    over a wide grid, with g(y) = stockpyl's newsvendor_poisson_cost(y, h, p, lam*L)."""
    assert abs(rq.r_q_cost_poisson(r, q, h, p, K, lam, L) - cost) <= 1e-12 * cost
    mu = lam * L
    lo, hi = int(r) - 3 * int(q) - 30, int(r) + 4 * int(q) + 30
    ys = range(lo, hi + 1)
    gy = np.array([newsvendor.newsvendor_poisson_cost(y, h, p, mu) for y in ys])
    cum = np.concatenate([[0.0], np.cumsum(gy)])           # cum[k] = sum of g over ys[:k]
    best = (math.inf, None)
    for qq in range(1, 2 * int(q) + 20):
        for rr in range(lo - 1, hi - qq + 1):                # y runs over rr+1 .. rr+qq
            a = rr + 1 - lo
            c = (K * lam + cum[a + qq] - cum[a]) / qq
            if c < best[0]:
                best = (c, (rr, qq))
    assert best[0] >= cost * (1 - 1e-12), (best, (r, q, cost))
    log(f"  rq_poisson_opt ({r},{q}) cost {cost!r}: grid minimum {best[0]!r} at {best[1]}")


out["rq_poisson_opt"] = []
for h, p, K, lam, L in RQ_P_PARAMS:
    r, q, cost = rq.r_q_poisson_exact(h, p, K, lam, L)
    check_rq_poisson_global(r, q, cost, h, p, K, lam, L)
    out["rq_poisson_opt"].append({"h": h, "p": p, "K": K, "lambda": lam, "L": L,
                                  "r": i(r), "q": i(q), "cost": f(cost)})

# ---------------------------------------------------------------------------------------------
# Periodic-review (s, S), Poisson demand per period, zero lead time
SS = [  # h, p, K, mean
    (1, 4, 5, 6),                            # Example 4.7: (4, 10), 8.034111561471642
    (0.05, 1.0, 3, 0.3),                     # intermittent
    (0.1, 2.5, 10, 1.5),
    (0.02, 0.5, 5, 0.8),
    (0.2, 4, 25, 3),
    (1, 0.5, 5, 6),                          # cheap stockouts
    (0.05, 10, 40, 20),                      # expensive stockouts
    (0.5, 20, 100, 12),
    (1, 9, 1, 2),                            # cheap orders
]
out["ss_poisson"] = []
for h, p, K, mean in SS:
    s, S, cost = ss.s_s_discrete_exact(h, p, K, True, mean)
    # Local check: no neighbouring (s', S') is cheaper.
    for ds in (-1, 0, 1):
        for dS in (-1, 0, 1):
            if (ds, dS) != (0, 0) and S + dS > s + ds:
                c = ss.s_s_cost_discrete(s + ds, S + dS, h, p, K, True, mean)
                assert c >= cost * (1 - 1e-12), ((s, S, cost), (s + ds, S + dS, c))
    out["ss_poisson"].append({"h": h, "p": p, "K": K, "mean": mean,
                              "s": i(s), "S": i(S), "cost": f(cost)})

# ---------------------------------------------------------------------------------------------
# Reorder points from a cycle service level (q does not enter: null) and from a fill rate
CSL = [  # mean, sd of lead-time demand, csl
    (100, 20, 0.95),
    (1300 / 12, 150 / math.sqrt(12), 0.99),
    (0.6, 0.9, 0.9),                         # intermittent
    (2.5, 1.6, 0.975),
    (3, 1.7, 0.999),
    (40, 15, 0.5),
    (500, 120, 0.8),
    (10, 4, 0.3),                            # below-median service: negative safety stock
]
out["reorder_point_csl"] = []
for mean, sd, csl in CSL:
    rp = mean + sd * stats.norm.ppf(csl)
    out["reorder_point_csl"].append({"mean": mean, "sd": sd, "q": None, "csl": csl,
                                     "reorder_point": f(rp), "safety_stock": f(rp - mean)})

FILL = [  # mean, sd of lead-time demand, q, fill rate
    (100, 20, 300, 0.98),
    (1300 / 12, 150 / math.sqrt(12), 328.5, 0.95),
    (0.6, 0.9, 10, 0.9),                     # intermittent
    (2.5, 1.6, 25, 0.97),
    (2.9, 1.7, 50, 0.95),                    # large q: z < 0
    (40, 15, 500, 0.9),                      # z ~ -3.3
    (500, 120, 2000, 0.99),
    (3, 1.7, 5, 0.999),                      # z > 2
    (0.3, 0.55, 12, 0.8),                    # intermittent, large q: z ~ -4.4
]
out["reorder_point_fill"] = []
for mean, sd, q, fr in FILL:
    target = (1 - fr) * q / sd               # standard loss L(z) required
    lo = -target - 10.0                      # L(z) ~ -z for z << 0, so L(lo) > target
    z = optimize.brentq(lambda z: standard_normal_loss(z)[0] - target, lo, 8.0,
                        xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)
    rp = mean + z * sd
    out["reorder_point_fill"].append({"mean": mean, "sd": sd, "q": q, "fill_rate": fr,
                                      "reorder_point": f(rp), "safety_stock": f(rp - mean)})

for key, v in out.items():
    if isinstance(v, list):
        log(f"{key}: {len(v)} cases")
print(json.dumps(out, indent=1))
