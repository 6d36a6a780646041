// Token streams for training: the tokenized corpus (one stream per domain
// and split, ids as uint16 in a small checked file format), batches drawn
// at positions that depend only on (seed, step) — so a resumed run sees the
// same batches — and fixed held-out windows for evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/model.hpp"

namespace ql::train {

// File format of a token stream: "QLTOKENS" magic, u32 version 1, u32 vocab
// size, u64 count, then count little-endian uint16 ids.
void write_token_file(const std::string& path, const std::vector<uint16_t>& ids, int64_t n_vocab);
// Throws ql::InputError naming the file when it is malformed or an id is out
// of range of its vocabulary.
std::vector<uint16_t> read_token_file(const std::string& path, int64_t& n_vocab);

struct DomainTokens {
    std::string domain;
    std::vector<uint16_t> train, val;
};

struct TokenCorpus {
    std::vector<DomainTokens> domains;
    std::vector<uint16_t> train;  // every domain's train stream, concatenated
    int64_t n_vocab = 0;
};

// Loads DIR/tokens/<domain>.{train,val}.tok for every domain listed in
// DIR/tokens/domains.txt (one name per line).
TokenCorpus load_token_corpus(const std::string& dir);

// Batch of step `step`: n_seq windows of seq_len + 1 tokens at positions
// drawn from (seed, step).
Batch sample_batch(const std::vector<uint16_t>& stream, int64_t n_seq, int64_t seq_len,
                   uint64_t seed, int64_t step);

// The held-out windows of a stream: consecutive, non-overlapping, at most
// max_windows, in batches of n_seq.
std::vector<Batch> eval_batches(const std::vector<uint16_t>& stream, int64_t n_seq, int64_t seq_len,
                                int64_t max_windows);

}  // namespace ql::train
