"""Cohorts: many athletes' files analysed on a Dask cluster into one Parquet table (``stridelink[cohort]``).

    from stridelink.cohort import build, summary
    build(["/data/squad"], "/data/squad-table")          # a local cluster, one worker per core
    summary("/data/squad-table")                          # per athlete: the coach's Monday view
"""

from __future__ import annotations

from typing import Any


def build(*args: Any, **kwargs: Any) -> Any:
    from stridelink.cohort.build import build as run

    return run(*args, **kwargs)


def summary(*args: Any, **kwargs: Any) -> Any:
    from stridelink.cohort.summary import summary as run

    return run(*args, **kwargs)
