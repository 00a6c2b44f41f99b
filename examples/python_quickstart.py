"""vernier from Python, in the order a notebook would go (run: make python, then
PYTHONPATH=python /usr/bin/python3 examples/python_quickstart.py). The test suite runs
this file and checks what it prints against scikit-learn."""
import pickle

import numpy as np
import pandas as pd

import vernier
import vernier.sklearn

# 1. The bundled daily demand forecast, straight from pandas (no copy of float64 columns).
df = pd.read_csv("examples/demand.csv")
r = vernier.evaluate(df.demand, df.forecast, by=df.store, ci=0.95, seed=1)
print(r)                                         # values, intervals and notes
print("mae overall:", r["mae"], "interval:", r.interval("mae"))
print("mape reason:", r.reason("mape"))          # undefined: zero actuals, and why
print(r.to_pandas()[["rows", "mae", "mae_lo", "mae_hi", "wmape"]])

# 2. Drop-in scikit-learn functions: same signature, same answer.
from sklearn.metrics import mean_absolute_error, r2_score

print("sklearn mae:", mean_absolute_error(df.demand, df.forecast),
      "vernier mae:", vernier.sklearn.mean_absolute_error(df.demand, df.forecast))
print("sklearn r2:", r2_score(df.demand, df.forecast),
      "vernier r2:", vernier.sklearn.r2_score(df.demand, df.forecast))

# 3. Streaming and merging: two "workers" each see half of the rows.
half = len(df) // 2
a = vernier.Accumulator("mae,rmse,p95_abs_error", by_names=["store"])
b = vernier.Accumulator("mae,rmse,p95_abs_error", by_names=["store"])
a.update(df.demand[:half], df.forecast[:half], by={"store": df.store[:half]})
b.update(df.demand[half:], df.forecast[half:], by={"store": df.store[half:]})
blob = pickle.dumps(b)                           # what a worker would send back
a.merge(pickle.loads(blob))
merged = a.result()
whole = vernier.evaluate(df.demand, df.forecast, metrics="mae,rmse,p95_abs_error",
                         by=df.store)
print("merged p95:", merged["p95_abs_error"], "whole p95:", whole["p95_abs_error"])
print("state bytes:", len(a.to_bytes()), "format", vernier.STATE_FORMAT)
