"""Evaluate a dask dataframe: one evaluation state per partition, merged in a tree.

    import dask.dataframe as dd, vernier.dask
    ddf = dd.read_parquet("predictions/")
    r = vernier.dask.evaluate(ddf, y="y", y_pred="yhat", by="region", metrics="mae,p95_abs_error")

Each partition becomes a vernier.Accumulator on the worker that holds it; its byte form
(vernier.STATE_FORMAT, the same bytes `vernier eval --from-states` reads) travels, and
states are merged `split_every` at a time, always in partition order, so the result is
the evaluation of the whole dataframe in memory: exact quantiles, slices in order of first
appearance, and order-dependent metrics (mda, mase) as over the concatenated rows.

The byte form is engine-neutral: the same two functions (`partition_state`,
`merge_states`) work from Spark's mapInPandas or Ray's map_batches.
"""
from . import Accumulator

__all__ = ["evaluate", "partition_state", "merge_states"]


def _names(by):
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def partition_state(df, y, y_pred, sample_weight=None, by=None, metrics=None, options=None):
    """The state (bytes) of one pandas dataframe's rows."""
    names = _names(by)
    acc = Accumulator(metrics, by_names=names or None, **(options or {}))
    if len(df):
        w = None if sample_weight is None else df[sample_weight].to_numpy(dtype="float64")
        labels = {n: df[n].astype(str).to_numpy() for n in names} or None
        acc.update(df[y].to_numpy(dtype="float64"), df[y_pred].to_numpy(dtype="float64"), w,
                   by=labels)
    return acc.to_bytes()


def merge_states(*states):
    """One state (bytes) holding the rows of all, in the order given."""
    acc = Accumulator.from_bytes(states[0])
    for s in states[1:]:
        acc.merge(Accumulator.from_bytes(s))
    return acc.to_bytes()


def evaluate(ddf, y, y_pred, *, by=None, metrics=None, sample_weight=None, split_every=8,
             compute=True, **options):
    """Evaluates the dataframe's rows: the result of vernier.evaluate on all of them.

    by: a column name or a list of names. options: the keyword options of
    vernier.Accumulator (ci, seed, zero, r2_constant, min_count, ...). With
    compute=False, returns the dask.delayed state (bytes) instead of a Result."""
    import dask

    if split_every < 2:
        raise ValueError("split_every must be at least 2")
    cols = [y, y_pred] + ([sample_weight] if sample_weight else []) + _names(by)
    missing = [c for c in cols if c not in ddf.columns]
    if missing:
        raise KeyError(f"columns not in the dataframe: {missing}")
    parts = ddf[cols].to_delayed()
    states = [dask.delayed(partition_state, pure=True)(p, y, y_pred, sample_weight, by,
                                                      metrics, options) for p in parts]
    while len(states) > 1:
        states = [dask.delayed(merge_states, pure=True)(*states[i:i + split_every])
                  for i in range(0, len(states), split_every)]
    if not compute:
        return states[0]
    return Accumulator.from_bytes(states[0].compute()).result()
