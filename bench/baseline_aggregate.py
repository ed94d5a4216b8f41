#!/usr/bin/env python3
"""The side-by-side baseline of the aggregation benchmark: what a secretariat would script in pandas.

Reads a tidy CSV of leaf scores (reviewer,applicant,leaf,points — written by the Swift bench from the
same generated panel), computes each reviewer's total per applicant, then the trimmed mean
(去掉一个最高分和一个最低分 from 5 reviewers up, plain mean below) per applicant, and prints one JSON
line: {"rows": N, "load_s": ..., "aggregate_s": ..., "checksum": ...}. The checksum (sum of the
applicants' aggregated totals) lets the bench confirm both sides computed the same numbers.
"""
import json
import sys
import time

import pandas as pd


def trimmed(s: pd.Series) -> float:
    n = len(s)
    if n >= 5:
        v = s.sort_values().iloc[1:-1]
        return float(v.mean())
    return float(s.mean())


def main() -> None:
    path = sys.argv[1]
    t0 = time.perf_counter()
    df = pd.read_csv(path, dtype={"reviewer": "string", "applicant": "string", "leaf": "string", "points": "float64"})
    t1 = time.perf_counter()
    totals = df.groupby(["applicant", "reviewer"], sort=False)["points"].sum()
    agg = totals.groupby(level="applicant", sort=False).apply(trimmed)
    t2 = time.perf_counter()
    print(json.dumps({"rows": int(len(df)), "applicants": int(len(agg)), "load_s": t1 - t0,
                      "aggregate_s": t2 - t1, "checksum": round(float(agg.sum()), 4)}))


if __name__ == "__main__":
    main()
