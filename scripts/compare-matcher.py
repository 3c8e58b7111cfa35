#!/usr/bin/env python3
"""Compares `labbridge assign` with OR-Tools on a matcher benchmark run.

Reads results.jsonl written by ../shared/bench/matcher/run.sh (with EXTERNAL_LABEL=labbridge)
and fails unless, on every instance, labbridge's solution is valid (check.py) and has exactly
OR-Tools' required units and objective_int (OR-Tools' min-cost flow is the exact optimum).
Prints one line per instance with wall time and peak memory of both.
"""
import json
import sys


def main(path):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    by = {(row["instance"], row["solver"]): row for row in rows}
    instances = sorted({row["instance"] for row in rows}, key=[r["instance"] for r in rows].index)
    failures = 0
    for name in instances:
        ours, theirs = by.get((name, "labbridge")), by.get((name, "ortools"))
        if ours is None or theirs is None:
            print(f"{name}: missing a run (labbridge: {ours is not None}, ortools: {theirs is not None})")
            failures += 1
            continue
        same = (
            ours.get("chk_valid") is True
            and ours.get("chk_req_units") == theirs.get("chk_req_units")
            and ours.get("chk_objective_int") == theirs.get("chk_objective_int")
        )
        failures += not same
        print(
            f"{name:12} {'ok  ' if same else 'FAIL'} req_units {ours.get('chk_req_units')}/{theirs.get('chk_req_units')}"
            f" objective_int {ours.get('chk_objective_int')}/{theirs.get('chk_objective_int')}"
            f" wall {ours.get('wall_s')}s/{theirs.get('wall_s')}s"
            f" rss {ours.get('rss_mb', 0):.0f}/{theirs.get('rss_mb', 0):.0f} MB"
            f" t_solve {ours.get('t_solve')}/{theirs.get('t_solve')} (labbridge/ortools)"
        )
    if failures:
        print(f"{failures} instance(s) differ from OR-Tools")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
