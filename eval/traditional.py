#!/usr/bin/env python3
"""Derives the `traditional` class of eval/search.json from its judged simplified queries.

Each keyword and phrased query is written as a reader in Taiwan (OpenCC s2tw) or Hong Kong
(s2hk) would write it, alternately, and keeps the judgments of the query it came from (`from`
names it): the need is the same, only the script differs. Queries the conversion leaves
unchanged (6061-T6) are skipped. Run by hand when the simplified queries change
(`pip install opencc`); the result is reviewed and committed, not made at test time.

Usage: eval/traditional.py eval/search.json
"""

import json
import sys

import opencc


def main() -> None:
    path = sys.argv[1]
    with open(path, encoding="utf-8") as source:
        data = json.load(source)
    queries = [query for query in data["queries"] if "from" not in query]
    converters = [opencc.OpenCC("s2tw"), opencc.OpenCC("s2hk")]
    derived = []
    for query in queries:
        if query["set"] not in ("keyword", "phrased"):
            continue
        text = converters[len(derived) % 2].convert(query["query"])
        if text == query["query"]:
            continue
        derived.append({"query": text, "set": "traditional", "from": query["query"],
                        "relevant": query["relevant"]})
    data["queries"] = queries + derived
    with open(path, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
