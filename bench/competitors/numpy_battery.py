#!/usr/bin/python3
"""Competitor: the battery in plain numpy on arrays already in memory.

    /usr/bin/python3 bench/competitors/numpy_battery.py FILE [--by segment]

The lower bound a Python user could reach without any parsing: FILE is converted once to
FILE.npz (untimed, cached next to it), loaded, and only the battery (battery.py with
sklearn=False: plain numpy, no input validation) is timed with time.perf_counter. Prints
one JSON document with the values and "seconds": {"load": ..., "battery": ...}.
bench/run.py reports the battery time (and the whole process's wall time and peak RSS).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

from battery import by_slices, emit, groups_by_codes  # noqa: E402


def cache_path(path):
    return path + ".npz"


def load(path, ycol, pcol, bycol):
    """The arrays of FILE, from the .npz cache (made with pandas on first use)."""
    npz = cache_path(path)
    if not os.path.exists(npz) or os.path.getmtime(npz) < os.path.getmtime(path):
        import pandas as pd
        df = pd.read_csv(path)
        codes, labels = pd.factorize(df[bycol]) if bycol else (np.zeros(0, np.int64), [])
        tmp = npz + ".tmp.npz"
        np.savez(tmp, y=df[ycol].to_numpy(np.float64), yhat=df[pcol].to_numpy(np.float64),
                 codes=np.asarray(codes, np.int64), labels=np.asarray(labels, dtype=str))
        os.replace(tmp, npz)
        del df
    with np.load(npz) as z:
        return z["y"], z["yhat"], z["codes"], list(z["labels"])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("-y", default="y")
    ap.add_argument("-p", default="yhat")
    ap.add_argument("--by", default=None)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    # The cache always holds the segment codes when the file has a "segment" column, so
    # the same .npz serves runs with and without --by.
    y, yhat, codes, labels = load(args.file, args.y, args.p, args.by or "segment")
    t1 = time.perf_counter()
    groups = groups_by_codes(codes, labels) if args.by else None
    slices = by_slices(y, yhat, groups, sklearn=False)
    t2 = time.perf_counter()

    emit("numpy", len(y), args.by, {"load": t1 - t0, "battery": t2 - t1}, slices)
    return 0


if __name__ == "__main__":
    sys.exit(main())
