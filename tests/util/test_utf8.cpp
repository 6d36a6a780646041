// complete_utf8_prefix: what `run` may print before the next token arrives.
#include <gtest/gtest.h>

#include <string>

#include "util/utf8.hpp"

namespace {

using ql::complete_utf8_prefix;

TEST(CompleteUtf8Prefix, WholeTextWhenNothingIsCut) {
    EXPECT_EQ(complete_utf8_prefix(""), 0u);
    EXPECT_EQ(complete_utf8_prefix("abc"), 3u);
    EXPECT_EQ(complete_utf8_prefix("caf\xC3\xA9"), 5u);        // é, 2 bytes
    EXPECT_EQ(complete_utf8_prefix("\xE2\x82\xAC"), 3u);       // €, 3 bytes
    EXPECT_EQ(complete_utf8_prefix("x\xF0\x9F\x98\x80"), 5u);  // 😀, 4 bytes
}

TEST(CompleteUtf8Prefix, HoldsBackAnIncompleteLastCharacter) {
    EXPECT_EQ(complete_utf8_prefix("caf\xC3"), 3u);
    EXPECT_EQ(complete_utf8_prefix("\xE2\x82"), 0u);
    EXPECT_EQ(complete_utf8_prefix("ab\xE2"), 2u);
    EXPECT_EQ(complete_utf8_prefix("x\xF0\x9F\x98"), 1u);
    EXPECT_EQ(complete_utf8_prefix("x\xF0\x9F"), 1u);
    EXPECT_EQ(complete_utf8_prefix("x\xF0"), 1u);
}

TEST(CompleteUtf8Prefix, EveryCutOfAMixedTextEndsOnABoundary) {
    const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";  // a é € 😀 z
    const size_t boundaries[] = {0, 1, 3, 6, 10, 11};
    for (size_t cut = 0; cut <= text.size(); ++cut) {
        size_t expected = 0;
        for (size_t b : boundaries)
            if (b <= cut) expected = b;
        EXPECT_EQ(complete_utf8_prefix(std::string_view(text).substr(0, cut)), expected) << cut;
    }
}

TEST(CompleteUtf8Prefix, StrayBytesPassThrough) {
    EXPECT_EQ(complete_utf8_prefix("\x80\x80\x80\x80\x80"), 5u);  // continuation bytes only
    EXPECT_EQ(complete_utf8_prefix("a\xFF"), 2u);                 // never valid in UTF-8
}

}  // namespace
