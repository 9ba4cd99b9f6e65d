#!/usr/bin/python3
"""rfm_reference.py -- reference values for sql/rfm.sql, computed with pandas.

Writes, next to this script:
  rfm_orders.csv    the test orders (datasets 'main', 'exact', 'single', 'equal', 'grid')
  rfm_expected.csv  per case and customer: recency_days, frequency, exact monetary,
                    r, f, m, rfm_cell, segment
  rfm_grid.csv      every (r, f, m) on 1..5 with fm and the segment of the documented grid

Independent of mktdb's C code: pandas groupby for the aggregates, Decimal for exact
sums, rank(method='max') for "#customers with value <= v", Fraction for the
rounding rules.  Run: /usr/bin/python3 test/ref/rfm_reference.py
"""
import csv
import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))

# The documented R x FM grid (README "RFM scoring"): rows r = 1..5, columns fm = 1..5.
GRID = {
    1: ["Lost", "Lost", "At Risk", "At Risk", "Can't Lose Them"],
    2: ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    3: ["About To Sleep", "About To Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"],
    4: ["Promising", "Potential Loyalist", "Potential Loyalist", "Loyal Customers", "Loyal Customers"],
    5: ["New Customers", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"],
}


def to5(score, bins):
    """a score on 1..bins placed on 1..5: ceil(5 * (score - 1/2) / bins)"""
    return ceil(Fraction(5) * (Fraction(score) - Fraction(1, 2)) / bins)


def fm_of(f, m):
    """round((f + m) / 2.0) with halves away from zero, as PostgreSQL's numeric round"""
    return floor(Fraction(f + m, 2) + Fraction(1, 2))


def segment(r, f, m, bins):
    r5, f5, m5 = to5(r, bins), to5(f, bins), to5(m, bins)
    return GRID[r5][fm_of(f5, m5) - 1]


def make_orders():
    rng = np.random.RandomState(20240501)
    rows = []
    start = datetime(2023, 1, 1)
    # 'main': 240 customers with skewed activity, 2-decimal amounts, returns (negative)
    for c in range(1, 241):
        n = int(rng.geometric(0.25))
        last = int(rng.randint(0, 365))
        for _ in range(n):
            day = max(0, last - int(rng.randint(0, 200)))
            ts = start + timedelta(days=day, seconds=int(rng.randint(0, 86400)))
            cents = int(rng.randint(-2000, 20000)) if rng.rand() < 0.1 else int(rng.randint(100, 20000))
            rows.append(("main", c, ts, Decimal(cents) / 100))
    # exact ties that float sums would break: 0.10 + 0.20 = 0.30 = 0.15 + 0.15
    tie_day = start + timedelta(days=300, hours=10)
    rows += [("main", 901, tie_day, Decimal("0.10")), ("main", 901, tie_day, Decimal("0.20")),
             ("main", 902, tie_day, Decimal("0.30")),
             ("main", 903, tie_day, Decimal("0.15")), ("main", 903, tie_day, Decimal("0.15"))]
    # a customer whose returns exceed purchases
    rows += [("main", 904, start + timedelta(days=100), Decimal("25.00")),
             ("main", 904, start + timedelta(days=120), Decimal("-40.00"))]
    # rows skipped by rfm_score: NULL customer, NULL date; a NULL amount counts as an order of 0
    rows += [("main", None, start + timedelta(days=50), Decimal("10.00")),
             ("main", None, start + timedelta(days=60), Decimal("11.00")),
             ("main", 905, None, Decimal("12.00")),
             ("main", 905, start + timedelta(days=200), None),
             ("main", 905, start + timedelta(days=210), Decimal("7.50"))]
    # 'exact': sums equal only in exact arithmetic (as doubles 0.1 + 0.2 > 0.3 = 0.05 + 0.25):
    # exactly, 21-23 tie above 24 and all score m = 5; summed as doubles 21 would stand alone
    rows += [("exact", 21, tie_day, Decimal("0.10")), ("exact", 21, tie_day, Decimal("0.20")),
             ("exact", 22, tie_day, Decimal("0.30")),
             ("exact", 23, tie_day, Decimal("0.05")), ("exact", 23, tie_day, Decimal("0.25")),
             ("exact", 24, tie_day, Decimal("0.29"))]
    # 'single': one customer
    rows += [("single", 7, start + timedelta(days=d), Decimal(a)) for d, a in ((10, "5.00"), (40, "7.25"), (41, "-1.25"))]
    # 'equal': five customers with identical histories
    for c in range(11, 16):
        rows += [("equal", c, start + timedelta(days=30), Decimal("20.00")),
                 ("equal", c, start + timedelta(days=90), Decimal("30.00"))]
    # 'grid': customer k has k orders summing to k, the last one 6 - k days before 2023-12-31,
    # so that with bins 5 its scores are r = f = m = k
    for k in range(1, 6):
        for j in range(k):
            rows.append(("grid", k, datetime(2023, 12, 31) - timedelta(days=6 - k + j), Decimal(1)))
    return pd.DataFrame(rows, columns=["dataset", "customer_id", "ordered_at", "amount"])


def score(values, bins, descending=False):
    """ceil(bins * #{j: v_j <= v_i} / N) (or >= for descending) with integer arithmetic"""
    n = len(values)
    cnt = values.rank(method="max", ascending=not descending).astype("int64")
    return (bins * cnt + n - 1) // n


def rfm(orders, bins, as_of=None):
    o = orders.dropna(subset=["customer_id", "ordered_at"]).copy()
    o["day"] = o["ordered_at"].dt.date
    if as_of is not None:
        o = o[o["day"] <= as_of]
    if as_of is None:
        as_of = o["day"].max() + timedelta(days=1)
    o["amount"] = o["amount"].map(lambda a: Decimal(0) if a is None or (isinstance(a, float) and np.isnan(a)) else a)
    g = o.groupby("customer_id")
    t = pd.DataFrame({
        "last": g["day"].max(),
        "frequency": g.size(),
        "monetary": g["amount"].agg(lambda s: sum(s, Decimal(0))),
    })
    t["recency_days"] = t["last"].map(lambda d: (as_of - d).days)
    # exact ranks: every amount has at most 2 decimals, so cents are exact integers
    cents = t["monetary"].map(lambda d: int(d * 100))
    t["r"] = score(t["recency_days"], bins, descending=True)
    t["f"] = score(t["frequency"], bins)
    t["m"] = score(cents, bins)
    t["rfm_cell"] = [f"{r}{f}{m}" if bins <= 9 else f"{r}-{f}-{m}" for r, f, m in zip(t.r, t.f, t.m)]
    t["segment"] = [segment(r, f, m, bins) for r, f, m in zip(t.r, t.f, t.m)]
    return t.reset_index()


def main():
    orders = make_orders()
    out = orders.copy()
    out["customer_id"] = out["customer_id"].map(lambda c: "" if pd.isna(c) else str(int(c)))
    out["ordered_at"] = out["ordered_at"].map(lambda t: "" if pd.isna(t) else t.strftime("%Y-%m-%d %H:%M:%S"))
    out["amount"] = out["amount"].map(lambda a: "" if a is None else str(a))
    out.to_csv(os.path.join(HERE, "rfm_orders.csv"), index=False, quoting=csv.QUOTE_MINIMAL)

    cases = [("main5", "main", 5, None), ("main3", "main", 3, None), ("main7", "main", 7, None),
             ("main10", "main", 10, None), ("asof", "main", 5, date(2023, 9, 30)),
             ("single", "single", 5, None), ("equal", "equal", 5, None),
             ("exact", "exact", 5, None), ("grid", "grid", 5, None)]
    frames = []
    for name, ds, bins, as_of in cases:
        t = rfm(orders[orders["dataset"] == ds].copy(), bins, as_of)
        t.insert(0, "case_name", name)
        t["customer_id"] = t["customer_id"].astype(int).astype(str)
        t["monetary"] = t["monetary"].map(str)
        frames.append(t[["case_name", "customer_id", "recency_days", "frequency", "monetary",
                         "r", "f", "m", "rfm_cell", "segment"]])
    pd.concat(frames).to_csv(os.path.join(HERE, "rfm_expected.csv"), index=False)

    with open(os.path.join(HERE, "rfm_grid.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["r", "f", "m", "fm", "segment"])
        for r in range(1, 6):
            for f in range(1, 6):
                for m in range(1, 6):
                    w.writerow([r, f, m, fm_of(f, m), segment(r, f, m, 5)])


if __name__ == "__main__":
    main()
