#!/usr/bin/env python3
"""Writes glm4-tiny.gguf: a small byte-level BPE vocabulary with
tokenizer.ggml.pre = "glm4", cut from llama.cpp's Qwen2 test vocabulary
(no GLM vocabulary ships with the peer). Keeps the first N_KEEP tokens, the
control tokens (renumbered after them) and every merge whose two parts and
result are all kept.

Usage: PYTHONPATH=$PEER/gguf-py /usr/bin/python3 make_glm4_vocab.py SRC.gguf OUT.gguf
"""
import sys

import gguf

N_KEEP = 4000


def field_strings(reader, key):
    f = reader.fields[key]
    return [bytes(f.parts[i]).decode("utf-8") for i in f.data]


def field_ints(reader, key):
    f = reader.fields[key]
    return [int(f.parts[i][0]) for i in f.data]


def main(src, out):
    r = gguf.GGUFReader(src)
    tokens = field_strings(r, "tokenizer.ggml.tokens")
    types = field_ints(r, "tokenizer.ggml.token_type")
    merges = field_strings(r, "tokenizer.ggml.merges")

    keep = list(range(N_KEEP)) + [i for i in range(N_KEEP, len(tokens)) if types[i] == 3]
    new_id = {old: new for new, old in enumerate(keep)}
    kept_tokens = [tokens[i] for i in keep]
    kept_text = set(kept_tokens)
    kept_merges = []
    for m in merges:
        left, right = m.split(" ", 1)
        if left in kept_text and right in kept_text and left + right in kept_text:
            kept_merges.append(m)

    eot = new_id[tokens.index("<|endoftext|>")]
    w = gguf.GGUFWriter(out, "qwen2")
    w.add_name("glm4-tiny")
    w.add_context_length(4096)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(128)
    w.add_head_count(4)
    w.add_head_count_kv(4)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("glm4")
    w.add_token_list(kept_tokens)
    w.add_token_types([types[i] for i in keep])
    w.add_token_merges(kept_merges)
    w.add_bos_token_id(eot)
    w.add_eos_token_id(eot)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{out}: {len(kept_tokens)} tokens, {len(kept_merges)} merges")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
