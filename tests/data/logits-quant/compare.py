#!/usr/bin/env python3
"""Compares two logits dumps (n_tokens x n_vocab little-endian f32): mean KL
divergence KL(peer || ours) of the next-token distributions, and argmax
agreement on positions whose top-2 margin (peer) is >= 1e-3.
usage: compare.py PEER.f32 OURS.f32 N_VOCAB"""
import array
import math
import sys


def read(path):
    a = array.array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    if sys.byteorder != "little":
        a.byteswap()
    return a


def log_softmax(row):
    m = max(row)
    lse = m + math.log(sum(math.exp(v - m) for v in row))
    return [v - lse for v in row]


def main():
    peer, ours, n_vocab = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3])
    assert len(peer) == len(ours) and len(peer) % n_vocab == 0
    n = len(peer) // n_vocab
    kl_sum, kl_max, decided, agree, rel_max = 0.0, 0.0, 0, 0, 0.0
    for t in range(n):
        p = peer[t * n_vocab:(t + 1) * n_vocab]
        q = ours[t * n_vocab:(t + 1) * n_vocab]
        lp, lq = log_softmax(p), log_softmax(q)
        kl = sum(math.exp(a) * (a - b) for a, b in zip(lp, lq))
        kl_sum += kl
        kl_max = max(kl_max, kl)
        top = sorted(p)[-2:]
        if top[1] - top[0] >= 1e-3:
            decided += 1
            agree += max(range(n_vocab), key=p.__getitem__) == max(range(n_vocab), key=q.__getitem__)
        rel_max = max(rel_max, max(abs(a - b) for a, b in zip(p, q)) / max(abs(v) for v in p))
    print(f"positions {n} mean_kl {kl_sum / n:.3e} max_kl {kl_max:.3e} argmax {agree}/{decided} max_rel {rel_max:.3e}")


if __name__ == "__main__":
    main()
