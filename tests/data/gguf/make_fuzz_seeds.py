#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus (tiny valid GGUF files) with the peer's gguf-py.

usage: make_fuzz_seeds.py OUT_DIR   (needs PYTHONPATH=<llama.cpp>/gguf-py and numpy)
"""
import os
import sys

import numpy as np
import gguf

out = sys.argv[1]
rng = np.random.default_rng(7)
Q = gguf.GGMLQuantizationType


def writer(name, **kw):
    return gguf.GGUFWriter(os.path.join(out, name), "llama", **kw)


def finish(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# Metadata only, every value type.
w = writer("seed-metadata.gguf")
w.add_uint8("t.u8", 200)
w.add_int8("t.i8", -100)
w.add_uint16("t.u16", 60000)
w.add_int16("t.i16", -30000)
w.add_uint32("t.u32", 4000000000)
w.add_int32("t.i32", -2000000000)
w.add_float32("t.f32", 0.25)
w.add_bool("t.bool", True)
w.add_string("t.str", "hello")
w.add_uint64("t.u64", 2**63 + 5)
w.add_int64("t.i64", -(2**40))
w.add_float64("t.f64", -1.5)
w.add_array("t.arr.str", ["a", "bc", ""])
w.add_array("t.arr.i32", [1, -2, 3])
w.add_array("t.arr.f32", [0.5, 1.5])
w.add_array("t.arr.bool", [True, False])
finish(w)

# One small tensor of each of a few types.
w = writer("seed-tensors.gguf")
w.add_block_count(1)
w.add_tensor("f32", rng.standard_normal((2, 8)).astype(np.float32))
w.add_tensor("f16", rng.standard_normal((3, 4)).astype(np.float16))
w.add_tensor("q8_0", rng.integers(0, 255, (2, 34), dtype=np.uint8), raw_dtype=Q.Q8_0)
w.add_tensor("q4_k", rng.integers(0, 255, (1, 144), dtype=np.uint8), raw_dtype=Q.Q4_K)
w.add_tensor("i32", np.arange(5, dtype=np.int32))
finish(w)

# Non-default alignment and a 3-d tensor.
w = writer("seed-align64.gguf")
w.add_custom_alignment(64)
w.add_tensor("a", np.ones((2, 2, 4), dtype=np.float32))
w.add_tensor("b", np.zeros(3, dtype=np.float32))
finish(w)
