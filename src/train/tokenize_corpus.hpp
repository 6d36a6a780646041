// The corpus as token streams: each domain's train and held-out text
// (documents separated by lines holding only <|endoftext|>) encoded with the
// corpus tokenizer, the end-of-text token after every document, written as
// DIR/tokens/<domain>.{train,val}.tok and listed in DIR/tokens/domains.txt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace ql::train {

struct TokenizedSplit {
    std::string domain, split;
    int64_t documents = 0, bytes = 0, tokens = 0;
};

// The documents of a corpus text file.
std::vector<std::string_view> split_documents(std::string_view text);

// Ids of the documents, each followed by the tokenizer's EOS (in parallel,
// in document order).
std::vector<uint16_t> encode_documents(const tok::Tokenizer& tokenizer,
                                       const std::vector<std::string_view>& docs, int n_threads);

// Encodes DIR/<domain>/{train,val}.txt for every domain with DIR/tokenizer.gguf.
std::vector<TokenizedSplit> tokenize_corpus(const std::string& dir,
                                            const std::vector<std::string>& domains, int n_threads);

}  // namespace ql::train
