// The vocabulary as the tokenizer algorithms see it (internal to tokenizer/).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/pretokenize.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ql::tok {

// Hash that lets unordered_map<std::string, ...> be searched with a string_view.
struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TextToId = std::unordered_map<std::string, int32_t, TextHash, std::equal_to<>>;

struct TokenEntry {
    std::string text;
    float score = 0.0f;
    TokenType type = TokenType::Normal;
    bool lstrip = false;  // drop whitespace before it when matched in raw text
    bool rstrip = false;  // drop whitespace after it
};

struct VocabData {
    VocabKind kind = VocabKind::Spm;
    std::string pre_name;                    // tokenizer.ggml.pre
    std::vector<TokenEntry> tokens;          // [n_vocab]
    TextToId text_to_id;                     // later duplicates win, as in llama.cpp
    TextToId merge_rank;                     // "left right" -> rank (BPE)
    std::vector<int32_t> special_by_length;  // control/user-defined/unknown ids, longest first
    std::vector<bool> eog;                   // [n_vocab]
    std::unique_ptr<PreTokenizer> pre;       // BPE only
    int32_t bos = -1, eos = -1, unk = -1, eot = -1, eom = -1;
    bool add_bos = false, add_eos = false;
    bool add_space_prefix = false;  // SPM: prefix raw text with a space
    bool ignore_merges = false;     // BPE: a pre-token that is a whole token is taken as is

    int32_t find(std::string_view text) const {
        auto it = text_to_id.find(text);
        return it == text_to_id.end() ? -1 : it->second;
    }
};

// Loading (vocab_load.cpp).
std::unique_ptr<VocabData> load_vocab(const gguf::GgufFile& file);

// The algorithms; each appends to `out`.
void spm_encode(const VocabData& v, std::string_view text, std::vector<int32_t>& out);
void bpe_encode(const VocabData& v, std::string_view text, std::vector<int32_t>& out);

}  // namespace ql::tok
