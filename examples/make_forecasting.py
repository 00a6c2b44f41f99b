#!/usr/bin/python3
"""Regenerates examples/stockout.csv, the data of the "stockout vs overstock" example in
docs/forecasting.md.

    /usr/bin/python3 examples/make_forecasting.py

Synthetic daily demand of 30 products over 28 days with a quantile forecast: p10, p50
and p90 columns. The forecaster's spread is the same relative width for every product,
but the real noise of the fast movers is wider than that, so their 80 % intervals are too
narrow where demand is large. Deterministic: a fixed seed, and every number written with
repr() of a rounded Python float, so two runs give byte-identical files.

Columns: day (1-28), sku, demand (actual units), p10, p50, p90 (the forecast's
quantiles). Needs only Debian's python3-numpy.
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PRODUCTS, DAYS = 30, 28
Z90 = 1.2816  # the 0.9 quantile of the standard normal


def main():
    rng = np.random.default_rng(20240611)
    rows = []
    for k in range(PRODUCTS):
        level = float(np.exp(rng.uniform(np.log(5), np.log(400))))  # mean daily units
        true_cv = 0.15 + 0.25 * (level / 400)  # fast movers are noisier ...
        model_cv = 0.2                          # ... than the forecaster assumes
        for day in range(1, DAYS + 1):
            season = 1 + 0.2 * np.sin(2 * np.pi * day / 7)
            mean = level * season
            demand = max(0.0, mean * (1 + true_cv * rng.normal()))
            p50 = mean * (1 + 0.03 * rng.normal())
            half = Z90 * model_cv * p50
            rows.append((day, f"sku{k + 1:02d}", round(demand, 1), round(max(0.0, p50 - half), 1),
                         round(p50, 1), round(p50 + half, 1)))
    with open(os.path.join(HERE, "stockout.csv"), "w") as f:
        f.write("day,sku,demand,p10,p50,p90\n")
        for r in rows:
            f.write(f"{r[0]},{r[1]},{r[2]!r},{r[3]!r},{r[4]!r},{r[5]!r}\n")


if __name__ == "__main__":
    main()
