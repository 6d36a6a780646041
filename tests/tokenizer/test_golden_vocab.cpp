// llama.cpp's tokenizer test vocabularies (../shared/golden/vocab): every case
// of NAME.gguf.inp must give line k of NAME.gguf.out. The cases are fed as
// llama.cpp's test-tokenizer-0 feeds them: no BOS/EOS, special tokens not
// parsed (user-defined ones still are).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab_cases.hpp"

namespace ql::tok {
namespace {

const std::string kVocabDir = std::string(QL_SHARED_DIR) + "/golden/vocab/";

std::string show(const std::vector<int32_t>& ids) {
    std::string s;
    for (int32_t id : ids) s += std::to_string(id) + " ";
    return s;
}

class GoldenVocab : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenVocab, EveryCaseMatchesLlamaCpp) {
    const std::string base = kVocabDir + "ggml-vocab-" + GetParam() + ".gguf";
    const auto file = gguf::GgufFile::open(base);
    const Tokenizer tok = Tokenizer::from_gguf(file);
    const auto cases = test::read_vocab_cases(base + ".inp");
    const auto expected = test::read_vocab_ids(base + ".out");
    ASSERT_EQ(cases.size(), expected.size());
    ASSERT_GT(cases.size(), 30u);
    size_t passed = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
        const auto ids = tok.encode(cases[i], /*add_bos=*/false, /*parse_special=*/false);
        if (ids == expected[i]) {
            ++passed;
        } else {
            ADD_FAILURE() << GetParam() << " case " << i << " '" << cases[i] << "'\n  got      "
                          << show(ids) << "\n  expected " << show(expected[i]);
        }
    }
    std::printf("[ golden   ] %s: %zu/%zu cases\n", GetParam().c_str(), passed, cases.size());
}

INSTANTIATE_TEST_SUITE_P(AllVocabularies, GoldenVocab,
                         ::testing::Values("deepseek-coder", "falcon", "gpt-2", "llama-bpe",
                                           "llama-spm", "phi-3", "qwen2", "starcoder"),
                         [](const auto& param_info) {
                             std::string name = param_info.param;
                             for (char& c : name) {
                                 if (c == '-') c = '_';
                             }
                             return name;
                         });

}  // namespace
}  // namespace ql::tok
