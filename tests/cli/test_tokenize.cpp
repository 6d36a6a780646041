// `quantlab tokenize`: ids as one JSON array, BOS only with --bos, text from
// --text or --file (verbatim), special tokens parsed, and clear errors.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/fixture.hpp"
#include "gguf/gguf.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ql::test {
namespace {

const std::string kSpm = std::string(QL_SHARED_DIR) + "/golden/vocab/ggml-vocab-llama-spm.gguf";
const std::string kLlama3 = std::string(QL_SHARED_DIR) + "/golden/vocab/ggml-vocab-llama-bpe.gguf";

std::vector<int32_t> library_ids(const std::string& vocab, const std::string& text, bool bos) {
    const auto file = gguf::GgufFile::open(vocab);
    return tok::Tokenizer::from_gguf(file).encode(text, bos);
}

std::vector<int32_t> parse_ids(const RunResult& r) {
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    return nlohmann::json::parse(r.out).get<std::vector<int32_t>>();
}

TEST(CliTokenize, PrintsTheIdsAsOneJsonArray) {
    ScratchDir dir;
    const std::string text = "Hello world, it's 2024!";
    const auto ids = parse_ids(run_quantlab({"tokenize", kLlama3, "--text", text}, dir));
    EXPECT_EQ(ids, library_ids(kLlama3, text, false));
    ASSERT_FALSE(ids.empty());
    EXPECT_NE(ids.front(), 128000);  // no BOS by default

    const auto with_bos =
        parse_ids(run_quantlab({"tokenize", kLlama3, "--text", text, "--bos"}, dir));
    ASSERT_EQ(with_bos.size(), ids.size() + 1);
    EXPECT_EQ(with_bos.front(), 128000);
    EXPECT_TRUE(std::equal(ids.begin(), ids.end(), with_bos.begin() + 1));
}

TEST(CliTokenize, ReadsFilesVerbatimAndParsesSpecialTokens) {
    ScratchDir dir;
    const std::string text = "<|begin_of_text|>line one\n\tline two\n";
    {
        std::ofstream f(dir / "in.txt", std::ios::binary);
        f << text;
    }
    const auto ids = parse_ids(run_quantlab({"tokenize", kLlama3, "--file", dir / "in.txt"}, dir));
    EXPECT_EQ(ids, library_ids(kLlama3, text, false));
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(ids.front(), 128000);  // the special token written in the text

    const auto spm = parse_ids(run_quantlab({"tokenize", kSpm, "--file", dir / "in.txt"}, dir));
    EXPECT_EQ(spm, library_ids(kSpm, text, false));
}

TEST(CliTokenize, BadUsageAndBadFilesGiveOneLine) {
    ScratchDir dir;
    const RunResult none = run_quantlab({"tokenize", kSpm}, dir);
    EXPECT_EQ(none.status, 1);
    EXPECT_EQ(none.err_lines().size(), 1u) << none.err;

    const RunResult both = run_quantlab({"tokenize", kSpm, "--text", "a", "--file", "x"}, dir);
    EXPECT_NE(both.status, 0);

    // A GGUF file without a vocabulary.
    gguf::GgufWriter w(dir / "empty.gguf");
    w.begin();
    w.finish();
    const RunResult bad = run_quantlab({"tokenize", dir / "empty.gguf", "--text", "a"}, dir);
    EXPECT_EQ(bad.status, 2);
    ASSERT_EQ(bad.err_lines().size(), 1u) << bad.err;
    EXPECT_NE(bad.err.find("tokenizer.ggml.model"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace ql::test
