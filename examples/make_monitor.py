#!/usr/bin/python3
"""Regenerates the monitoring examples in examples/ (docs/drift.md, docs/diagnose.md).

    /usr/bin/python3 examples/make_monitor.py

Writes, next to this script:

* eta_march.csv, eta_april.csv — the inputs and the prediction of a delivery-time
  (ETA) model in two months, 3000 orders each: distance_km, hour, region, weather,
  courier_rating, eta_min. April's orders come from a new far suburb (longer
  distances), an "airport" region appears, it rains more; the hour of day and the
  couriers' ratings are drawn alike in both months. For `vernier drift`.
* marketing.csv — 156 weeks of a marketing-mix model: spend on tv, radio and online
  (online is bought as a fixed share of tv, so the two move together), sales, and a
  linear model's prediction that ignores the yearly season, so its errors repeat from
  week to week. For `vernier diagnose` (multicollinearity, autocorrelation).

Synthetic: the generating rules are above and below. Deterministic (fixed seeds, every
number written with repr() of a rounded float): two runs give byte-identical files.
Needs only Debian's python3-numpy.
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write_csv(path, header, rows):
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(row) + "\n")


def num(x, digits):
    return repr(round(float(x), digits))


def eta_month(rng, n, april):
    regions = ["north", "south", "east", "west"] + (["airport"] if april else [])
    p = [0.3, 0.25, 0.25, 0.2] if not april else [0.27, 0.23, 0.23, 0.19, 0.08]
    region = rng.choice(regions, n, p=p)
    far = rng.random(n) < (0.25 if april else 0.0)  # the new far suburb
    dist = rng.lognormal(1.3, 0.55, n) * np.where(far, 2.2, 1.0)
    dist = np.where(region == "airport", rng.normal(18, 3, n), dist)
    hour = rng.choice(np.arange(24), n, p=np.bincount(
        np.r_[np.arange(24), [11, 12, 12, 13, 18, 19, 19, 20] * 3], minlength=24) / 48)
    weather = rng.choice(["clear", "rain", "snow"], n,
                         p=[0.55, 0.4, 0.05] if april else [0.75, 0.2, 0.05])
    rating = rng.choice([3, 4, 5], n, p=[0.1, 0.4, 0.5])
    eta = 6 + 2.4 * dist + np.where(weather == "rain", 3, 0) + np.where(weather == "snow", 7, 0)
    eta = eta + np.isin(hour, [12, 13, 19, 20]) * 4 + rng.normal(0, 1.5, n)
    rows = []
    for i in range(n):
        rows.append([num(dist[i], 2), str(hour[i]), region[i], weather[i], str(rating[i]),
                     num(eta[i], 1)])
    return rows


def marketing(rng, weeks):
    t = np.arange(weeks)
    tv = np.clip(rng.normal(50, 15, weeks), 5, None)
    radio = np.clip(rng.normal(20, 6, weeks), 1, None)
    online = 0.6 * tv + rng.normal(0, 2.5, weeks)  # bought as a share of tv
    season = 40 * np.sin(2 * np.pi * t / 52)
    err = np.zeros(weeks)
    for i in range(1, weeks):  # AR(1) demand shocks
        err[i] = 0.6 * err[i - 1] + rng.normal(0, 12)
    sales = 300 + 3.0 * tv + 2.0 * radio + 1.5 * online + season + err
    X = np.column_stack([np.ones(weeks), tv, radio, online])
    beta, *_ = np.linalg.lstsq(X, sales, rcond=None)  # the model: no season term
    pred = X @ beta
    return [[str(i + 1), num(tv[i], 1), num(radio[i], 1), num(online[i], 1), num(sales[i], 1),
             num(pred[i], 1)] for i in range(weeks)]


def main():
    rng = np.random.default_rng(20260310)
    header = ["distance_km", "hour", "region", "weather", "courier_rating", "eta_min"]
    write_csv(os.path.join(HERE, "eta_march.csv"), header, eta_month(rng, 3000, False))
    write_csv(os.path.join(HERE, "eta_april.csv"), header, eta_month(rng, 3000, True))
    write_csv(os.path.join(HERE, "marketing.csv"),
              ["week", "tv", "radio", "online", "sales", "predicted"], marketing(rng, 156))


if __name__ == "__main__":
    main()
