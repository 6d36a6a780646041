#include <gtest/gtest.h>

#include "train/tokenize_corpus.hpp"

namespace {

using ql::train::split_documents;

TEST(SplitDocuments, SeparatorLinesCutDocuments) {
    const auto docs = split_documents("one\ntwo\n<|endoftext|>\nthree\n<|endoftext|>\n");
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0], "one\ntwo\n");
    EXPECT_EQ(docs[1], "three\n");
}

TEST(SplitDocuments, OnlyWholeLinesSeparate) {
    const auto docs = split_documents("a <|endoftext|> b\n<|endoftext|>x\nc");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0], "a <|endoftext|> b\n<|endoftext|>x\nc");
}

TEST(SplitDocuments, EmptyDocumentsAreDropped) {
    const auto docs = split_documents("<|endoftext|>\n<|endoftext|>\nlast");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0], "last");
    EXPECT_TRUE(split_documents("").empty());
}

}  // namespace
