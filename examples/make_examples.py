#!/usr/bin/python3
"""Regenerates the example data sets in examples/ (see examples/README.md).

    /usr/bin/python3 examples/make_examples.py

Writes examples/diabetes.csv, examples/demand.csv and examples/eta.csv next to this
script. The output is
deterministic: fixed seeds, no dependence on the clock, the locale or the hash seed, and
every number is written with repr() of a rounded Python float, so running the script twice
gives byte-identical files. The CLI test case examples_regenerate checks that a fresh
run reproduces the committed files.

Needs only Debian's python3-numpy and python3-sklearn; nothing is downloaded (the diabetes
data ships inside scikit-learn).
"""

import datetime
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write_csv(path, header, rows):
    """Writes rows (sequences of already-formatted strings) with LF line ends."""
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(row) + "\n")


def num(x, digits):
    """repr() of x rounded to `digits` decimals: the shortest string that reads back as
    exactly that double (e.g. 151.0, 206.1167)."""
    return repr(round(float(x), digits))


# --------------------------------------------------------------------------------------
# diabetes.csv: a real data set and a real (simple) model.
# --------------------------------------------------------------------------------------
def make_diabetes(path):
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import train_test_split

    data = load_diabetes()  # 442 patients, 10 scaled features, target = progression
    X, y = data.data, data.target
    idx = np.arange(len(y))
    # A fixed half/half split; the model never sees the rows it is evaluated on.
    idx_train, idx_test = train_test_split(idx, test_size=0.5, random_state=0)
    model = LinearRegression().fit(X[idx_train], y[idx_train])

    test = np.sort(idx_test)  # written in the data set's own row order
    yhat = model.predict(X[test])
    sex_col = data.feature_names.index("sex")
    # The scaled sex feature takes two values; the raw file codes them 1 and 2
    # (negative scaled value = 1). The data set does not say which code is which sex,
    # so the codes are kept as they are.
    sex = np.where(X[test, sex_col] > 0, "2", "1")

    rows = [(str(int(i)), num(y[i], 4), num(p, 4), s) for i, p, s in zip(test, yhat, sex)]
    write_csv(path, ["id", "y", "yhat", "sex"], rows)
    return len(rows)


# --------------------------------------------------------------------------------------
# demand.csv: a synthetic daily demand panel with a simple forecast.
# --------------------------------------------------------------------------------------
STORES = ["s1", "s2", "s3", "s4"]
BASE = {"s1": 42.0, "s2": 25.0, "s3": 60.0, "s4": 9.0}    # mean units per day
GROWTH = {"s1": 0.15, "s2": 0.05, "s3": 0.25, "s4": -0.10}  # relative change per year
DISPERSION = {"s1": 12.0, "s2": 8.0, "s3": 20.0, "s4": 5.0}  # negative-binomial size
BIASED_STORE = "s3"   # its forecast is inflated by BIAS_FACTOR
BIAS_FACTOR = 1.15
WEEKLY = np.array([0.90, 0.85, 0.90, 1.00, 1.20, 1.35, 0.80])  # Monday .. Sunday
CLOSED_P = 0.04       # days with zero demand (closure, stock-out) besides natural zeros
START = datetime.date(2023, 1, 1)
DAYS = 365
WARMUP = 70           # days simulated before START so every forecast has its history
SEASON = 7            # seasonal-naive lag
DRIFT_WINDOW = 28     # drift = change of the 28-day mean, spread over SEASON days


def make_demand(path):
    rng = np.random.default_rng(20230101)
    n = WARMUP + DAYS
    first = START - datetime.timedelta(days=WARMUP)
    dates = [first + datetime.timedelta(days=k) for k in range(n)]
    weekday = np.array([d.weekday() for d in dates])
    t_years = (np.arange(n) - WARMUP) / 365.0
    yearly = 1.0 + 0.10 * np.sin(2.0 * np.pi * (np.arange(n) - WARMUP - 80) / 365.0)

    demand = {}
    forecast = {}
    for s in STORES:  # fixed order: the generator's draws are consumed deterministically
        mu = BASE[s] * (1.0 + GROWTH[s] * t_years) * WEEKLY[weekday] * yearly
        size = DISPERSION[s]
        # Negative binomial with mean mu and variance mu + mu^2/size.
        d = rng.negative_binomial(size, size / (size + mu)).astype(float)
        d[rng.random(n) < CLOSED_P] = 0.0
        demand[s] = d

        f = np.full(n, np.nan)
        for t in range(SEASON + 2 * DRIFT_WINDOW, n):
            recent = d[t - DRIFT_WINDOW:t].mean()
            before = d[t - 2 * DRIFT_WINDOW:t - DRIFT_WINDOW].mean()
            drift_per_day = (recent - before) / DRIFT_WINDOW
            f[t] = max(0.0, d[t - SEASON] + SEASON * drift_per_day)
        if s == BIASED_STORE:
            f = f * BIAS_FACTOR
        forecast[s] = f

    # One series after the other, each in time order: series metrics (mase, mda) read
    # rows in input order, so each store's days are contiguous.
    rows = []
    for s in STORES:
        for t in range(WARMUP, n):
            rows.append((dates[t].isoformat(), s, str(int(demand[s][t])), num(forecast[s][t], 2)))
    write_csv(path, ["date", "store", "demand", "forecast"], rows)
    zeros = sum(1 for r in rows if r[2] == "0")
    return len(rows), zeros


# --------------------------------------------------------------------------------------
# eta.csv: champion vs challenger for delivery times (vernier compare).
# --------------------------------------------------------------------------------------
def make_eta(path):
    """Delivery minutes with two models: v1 (the champion) has heavy-tailed errors; v2
    (the challenger) tames the tail — a much better p95 error — but runs 1.5 minutes
    late on average: the case a mean_error guard exists for."""
    rng = np.random.default_rng(20261128)
    n = 4000
    regions = np.array(["north", "south", "east", "west"])
    region = regions[rng.integers(0, 4, n)]
    distance = rng.gamma(3.0, 1.5, n)                        # km
    actual = 8.0 + 3.2 * distance + rng.gamma(2.0, 2.0, n)   # minutes
    tail = rng.standard_t(3, n) * 3.0                        # v1's heavy-tailed error
    v1 = actual + tail
    v2 = actual + np.clip(tail, -6.0, 6.0) * 0.85 + 1.5
    rows = [(str(i + 1), region[i], num(actual[i], 2), num(v1[i], 2), num(v2[i], 2))
            for i in range(n)]
    write_csv(path, ["order_id", "region", "actual", "v1", "v2"], rows)
    return n


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Regenerates examples/diabetes.csv, "
                                 "examples/demand.csv and examples/eta.csv.")
    ap.add_argument("--outdir", default=HERE,
                    help="write the files there instead of examples/ (the tests compare "
                    "a fresh copy with the committed files)")
    args = ap.parse_args(argv[1:])
    n = make_diabetes(os.path.join(args.outdir, "diabetes.csv"))
    print(f"diabetes.csv: {n} rows")
    n, zeros = make_demand(os.path.join(args.outdir, "demand.csv"))
    print(f"demand.csv: {n} rows, {zeros} with demand 0 ({100.0 * zeros / n:.1f}%)")
    n = make_eta(os.path.join(args.outdir, "eta.csv"))
    print(f"eta.csv: {n} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
