// read_file: the whole file byte for byte (binary zeros and more than one read
// chunk included), nothing with errno set for a missing file or a directory.
#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "../process_scratch.hpp"
#include "util/file.hpp"

namespace {

std::string write_scratch(const std::string& name, const std::string& bytes) {
    const std::string path = (ql::test::process_scratch_dir() / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

TEST(ReadFile, ReturnsEveryByte) {
    std::string bytes;
    for (int i = 0; i < 200'000; ++i) bytes.push_back(static_cast<char>((i * 7919) % 256));
    const auto got = ql::read_file(write_scratch("big.bin", bytes));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, bytes);
}

TEST(ReadFile, EmptyFileIsEmptyString) {
    const auto got = ql::read_file(write_scratch("empty.txt", ""));
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(got->empty());
}

TEST(ReadFile, MissingFileIsNothingWithErrno) {
    errno = 0;
    EXPECT_FALSE(ql::read_file((ql::test::process_scratch_dir() / "absent").string()));
    EXPECT_EQ(errno, ENOENT);
}

TEST(ReadFile, DirectoryIsNothing) {
    errno = 0;
    EXPECT_FALSE(ql::read_file(ql::test::process_scratch_dir().string()));
    EXPECT_NE(errno, 0);
}

}  // namespace
