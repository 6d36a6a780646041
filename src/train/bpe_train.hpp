// Byte-level BPE tokenizer training, stored the way llama.cpp reads a "gpt2"
// vocabulary (tokenizer.ggml.model = gpt2, tokens in GPT-2's byte<->unicode
// mapping, "left right" merges in rank order, a tokenizer.ggml.pre name).
//
// Training: each document (invalid UTF-8 replaced, cut at every occurrence of
// the end-of-text text) is split by the regexes of `pre`; identical pieces are
// counted once with their frequency; starting from the 256 byte tokens, the
// most frequent adjacent pair is merged until the vocabulary is full. Ties
// between equally frequent pairs go to the pair whose left token's bytes,
// then right token's bytes, compare smallest (unsigned) — the result depends
// only on the documents and the options, never on threads or hash order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf.hpp"

namespace ql::train {

struct BpeTrainOptions {
    int64_t vocab_size = 2048;          // byte tokens + merged tokens + the control token
    std::string pre = "qwen2";          // tokenizer.ggml.pre: which regexes cut the text
    int64_t min_pair_count = 2;         // stop early when no pair is seen this often
    std::string eos = "<|endoftext|>";  // the one control token (BOS and EOS)
    int n_threads = 0;                  // pre-tokenization threads (0: all cores)
};

// Limits of vocab_size (the token files hold 16-bit ids).
constexpr int64_t kMinBpeVocab = 257;
constexpr int64_t kMaxBpeVocab = 65536;

// tokenizer.ggml.token_type values written.
constexpr int32_t kBpeTokenNormal = 1;
constexpr int32_t kBpeTokenControl = 3;

struct BpeVocab {
    std::string pre;                   // tokenizer.ggml.pre
    std::vector<std::string> tokens;   // GPT-2-mapped texts; ids 0..255 are the bytes 0..255
    std::vector<int32_t> token_types;  // kBpeTokenNormal, kBpeTokenControl for the eos token
    std::vector<std::string> merges;   // "left right" (mapped texts), rank order
    int32_t eos_id = -1;               // also the BOS id; add_bos_token is false
};

// Called after each merge with (tokens so far, vocab_size).
using BpeProgress = std::function<void(int64_t, int64_t)>;

// Throws ql::Error for options out of range or an unknown pre name.
BpeVocab train_bpe(const std::vector<std::string_view>& documents, const BpeTrainOptions& options,
                   const BpeProgress& progress = {});

// tokenizer.ggml.{model, pre, tokens, token_type, merges, bos_token_id,
// eos_token_id, add_bos_token, add_eos_token} of `vocab`.
void set_tokenizer_metadata(gguf::GgufWriter& writer, const BpeVocab& vocab);

// A vocabulary-only GGUF (no tensors) that quantlab and llama.cpp's
// vocab-only loading (llama-tokenize) both accept, written atomically.
void write_vocab_gguf(const std::string& path, const BpeVocab& vocab);

// The vocabulary stored in a GGUF file (tokenizer.ggml.*), for comparisons.
BpeVocab read_vocab_gguf(const gguf::GgufFile& file);

}  // namespace ql::train
