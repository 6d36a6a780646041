#!/usr/bin/env python3
"""Shrinks a peer logits dump (n_tokens x n_vocab little-endian f32) to the
goldens the forward-pass test reads:
  head.f32     the first N_HEAD positions, every logit            [N_HEAD, n_vocab]
  summary.f32  for every position: argmax (as f32), max |logit|,
               second-largest logit, then the logits of the probe ids
               0, STRIDE, 2*STRIDE, ...                           [n_tokens, 3 + n_probe]
usage: summarize.py DUMP N_VOCAB OUT_DIR"""
import array
import sys

N_HEAD = 32
PROBE_STRIDE = 64


def main():
    dump, n_vocab, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    logits = array.array("f")
    with open(dump, "rb") as f:
        logits.frombytes(f.read())
    if sys.byteorder != "little":
        logits.byteswap()
    n_tokens = len(logits) // n_vocab
    assert n_tokens * n_vocab == len(logits), "dump size is not a multiple of n_vocab"
    head = logits[: min(N_HEAD, n_tokens) * n_vocab]
    summary = array.array("f")
    for t in range(n_tokens):
        row = logits[t * n_vocab : (t + 1) * n_vocab]
        best = max(range(n_vocab), key=lambda i: row[i])
        second = max(row[i] for i in range(n_vocab) if i != best)
        summary.append(float(best))
        summary.append(max(abs(v) for v in row))
        summary.append(second)
        summary.extend(row[i] for i in range(0, n_vocab, PROBE_STRIDE))
    with open(f"{out_dir}/head.f32", "wb") as f:
        head.tofile(f)
    with open(f"{out_dir}/summary.f32", "wb") as f:
        summary.tofile(f)
    print(f"{out_dir}: {n_tokens} positions, {n_vocab} vocab")


if __name__ == "__main__":
    main()
