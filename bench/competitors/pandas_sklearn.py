#!/usr/bin/python3
"""Competitor: what a Python user would write — pandas.read_csv, then scikit-learn.

    /usr/bin/python3 bench/competitors/pandas_sklearn.py FILE [--by segment]

Computes the benchmark battery (battery.py: mae, mse, rmse, mean_error, mape, smape,
huber, pinball 0.9, r2, medae, p95/p99 |e|, max_error, count) on the y/yhat columns,
overall and, with --by, per value of that column (pandas groupby, first-appearance order).
Prints one JSON document to stdout: the values (null for NaN) and the time spent reading
and computing. bench/run.py times the whole process and compares the values with vernier's.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pandas as pd  # noqa: E402

from battery import battery, emit  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("-y", default="y")
    ap.add_argument("-p", default="yhat")
    ap.add_argument("--by", default=None)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    df = pd.read_csv(args.file)
    t1 = time.perf_counter()
    slices = [{"by": None, "metrics": battery(df[args.y].to_numpy(), df[args.p].to_numpy())}]
    if args.by:
        for label, g in df.groupby(args.by, sort=False):
            slices.append({"by": str(label),
                           "metrics": battery(g[args.y].to_numpy(), g[args.p].to_numpy())})
    t2 = time.perf_counter()

    emit("pandas+sklearn", len(df), args.by, {"read": t1 - t0, "battery": t2 - t1}, slices)
    return 0


if __name__ == "__main__":
    sys.exit(main())
