// BPE pre-tokenizers: text is cut into pieces by a list of regexes applied one
// after another, each one only inside the pieces left by the previous ones;
// both the matches and the text between them become pieces (llama.cpp's
// unicode_regex_split). Then each piece's bytes are mapped to GPT-2's
// printable characters.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ql::tok {

class PreTokenizer {
  public:
    // The regex list for a tokenizer.ggml.pre name; throws ql::InputError for
    // a name it does not know.
    static std::unique_ptr<PreTokenizer> for_name(const std::string& pre_name);
    // PCRE2 patterns (UTF + UCP), compiled once.
    explicit PreTokenizer(const std::vector<std::string>& patterns);
    ~PreTokenizer();
    PreTokenizer(const PreTokenizer&) = delete;
    PreTokenizer& operator=(const PreTokenizer&) = delete;

    // Pieces of valid UTF-8 `text`, as [begin, end) byte offsets in order.
    std::vector<std::pair<size_t, size_t>> split(std::string_view text) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Invalid UTF-8 bytes replaced by U+FFFD (one per bad byte), as llama.cpp does
// before pre-tokenizing.
std::string sanitize_utf8(std::string_view text);
// Length of the UTF-8 sequence its first byte announces (1 for stray bytes).
size_t utf8_sequence_length(unsigned char first);

// GPT-2's byte <-> printable character mapping.
const std::string& byte_to_unicode(unsigned char byte);  // UTF-8 of the character
// Byte for one mapped character (UTF-8); -1 if `ch` is not one of the 256.
int unicode_to_byte(std::string_view ch);
// Every byte of `text` replaced by its mapped character.
std::string bytes_to_unicode(std::string_view text);

}  // namespace ql::tok
