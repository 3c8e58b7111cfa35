#!/usr/bin/env python3
"""An independent jieba-BM25 baseline for the search evaluation (docs/EVAL.md).

What a competent team would build first: jieba (its own dictionary, search mode) cuts every
document and query, and bm25s ranks the documents by plain BM25 over one field (name,
institution, lab, fields and body joined). It shares no code with labbridge: neither our
dictionary, our folding nor our query planning.

Usage: jieba_bm25.py DIR — reads DIR/documents.jsonl ({"key", "text"}) and DIR/queries.jsonl
({"query"}), both written by `labbridge eval-search --export DIR`, and writes
DIR/jieba-bm25.json: {"engine": "jieba-bm25", "runs": {query: [key, …top 50]}}.
"""

import json
import logging
import sys
import unicodedata
from pathlib import Path

import bm25s
import jieba

DEPTH = 50


def tokens(text: str) -> list[str]:
    words = []
    for word in jieba.cut_for_search(text.lower()):
        word = word.strip()
        if word and any(unicodedata.category(c)[0] in "LN" for c in word):
            words.append(word)
    return words


def main() -> None:
    jieba.setLogLevel(logging.WARNING)
    folder = Path(sys.argv[1])
    documents = [json.loads(line) for line in (folder / "documents.jsonl").open(encoding="utf-8")]
    queries = [json.loads(line)["query"] for line in (folder / "queries.jsonl").open(encoding="utf-8")]
    keys = [document["key"] for document in documents]
    retriever = bm25s.BM25()
    retriever.index([tokens(document["text"]) for document in documents], show_progress=False)
    runs = {}
    for query in queries:
        words = tokens(query) or ["\u0000"]
        known = [word for word in words if word in retriever.vocab_dict]
        if not known:
            runs[query] = []
            continue
        results, scores = retriever.retrieve([known], k=DEPTH, show_progress=False)
        runs[query] = [keys[index] for index, score in zip(results[0], scores[0]) if score > 0]
    with (folder / "jieba-bm25.json").open("w", encoding="utf-8") as out:
        json.dump({"engine": "jieba-bm25", "runs": runs}, out, ensure_ascii=False)


if __name__ == "__main__":
    main()
