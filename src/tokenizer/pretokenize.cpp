// Regex pre-tokenizers (PCRE2, UTF + UCP) and the GPT-2 byte mapping.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pretokenize.hpp"

#include <array>
#include <map>

#include <pcre2.h>

#include "util/error.hpp"

namespace ql::tok {

namespace {

// The regex lists, by family. Which tokenizer.ggml.pre names use which list is
// a fact taken from llama.cpp (src/llama-vocab.cpp); the regexes are those of
// the models' tokenizer.json files (case-insensitive contractions spelled out).
const char* const kLlama3 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kQwen2 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kGpt2 =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const char* const kCjkBlocks = "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+";

struct PreFamily {
    std::vector<const char*> names;
    std::vector<std::string> patterns;
};

const std::vector<PreFamily>& families() {
    static const std::vector<PreFamily> list = {
        {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "dbrx", "smaug-bpe",
          "glm4", "chatglm-bpe"},
         {kLlama3}},
        {{"qwen2", "deepseek-r1-qwen", "stablelm2"}, {kQwen2}},
        {{"gpt-2", "phi-2", "mpt", "olmo", "jina-es", "jina-de", "gigachat", "jina-v2-es",
          "jina-v2-de", "roberta-bpe"},
         {kGpt2}},
        {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva"},
         {"\\p{N}", kGpt2}},
        {{"falcon"}, {"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2, "[0-9][0-9][0-9]"}},
        {{"deepseek-coder"}, {"[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", kCjkBlocks, "\\p{N}"}},
        {{"default"}, {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"}},
    };
    return list;
}

}  // namespace

struct PreTokenizer::Impl {
    std::vector<pcre2_code*> codes;
    ~Impl() {
        for (pcre2_code* c : codes) pcre2_code_free(c);
    }
};

std::unique_ptr<PreTokenizer> PreTokenizer::for_name(const std::string& pre_name) {
    const std::string name = pre_name.empty() ? "default" : pre_name;
    for (const PreFamily& family : families()) {
        for (const char* n : family.names) {
            if (name == n) return std::make_unique<PreTokenizer>(family.patterns);
        }
    }
    fail_input("unknown pre-tokenizer type '{}' (tokenizer.ggml.pre)", pre_name);
}

PreTokenizer::PreTokenizer(const std::vector<std::string>& patterns)
    : impl_(std::make_unique<Impl>()) {
    for (const std::string& p : patterns) {
        int error = 0;
        PCRE2_SIZE error_offset = 0;
        pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(),
                                         PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error,
                                         &error_offset, nullptr);
        if (code == nullptr) {
            std::array<PCRE2_UCHAR, 256> message{};
            pcre2_get_error_message(error, message.data(), message.size());
            fail("pre-tokenizer regex does not compile at {}: {}", error_offset,
                 reinterpret_cast<const char*>(message.data()));
        }
        pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter on failure
        impl_->codes.push_back(code);
    }
}

PreTokenizer::~PreTokenizer() = default;

namespace {

using Pieces = std::vector<std::pair<size_t, size_t>>;

// Splits each piece of `in` at the matches of `code`: matches and the gaps
// between them become pieces. The regex sees only one piece at a time.
Pieces split_pieces(const pcre2_code* code, std::string_view text, const Pieces& in,
                    pcre2_match_data* md) {
    Pieces out;
    out.reserve(in.size() * 2);
    const auto* subject_base = reinterpret_cast<PCRE2_SPTR>(text.data());
    for (const auto& [begin, end] : in) {
        const size_t length = end - begin;
        size_t pos = 0;    // search position inside the piece
        size_t taken = 0;  // everything before this is already emitted
        while (pos < length) {
            int rc = pcre2_match(code, subject_base + begin, length, pos, PCRE2_NO_UTF_CHECK, md,
                                 nullptr);
            if (rc < 0) break;
            const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
            if (ov[1] == ov[0]) {  // empty match: skip one character
                pos = ov[0] + utf8_sequence_length(static_cast<unsigned char>(text[begin + ov[0]]));
                continue;
            }
            if (ov[0] > taken) out.emplace_back(begin + taken, begin + ov[0]);
            out.emplace_back(begin + ov[0], begin + ov[1]);
            taken = pos = ov[1];
        }
        if (taken < length) out.emplace_back(begin + taken, end);
    }
    return out;
}

}  // namespace

Pieces PreTokenizer::split(std::string_view text) const {
    Pieces pieces;
    if (text.empty()) return pieces;
    pieces.emplace_back(0, text.size());
    pcre2_match_data* md = pcre2_match_data_create(4, nullptr);
    for (const pcre2_code* code : impl_->codes) pieces = split_pieces(code, text, pieces, md);
    pcre2_match_data_free(md);
    return pieces;
}

size_t utf8_sequence_length(unsigned char first) {
    if (first < 0x80) return 1;
    if ((first & 0xE0) == 0xC0) return 2;
    if ((first & 0xF0) == 0xE0) return 3;
    if ((first & 0xF8) == 0xF0) return 4;
    return 1;
}

namespace {

// Code point of a well-formed sequence at `s` of `n` bytes, or -1 if it is
// not well formed (bad continuation, overlong, surrogate, above U+10FFFF).
int32_t decode_sequence(std::string_view s, size_t n) {
    if (s.size() < n) return -1;
    const auto b0 = static_cast<unsigned char>(s[0]);
    if (n == 1) return b0 < 0x80 ? b0 : -1;
    int32_t cp = b0 & (0x7F >> n);
    for (size_t i = 1; i < n; ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if ((b & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr std::array<int32_t, 5> kMinimum = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

std::string sanitize_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        const size_t n = utf8_sequence_length(static_cast<unsigned char>(text[i]));
        if (decode_sequence(text.substr(i), n) >= 0) {
            out.append(text.substr(i, n));
            i += n;
        } else {
            append_utf8(out, 0xFFFD);
            i += 1;
        }
    }
    return out;
}

namespace {

struct ByteMap {
    std::array<std::string, 256> to_char;
    std::map<std::string, int, std::less<>> to_byte;
    ByteMap() {
        // Printable Latin-1 bytes stand for themselves; the other 68 bytes take
        // the code points 256, 257, ... in byte order.
        uint32_t next_spare = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable =
                (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            std::string s;
            append_utf8(s, printable ? static_cast<uint32_t>(b) : next_spare++);
            to_char[b] = s;
            to_byte.emplace(s, b);
        }
    }
};

const ByteMap& byte_map() {
    static const ByteMap map;
    return map;
}

}  // namespace

const std::string& byte_to_unicode(unsigned char byte) {
    return byte_map().to_char[byte];
}

int unicode_to_byte(std::string_view ch) {
    const auto& m = byte_map().to_byte;
    auto it = m.find(ch);
    return it == m.end() ? -1 : it->second;
}

std::string bytes_to_unicode(std::string_view text) {
    const ByteMap& m = byte_map();
    std::string out;
    out.reserve(text.size() * 2);
    for (char c : text) out += m.to_char[static_cast<unsigned char>(c)];
    return out;
}

}  // namespace ql::tok
