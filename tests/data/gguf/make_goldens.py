#!/usr/bin/env python3
"""Writes a tiny random llama model as F32 GGUF with the peer's gguf-py.

usage: make_goldens.py OUT.gguf   (needs PYTHONPATH=<llama.cpp>/gguf-py and numpy)

One block, n_embd 256 (so K-quants apply), n_ff 128 (so ffn_down falls back
to a 32-block type), a 32-token vocabulary. Random weights, fixed seed.
"""
import sys

import numpy as np
import gguf

N_EMBD, N_FF, N_VOCAB, N_HEAD, N_HEAD_KV = 256, 128, 32, 2, 1
HEAD_DIM = N_EMBD // N_HEAD

rng = np.random.default_rng(20261127)


def weight(*shape_rows_first):
    """numpy shape is (rows, ne0): gguf-py reverses it into ne."""
    return (rng.standard_normal(shape_rows_first) * 0.05).astype(np.float32)


w = gguf.GGUFWriter(sys.argv[1], "llama")
w.add_name("quantlab gguf golden")
w.add_context_length(128)
w.add_embedding_length(N_EMBD)
w.add_block_count(1)
w.add_feed_forward_length(N_FF)
w.add_head_count(N_HEAD)
w.add_head_count_kv(N_HEAD_KV)
w.add_rope_dimension_count(HEAD_DIM)
w.add_layer_norm_rms_eps(1e-5)
w.add_file_type(0)  # all F32
w.add_tokenizer_model("llama")
tokens = ["<unk>", "<s>", "</s>"] + [f"t{i}" for i in range(N_VOCAB - 3)]
w.add_token_list(tokens)
w.add_token_scores([-float(i) for i in range(N_VOCAB)])
w.add_token_types([2, 3, 3] + [1] * (N_VOCAB - 3))
w.add_bos_token_id(1)
w.add_eos_token_id(2)

w.add_tensor("token_embd.weight", weight(N_VOCAB, N_EMBD))
w.add_tensor("blk.0.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
w.add_tensor("blk.0.attn_q.weight", weight(N_EMBD, N_EMBD))
w.add_tensor("blk.0.attn_k.weight", weight(N_HEAD_KV * HEAD_DIM, N_EMBD))
w.add_tensor("blk.0.attn_v.weight", weight(N_HEAD_KV * HEAD_DIM, N_EMBD))
w.add_tensor("blk.0.attn_output.weight", weight(N_EMBD, N_EMBD))
w.add_tensor("blk.0.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
w.add_tensor("blk.0.ffn_gate.weight", weight(N_FF, N_EMBD))
w.add_tensor("blk.0.ffn_up.weight", weight(N_FF, N_EMBD))
w.add_tensor("blk.0.ffn_down.weight", weight(N_EMBD, N_FF))
w.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
w.add_tensor("output.weight", weight(N_VOCAB, N_EMBD))

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
