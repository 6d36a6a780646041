// Tokenizers built from GGUF metadata (tokenizer.ggml.*), matching llama.cpp:
//   - SentencePiece ("llama"): score-driven merges over UTF-8 characters,
//     spaces escaped as U+2581, optional leading space, <0xXX> byte fallback;
//   - byte-level BPE ("gpt2"): a regex pre-tokenizer chosen by
//     tokenizer.ggml.pre, the GPT-2 byte<->unicode mapping, rank-ordered merges.
// Control, user-defined and unknown tokens are matched in the raw text before
// either algorithm runs (longest token text first).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf.hpp"

namespace ql::tok {

enum class VocabKind { Spm, Bpe };

// tokenizer.ggml.token_type values (GGUF), as stored.
enum class TokenType : int32_t {
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
};

struct VocabData;  // tokenizer/vocab.hpp

class Tokenizer {
  public:
    // Reads tokenizer.ggml.* from `file`. Throws ql::InputError with one line
    // naming the file and the problem (missing/mismatched arrays, unknown model
    // or pre-tokenizer type).
    static Tokenizer from_gguf(const gguf::GgufFile& file);

    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;
    ~Tokenizer();

    // Token ids of `text`. add_bos prepends BOS when the vocabulary asks for it
    // (tokenizer.ggml.add_bos_token, else the default of its kind) and appends
    // EOS when tokenizer.ggml.add_eos_token says so. parse_special: control and
    // unknown tokens written in the text become those tokens (user-defined
    // tokens are always matched, as llama.cpp does).
    std::vector<int32_t> encode(std::string_view text, bool add_bos,
                                bool parse_special = true) const;
    // Text of a token sequence: BPE maps the byte-level characters back to
    // bytes; SPM turns U+2581 into spaces and <0xXX> tokens into bytes. Control
    // tokens are left out unless render_special.
    std::string decode(const std::vector<int32_t>& ids, bool render_special = false) const;
    // The stored text of one token (as in tokenizer.ggml.tokens).
    std::string token_text(int32_t id) const;
    TokenType token_type(int32_t id) const;

    int32_t bos() const;  // -1 when the vocabulary has none
    int32_t eos() const;
    bool is_eog(int32_t id) const;  // end of generation (EOS, EOT, <|im_end|>, ...)
    bool adds_bos() const;          // whether encode(text, true) prepends BOS
    size_t n_vocab() const;
    VocabKind kind() const;
    const std::string& pre_type() const;  // tokenizer.ggml.pre ("" for SPM)

  private:
    explicit Tokenizer(std::unique_ptr<VocabData> data);
    std::unique_ptr<VocabData> data_;
};

}  // namespace ql::tok
