// The tokenizer of synthetic models: a tiny byte-level BPE vocabulary learned
// on a built-in text, or the tokenizer.* keys of an existing GGUF.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gguf/gguf.hpp"
#include "model/synth.hpp"
#include "util/error.hpp"

namespace ql::model {

namespace {

// A few sentences of plain English: enough words for a few hundred merges
// that look like real subwords.
constexpr std::string_view kTrainingText =
    "The quick brown fox jumps over the lazy dog. A small model is trained on a small text, "
    "and the words that appear most often become single tokens. When the weather is warm, "
    "people walk in the park and talk about their work, their families and the things they "
    "want to do in the evening. Numbers like 1, 2, 3 and 42 are written with digits. "
    "Computers read and write files, run programs and print results on the screen. "
    "The river flows through the city, under the bridges and past the old houses, until it "
    "reaches the sea. Children learn to read and to count at school; teachers help them "
    "understand the world. Every morning the baker makes fresh bread, and the smell fills "
    "the street. Good questions lead to better answers, and better answers lead to new "
    "questions. This is the end of the text, but not the end of the story.";

// GPT-2's reversible byte -> code point map: printable Latin-1 bytes keep
// their value, the others are moved to 256 + n in byte order.
std::array<std::string, 256> byte_spellings() {
    std::array<std::string, 256> out;
    auto printable = [](int b) {
        return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    };
    int next = 256;
    for (int b = 0; b < 256; ++b) {
        const int cp = printable(b) ? b : next++;
        std::string s;
        if (cp < 0x80) {
            s.push_back(static_cast<char>(cp));
        } else {  // all code points here are < 0x800: two UTF-8 bytes
            s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
            s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
        out[static_cast<size_t>(b)] = s;
    }
    return out;
}

// Splits text into pre-tokens roughly as GPT-2-style pre-tokenizers do: a
// letter run with its leading space, a digit, or a punctuation run. Each
// pre-token is a sequence of byte spellings.
std::vector<std::vector<std::string>> pre_tokenize(std::string_view text,
                                                   const std::array<std::string, 256>& spell) {
    std::vector<std::vector<std::string>> words;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        if (text[i] == ' ' && i + 1 < text.size()) ++i;  // space sticks to what follows
        auto cls = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) ? 0 : 1; };
        if (std::isdigit(static_cast<unsigned char>(text[i]))) {
            ++i;
        } else {
            const int c = cls(text[i]);
            while (i < text.size() && text[i] != ' ' && cls(text[i]) == c &&
                   !std::isdigit(static_cast<unsigned char>(text[i])))
                ++i;
            if (i == start) ++i;
        }
        std::vector<std::string> symbols;
        for (size_t k = start; k < i; ++k)
            symbols.push_back(spell[static_cast<unsigned char>(text[k])]);
        words.push_back(std::move(symbols));
    }
    return words;
}

// The most frequent adjacent pair over all words (ties: smallest pair), or
// nullopt when every word is a single symbol.
std::optional<std::pair<std::string, std::string>> most_frequent_pair(
    const std::map<std::vector<std::string>, int>& words) {
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const auto& [symbols, n] : words)
        for (size_t k = 0; k + 1 < symbols.size(); ++k) counts[{symbols[k], symbols[k + 1]}] += n;
    std::optional<std::pair<std::string, std::string>> best;
    int best_count = 0;
    for (const auto& [pair, n] : counts) {
        if (n > best_count) {
            best = pair;
            best_count = n;
        }
    }
    return best;
}

std::map<std::vector<std::string>, int> apply_merge(
    const std::map<std::vector<std::string>, int>& words,
    const std::pair<std::string, std::string>& pair) {
    std::map<std::vector<std::string>, int> out;
    for (const auto& [symbols, n] : words) {
        std::vector<std::string> merged;
        for (size_t k = 0; k < symbols.size(); ++k) {
            if (k + 1 < symbols.size() && symbols[k] == pair.first &&
                symbols[k + 1] == pair.second) {
                merged.push_back(pair.first + pair.second);
                ++k;
            } else {
                merged.push_back(symbols[k]);
            }
        }
        out[merged] += n;
    }
    return out;
}

struct BpeVocab {
    std::vector<std::string> tokens;  // bytes first, then one token per merge
    std::vector<std::string> merges;  // "left right", in rank order
};

// Learns `n_merges` merges on the training text; once the text has no pairs
// left, adds made-up merges (an existing token followed by a letter) so that
// any vocabulary size can be reached. Every merge's result is a token.
BpeVocab learn_bpe(int64_t n_merges) {
    const auto spell = byte_spellings();
    BpeVocab v;
    v.tokens.assign(spell.begin(), spell.end());
    std::set<std::string> known(v.tokens.begin(), v.tokens.end());
    auto add_merge = [&](const std::string& a, const std::string& b) {
        v.merges.push_back(a + " " + b);
        v.tokens.push_back(a + b);
        known.insert(a + b);
    };

    std::map<std::vector<std::string>, int> words;
    for (auto& w : pre_tokenize(kTrainingText, spell)) words[w] += 1;
    while (static_cast<int64_t>(v.merges.size()) < n_merges) {
        auto pair = most_frequent_pair(words);
        if (!pair) break;
        words = apply_merge(words, *pair);
        if (!known.count(pair->first + pair->second)) add_merge(pair->first, pair->second);
    }
    for (size_t base = 0; static_cast<int64_t>(v.merges.size()) < n_merges; ++base) {
        const std::string left = v.tokens[base % v.tokens.size()];
        for (char c = 'a'; c <= 'z' && static_cast<int64_t>(v.merges.size()) < n_merges; ++c) {
            const std::string right(1, c);
            if (!known.count(left + right)) add_merge(left, right);
        }
    }
    return v;
}

}  // namespace

MetadataList synthetic_bpe_tokenizer(int64_t n_vocab, const std::string& pre_tokenizer) {
    if (n_vocab < 260) fail("synthetic vocabulary needs n_vocab >= 260 (got {})", n_vocab);
    constexpr int64_t kControlTokens = 1;
    BpeVocab bpe = learn_bpe(n_vocab - 256 - kControlTokens);
    std::vector<int32_t> types(bpe.tokens.size(), 1);  // 1 = normal
    const auto eos = static_cast<uint32_t>(bpe.tokens.size());
    bpe.tokens.push_back("<|endoftext|>");
    types.push_back(3);  // 3 = control

    MetadataList kv;
    kv.emplace_back("tokenizer.ggml.model", gguf::Value::string("gpt2"));
    kv.emplace_back("tokenizer.ggml.pre", gguf::Value::string(pre_tokenizer));
    kv.emplace_back("tokenizer.ggml.tokens", gguf::Value::string_array(std::move(bpe.tokens)));
    kv.emplace_back("tokenizer.ggml.token_type", gguf::Value::i32_array(types));
    kv.emplace_back("tokenizer.ggml.merges", gguf::Value::string_array(std::move(bpe.merges)));
    kv.emplace_back("tokenizer.ggml.bos_token_id", gguf::Value::u32(eos));
    kv.emplace_back("tokenizer.ggml.eos_token_id", gguf::Value::u32(eos));
    kv.emplace_back("tokenizer.ggml.padding_token_id", gguf::Value::u32(eos));
    kv.emplace_back("tokenizer.ggml.add_bos_token", gguf::Value::boolean(false));
    return kv;
}

MetadataList tokenizer_from_file(const std::string& path, int64_t& n_vocab) {
    const auto file = gguf::GgufFile::open(path);
    const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
    if (!tokens || tokens->type != gguf::ValueType::ARRAY || tokens->array_size() == 0)
        fail_input("{}: no tokenizer.ggml.tokens array", path);
    n_vocab = static_cast<int64_t>(tokens->array_size());
    MetadataList kv;
    for (const auto& [key, value] : file.metadata())
        if (key.rfind("tokenizer.", 0) == 0) kv.emplace_back(key, value);
    return kv;
}

}  // namespace ql::model
