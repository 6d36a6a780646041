// Round trips: reading a file and writing it again keeps every byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "gguf/gguf.hpp"
#include "gguf_test_util.hpp"

namespace ql::gguf {
namespace {

using test::ScratchDir;
using test::slurp;

std::vector<std::string> vocab_files() {
    std::vector<std::string> out;
    const std::string dir = test::shared_dir() + "/golden/vocab";
    if (!std::filesystem::exists(dir)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".gguf") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

TEST(GgufRoundTrip, VocabFilesRewriteByteForByte) {
    const auto files = vocab_files();
    if (files.empty()) GTEST_SKIP() << "no golden vocab files";
    ScratchDir dir("vocab");
    for (const auto& path : files) {
        SCOPED_TRACE(path);
        const GgufFile f = GgufFile::open(path);
        EXPECT_GT(f.metadata().size(), 5u);
        EXPECT_TRUE(f.find("tokenizer.ggml.tokens"));
        const std::string out = dir.file("copy.gguf");
        write_copy(f, out);
        EXPECT_TRUE(slurp(out) == slurp(path)) << "rewrite differs";
    }
}

// Files with tensors written by the peer: llama-quantize (ggml's writer) and
// gguf-py (the fuzzer's seeds).
std::vector<std::string> peer_files_with_tensors() {
    std::vector<std::string> out = {test::source_dir() + "/tests/data/gguf/tiny-q4_k_m.gguf"};
    for (const auto& e :
         std::filesystem::directory_iterator(test::source_dir() + "/tests/fuzz/corpus"))
        out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

TEST(GgufRoundTrip, PeerFilesRewriteByteForByte) {
    ScratchDir dir("peer");
    const auto files = peer_files_with_tensors();
    ASSERT_GE(files.size(), 4u);
    for (const auto& path : files) {
        SCOPED_TRACE(path);
        const std::string out = dir.file("copy.gguf");
        write_copy(GgufFile::open(path), out);
        EXPECT_TRUE(slurp(out) == slurp(path)) << "rewrite differs";
    }
}

// Everything a reader sees is equal in `a` and `b`.
void expect_same_model(const GgufFile& a, const GgufFile& b) {
    EXPECT_EQ(a.version(), b.version());
    EXPECT_EQ(a.alignment(), b.alignment());
    EXPECT_EQ(a.metadata(), b.metadata());
    ASSERT_EQ(a.tensors().size(), b.tensors().size());
    for (size_t i = 0; i < a.tensors().size(); ++i) {
        const TensorInfo &x = a.tensors()[i], &y = b.tensors()[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.type, y.type);
        EXPECT_EQ(x.shape, y.shape);
        EXPECT_EQ(x.offset, y.offset);
        ASSERT_EQ(x.n_bytes, y.n_bytes);
        EXPECT_EQ(std::memcmp(x.data, y.data, x.n_bytes), 0) << x.name;
    }
}

TEST(GgufRoundTrip, OurFilesSurviveRepeatedRewrites) {
    ScratchDir dir("ours");
    for (uint32_t alignment : {0u, 128u}) {
        SCOPED_TRACE(alignment);
        test::write_sample_model(dir.file("a.gguf"), alignment);
        write_copy(GgufFile::open(dir.file("a.gguf")), dir.file("b.gguf"));
        write_copy(GgufFile::open(dir.file("b.gguf")), dir.file("c.gguf"));
        expect_same_model(GgufFile::open(dir.file("a.gguf")), GgufFile::open(dir.file("c.gguf")));
        EXPECT_TRUE(slurp(dir.file("a.gguf")) == slurp(dir.file("c.gguf")));
    }
}

TEST(GgufRoundTrip, VersionTwoStaysVersionTwo) {
    ScratchDir dir("v2");
    const GgufFile src = GgufFile::open(test::source_dir() + "/tests/data/gguf/tiny-q4_k_m.gguf");
    GgufWriter w(dir.file("v2.gguf"), 2);
    w.copy_metadata(src);
    std::vector<const void*> data;
    for (const auto& t : src.tensors()) {
        w.add_tensor(t.name, t.type, t.shape);
        data.push_back(t.data);
    }
    w.write_all(data);
    const GgufFile v2 = GgufFile::open(dir.file("v2.gguf"));
    EXPECT_EQ(v2.version(), 2u);
    write_copy(v2, dir.file("v2-copy.gguf"));
    EXPECT_TRUE(slurp(dir.file("v2-copy.gguf")) == slurp(dir.file("v2.gguf")));
    // Only the version field differs from the v3 original.
    auto bytes = slurp(dir.file("v2.gguf"));
    bytes[4] = 3;
    EXPECT_TRUE(bytes == slurp(test::source_dir() + "/tests/data/gguf/tiny-q4_k_m.gguf"));
}

}  // namespace
}  // namespace ql::gguf
