#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "train/data.hpp"
#include "util/error.hpp"

namespace {

using namespace ql::train;

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("ql_test_data_" + name)).string();
}

TEST(TokenFile, RoundTrip) {
    const auto path = temp_path("roundtrip.tok");
    const std::vector<uint16_t> ids = {0, 5, 999, 1023, 7};
    write_token_file(path, ids, 1024);
    int64_t vocab = 0;
    EXPECT_EQ(read_token_file(path, vocab), ids);
    EXPECT_EQ(vocab, 1024);
    std::filesystem::remove(path);
}

TEST(TokenFile, RejectsBadFiles) {
    const auto path = temp_path("bad.tok");
    int64_t vocab = 0;
    write_token_file(path, {1, 2, 3}, 3);  // id 3 is outside a vocabulary of 3
    EXPECT_THROW(read_token_file(path, vocab), ql::InputError);
    write_token_file(path, {1, 2}, 3);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
    EXPECT_THROW(read_token_file(path, vocab), ql::InputError);
    {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f << "not tokens at all, just text";
    }
    EXPECT_THROW(read_token_file(path, vocab), ql::InputError);
    std::filesystem::remove(path);
    EXPECT_THROW(read_token_file(path, vocab), ql::InputError);
}

TEST(Batches, TargetsAreTheNextTokensAndDependOnlyOnSeedAndStep) {
    std::vector<uint16_t> s(1000);
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint16_t>(i);
    const Batch a = sample_batch(s, 4, 16, 9, 3);
    const Batch b = sample_batch(s, 4, 16, 9, 3);
    const Batch c = sample_batch(s, 4, 16, 9, 4);
    EXPECT_EQ(a.tokens, b.tokens);
    EXPECT_NE(a.tokens, c.tokens);
    ASSERT_EQ(a.rows(), 64);
    for (int64_t r = 0; r < a.rows(); ++r) EXPECT_EQ(a.targets[r], a.tokens[r] + 1);
}

TEST(Batches, EvalWindowsAreConsecutiveAndCapped) {
    std::vector<uint16_t> s(100);
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint16_t>(i);
    const auto batches = eval_batches(s, 2, 10, 5);  // 5 windows: batches of 2, 2, 1
    ASSERT_EQ(batches.size(), 3u);
    EXPECT_EQ(batches[0].tokens[0], 0);
    EXPECT_EQ(batches[0].tokens[10], 10);
    EXPECT_EQ(batches[2].n_seq, 1);
    EXPECT_EQ(batches[2].tokens[0], 40);
    EXPECT_EQ(eval_batches(s, 4, 10, 1000).back().tokens.back(), 89);  // 9 full windows
}

}  // namespace
