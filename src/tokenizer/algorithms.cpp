// SentencePiece and byte-level BPE over one fragment of raw text (special
// tokens already taken out).
#include <fmt/format.h>

#include "tokenizer/merge.hpp"
#include "tokenizer/vocab.hpp"

namespace ql::tok {

namespace {

// SPM's fallback for one byte: the <0xXX> token, else a token that is that
// single byte, else UNK (or nothing).
void push_spm_byte(const VocabData& v, unsigned char byte, std::vector<int32_t>& out) {
    int32_t id = v.find(fmt::format("<0x{:02X}>", byte));
    if (id < 0) id = v.find(std::string_view(reinterpret_cast<const char*>(&byte), 1));
    if (id < 0) id = v.unk;
    if (id >= 0) out.push_back(id);
}

}  // namespace

// `text` is already escaped (spaces as U+2581, optional leading one added).
void spm_encode(const VocabData& v, std::string_view text, std::vector<int32_t>& out) {
    // Two adjacent symbols are contiguous in `text`, so their union is one slice.
    auto priority = [&](std::string_view left, std::string_view right) -> std::optional<double> {
        const std::string_view both(left.data(), left.size() + right.size());
        const int32_t id = v.find(both);
        if (id < 0) return std::nullopt;
        return static_cast<double>(v.tokens[static_cast<size_t>(id)].score);
    };
    for (const Span& s : merge_symbols(text, priority)) {
        const std::string_view piece = text.substr(s.begin, s.length);
        const int32_t id = v.find(piece);
        if (id >= 0) {
            out.push_back(id);
            continue;
        }
        for (char c : piece) push_spm_byte(v, static_cast<unsigned char>(c), out);
    }
}

namespace {

// Merges one byte-mapped pre-token and appends its ids.
void bpe_encode_word(const VocabData& v, std::string_view word, std::string& key,
                     std::vector<int32_t>& out) {
    if (v.ignore_merges) {
        const int32_t whole = v.find(word);
        if (whole >= 0) {
            out.push_back(whole);
            return;
        }
    }
    // Lower rank merges first.
    auto priority = [&](std::string_view left, std::string_view right) -> std::optional<double> {
        key.assign(left);
        key += ' ';
        key.append(right);
        auto it = v.merge_rank.find(std::string_view(key));
        if (it == v.merge_rank.end()) return std::nullopt;
        return -static_cast<double>(it->second);
    };
    for (const Span& s : merge_symbols(word, priority)) {
        const std::string_view piece = word.substr(s.begin, s.length);
        const int32_t id = v.find(piece);
        if (id >= 0) {
            out.push_back(id);
            continue;
        }
        // Not in the vocabulary: each byte of the mapped text on its own, if
        // it is a token (llama.cpp drops the others).
        for (char c : piece) {
            const int32_t byte_id = v.find(std::string_view(&c, 1));
            if (byte_id >= 0) out.push_back(byte_id);
        }
    }
}

}  // namespace

void bpe_encode(const VocabData& v, std::string_view raw, std::vector<int32_t>& out) {
    const std::string text = sanitize_utf8(raw);
    std::string key;   // reused buffer for merge lookups
    std::string word;  // one pre-token, byte-mapped
    for (const auto& [begin, end] : v.pre->split(text)) {
        word.clear();
        for (size_t i = begin; i < end; ++i) {
            word += byte_to_unicode(static_cast<unsigned char>(text[i]));
        }
        bpe_encode_word(v, word, key, out);
    }
}

}  // namespace ql::tok
