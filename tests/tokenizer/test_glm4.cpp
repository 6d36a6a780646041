// glm4 pre-tokenizer against llama.cpp's llama-tokenize: the committed tiny
// vocabulary tests/data/tokenizer/glm4-tiny.gguf (pre = "glm4") and the ids the
// peer gave for each case of glm4-tiny.inp (make_glm4_golden.sh). Special
// tokens are parsed and no BOS is added, as llama-tokenize does by default.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab_cases.hpp"

namespace ql::tok {
namespace {

const std::string kDir = std::string(QL_SOURCE_DIR) + "/tests/data/tokenizer/";

TEST(Glm4Tokenizer, MatchesLlamaTokenizeOnEveryCase) {
    const auto file = gguf::GgufFile::open(kDir + "glm4-tiny.gguf");
    const Tokenizer tok = Tokenizer::from_gguf(file);
    EXPECT_EQ(tok.pre_type(), "glm4");
    const auto cases = test::read_vocab_cases(kDir + "glm4-tiny.inp");
    const auto expected = test::read_vocab_ids(kDir + "glm4-tiny.out");
    ASSERT_EQ(cases.size(), expected.size());
    ASSERT_GE(cases.size(), 30u);
    size_t passed = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
        const auto ids = tok.encode(cases[i], /*add_bos=*/true);
        EXPECT_EQ(ids, expected[i]) << "case " << i << ": '" << cases[i] << "'";
        passed += ids == expected[i];
    }
    std::printf("[ golden   ] glm4: %zu/%zu cases\n", passed, cases.size());
}

TEST(Glm4Tokenizer, DecodeGivesTheTextBack) {
    const auto file = gguf::GgufFile::open(kDir + "glm4-tiny.gguf");
    const Tokenizer tok = Tokenizer::from_gguf(file);
    for (const std::string& text : test::read_vocab_cases(kDir + "glm4-tiny.inp")) {
        EXPECT_EQ(tok.decode(tok.encode(text, false), /*render_special=*/true), text);
    }
}

}  // namespace
}  // namespace ql::tok
