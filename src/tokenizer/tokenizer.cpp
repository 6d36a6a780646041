// Tokenizer: special-token splitting, then SPM or BPE per raw fragment; decoding.
#include "tokenizer/tokenizer.hpp"

#include <cctype>

#include "tokenizer/vocab.hpp"
#include "util/error.hpp"

namespace ql::tok {

namespace {

// A piece of the input: raw text [begin, end) or an already-known token.
struct Fragment {
    int32_t token = -1;  // >= 0: a special token
    size_t begin = 0, end = 0;
};

bool is_ascii_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Cuts every raw fragment at the occurrences of one special token (leftmost
// first), honouring its lstrip/rstrip flags.
void split_on_token(std::string_view text, int32_t id, const TokenEntry& token,
                    std::vector<Fragment>& fragments) {
    std::vector<Fragment> out;
    out.reserve(fragments.size());
    for (const Fragment& f : fragments) {
        if (f.token >= 0) {
            out.push_back(f);
            continue;
        }
        size_t begin = f.begin;
        const std::string_view window = text.substr(0, f.end);
        while (begin < f.end) {
            const size_t match = window.find(token.text, begin);
            if (match == std::string_view::npos) break;
            size_t left_end = match;
            if (token.lstrip) {
                while (left_end > begin && is_ascii_space(text[left_end - 1])) --left_end;
            }
            if (left_end > begin) out.push_back({-1, begin, left_end});
            out.push_back({id, match, match + token.text.size()});
            begin = match + token.text.size();
            if (token.rstrip) {
                while (begin < f.end && is_ascii_space(text[begin])) ++begin;
            }
        }
        if (begin < f.end) out.push_back({-1, begin, f.end});
    }
    fragments = std::move(out);
}

std::vector<Fragment> split_special(const VocabData& v, std::string_view text, bool parse_special) {
    std::vector<Fragment> fragments;
    if (text.empty()) return fragments;
    fragments.push_back({-1, 0, text.size()});
    for (int32_t id : v.special_by_length) {
        const TokenEntry& t = v.tokens[static_cast<size_t>(id)];
        const bool needs_parse = t.type == TokenType::Control || t.type == TokenType::Unknown;
        if (needs_parse && !parse_special) continue;
        if (text.find(t.text) == std::string_view::npos) continue;  // fast path
        split_on_token(text, id, t, fragments);
    }
    return fragments;
}

// SPM's escaping: every space becomes U+2581 (LOWER ONE EIGHTH BLOCK).
std::string escape_spaces(std::string_view text, bool prefix_space) {
    static constexpr std::string_view kSpaceMark = "\xE2\x96\x81";
    std::string out;
    out.reserve(text.size() + 16);
    if (prefix_space) out += kSpaceMark;
    for (char c : text) {
        if (c == ' ') {
            out += kSpaceMark;
        } else {
            out += c;
        }
    }
    return out;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
    std::string out;
    size_t pos = 0;
    while (true) {
        const size_t hit = text.find(from, pos);
        if (hit == std::string_view::npos) break;
        out.append(text.substr(pos, hit - pos));
        out.append(to);
        pos = hit + from.size();
    }
    out.append(text.substr(pos));
    return out;
}

// "<0xAB>" -> 0xAB; -1 if the text is not of that form.
int parse_byte_token(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    const int hi = hex(text[3]), lo = hex(text[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// Byte-level BPE text back to bytes (characters outside the mapping kept as they are).
std::string unmap_bytes(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size();) {
        const size_t n =
            std::min(text.size() - i, utf8_sequence_length(static_cast<unsigned char>(text[i])));
        const int byte = unicode_to_byte(text.substr(i, n));
        if (byte >= 0) {
            out += static_cast<char>(byte);
        } else {
            out.append(text.substr(i, n));
        }
        i += n;
    }
    return out;
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<VocabData> data) : data_(std::move(data)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_gguf(const gguf::GgufFile& file) {
    return Tokenizer(load_vocab(file));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos,
                                       bool parse_special) const {
    const VocabData& v = *data_;
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 4);
    if (add_bos && v.add_bos && v.bos >= 0) out.push_back(v.bos);
    bool after_special = true;  // SPM: the first raw fragment gets the space prefix
    for (const Fragment& f : split_special(v, text, parse_special)) {
        if (f.token >= 0) {
            out.push_back(f.token);
            after_special = true;
            continue;
        }
        const std::string_view raw = text.substr(f.begin, f.end - f.begin);
        if (v.kind == VocabKind::Spm) {
            spm_encode(v, escape_spaces(raw, v.add_space_prefix && after_special), out);
        } else {
            bpe_encode(v, raw, out);
        }
        after_special = false;
    }
    if (add_bos && v.add_eos && v.eos >= 0) out.push_back(v.eos);
    return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool render_special) const {
    const VocabData& v = *data_;
    std::string out;
    for (int32_t id : ids) {
        if (id < 0 || static_cast<size_t>(id) >= v.tokens.size()) {
            fail_input("token id {} is outside the vocabulary (n_vocab = {})", id, v.tokens.size());
        }
        const TokenEntry& t = v.tokens[static_cast<size_t>(id)];
        switch (t.type) {
            case TokenType::Control:
                if (render_special) out += t.text;
                break;
            case TokenType::UserDefined:
                out += t.text;
                break;
            case TokenType::Byte: {
                const int byte = parse_byte_token(t.text);
                if (byte >= 0) out += static_cast<char>(byte);
                break;
            }
            case TokenType::Unknown:
                if (v.kind == VocabKind::Spm) out += "\xE2\x96\x85";  // as llama.cpp shows it
                break;
            default:
                out += v.kind == VocabKind::Spm ? replace_all(t.text, "\xE2\x96\x81", " ")
                                                : unmap_bytes(t.text);
        }
    }
    return out;
}

std::string Tokenizer::token_text(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= data_->tokens.size()) return {};
    return data_->tokens[static_cast<size_t>(id)].text;
}

TokenType Tokenizer::token_type(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= data_->tokens.size()) return TokenType::Undefined;
    return data_->tokens[static_cast<size_t>(id)].type;
}

int32_t Tokenizer::bos() const {
    return data_->bos;
}
int32_t Tokenizer::eos() const {
    return data_->eos;
}
bool Tokenizer::is_eog(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < data_->eog.size() &&
           data_->eog[static_cast<size_t>(id)];
}
bool Tokenizer::adds_bos() const {
    return data_->add_bos && data_->bos >= 0;
}
size_t Tokenizer::n_vocab() const {
    return data_->tokens.size();
}
VocabKind Tokenizer::kind() const {
    return data_->kind;
}
const std::string& Tokenizer::pre_type() const {
    return data_->pre_name;
}

}  // namespace ql::tok
