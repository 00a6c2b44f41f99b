#!/usr/bin/python3
"""Regenerates examples/sales.csv, the data of the revenue-weighted example in
docs/expressions.md ("price your errors").

    /usr/bin/python3 examples/make_sales.py

Synthetic weekly unit sales of 240 products over 8 weeks, with two forecasts. Model A
is sharp on cheap, high-volume groceries and loose on expensive electronics; model B is
the other way round. Counted in units (MAE, wMAPE) A looks better; weighted by what the
units are worth, B is. Deterministic: a fixed seed, and every number written with repr()
of a rounded Python float, so two runs give byte-identical files.

Columns: week (1-8), sku, category (grocery, apparel, electronics), price (per unit),
units (actual), forecast_a, forecast_b. Needs only Debian's python3-numpy.
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# category: products, price range, typical weekly units, relative error of A and of B
CATEGORIES = [
    ("grocery", 120, (1.0, 9.0), 180.0, 0.08, 0.20),
    ("apparel", 80, (15.0, 120.0), 25.0, 0.20, 0.22),
    ("electronics", 40, (150.0, 1500.0), 6.0, 0.60, 0.20),
]
WEEKS = 8


def main():
    rng = np.random.default_rng(20240611)
    rows = []
    sku = 0
    for name, n, (plo, phi), level, err_a, err_b in CATEGORIES:
        for _ in range(n):
            sku += 1
            price = round(float(np.exp(rng.uniform(np.log(plo), np.log(phi)))), 2)
            base = level * float(np.exp(rng.normal(0.0, 0.4)))
            for week in range(1, WEEKS + 1):
                units = int(rng.poisson(base))
                fa = max(0.0, units * float(np.exp(rng.normal(0.0, err_a))) + rng.normal(0.0, 0.5))
                fb = max(0.0, units * float(np.exp(rng.normal(0.0, err_b))) + rng.normal(0.0, 0.5))
                rows.append((str(week), "p%03d" % sku, name, repr(price), str(units),
                             repr(round(fa, 2)), repr(round(fb, 2))))
    rows.sort(key=lambda r: (int(r[0]), r[1]))
    path = os.path.join(HERE, "sales.csv")
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("week,sku,category,price,units,forecast_a,forecast_b\n")
        for r in rows:
            f.write(",".join(r) + "\n")


if __name__ == "__main__":
    main()
