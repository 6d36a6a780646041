// Split models: names, reading the peer's gguf-split output as one model,
// writing splits exactly as gguf-split does, and inconsistent part sets.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "gguf/gguf.hpp"
#include "gguf_test_util.hpp"

namespace ql::gguf {
namespace {

using test::ScratchDir;
using test::slurp;

std::string data_dir() {
    return test::source_dir() + "/tests/data/gguf/";
}
std::string unsplit_file() {
    return data_dir() + "tiny-q4_k_m.gguf";
}
std::string peer_part(int k) {
    return make_split_name(data_dir() + "tiny-q4_k_m", k, 3);
}

void expect_same_tensors(const GgufFile& a, const GgufFile& b) {
    ASSERT_EQ(a.tensors().size(), b.tensors().size());
    for (size_t i = 0; i < a.tensors().size(); ++i) {
        const TensorInfo &x = a.tensors()[i], &y = b.tensors()[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.type, y.type);
        EXPECT_EQ(x.shape, y.shape);
        ASSERT_EQ(x.n_bytes, y.n_bytes);
        EXPECT_EQ(std::memcmp(x.data, y.data, x.n_bytes), 0) << x.name;
    }
}

TEST(GgufSplit, Names) {
    EXPECT_EQ(make_split_name("dir/m", 2, 5), "dir/m-00002-of-00005.gguf");
    auto s = parse_split_name("dir/m-00002-of-00005.gguf");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->prefix, "dir/m");
    EXPECT_EQ(s->index, 2);
    EXPECT_EQ(s->count, 5);
    EXPECT_FALSE(parse_split_name("m.gguf"));
    EXPECT_FALSE(parse_split_name("-00001-of-00002.gguf"));   // empty prefix
    EXPECT_FALSE(parse_split_name("m-00003-of-00002.gguf"));  // index past count
    EXPECT_FALSE(parse_split_name("m-00000-of-00002.gguf"));
    EXPECT_FALSE(parse_split_name("m-0001x-of-00002.gguf"));
    EXPECT_FALSE(parse_split_name("m-00001-of-00002.bin"));
}

TEST(GgufSplit, PeerSplitReadsAsTheUnsplitModel) {
    const GgufFile whole = GgufFile::open(unsplit_file());
    for (int k = 1; k <= 3; ++k) {  // opening any part opens them all
        SCOPED_TRACE(k);
        const GgufFile split = GgufFile::open(peer_part(k));
        EXPECT_EQ(split.n_files(), 3);
        EXPECT_EQ(split.path(), peer_part(k));
        expect_same_tensors(split, whole);
        EXPECT_EQ(split.tensors().front().file_index, 0);
        EXPECT_EQ(split.tensors().back().file_index, 2);
        EXPECT_EQ(split.get_int("split.count"), 3);
        EXPECT_EQ(split.get_int("split.tensors.count"), 12);
        EXPECT_EQ(split.architecture(), "llama");
        EXPECT_EQ(split.files()[1].n_tensors, 5);
    }
    // open_single does not follow the other parts.
    const GgufFile part2 = GgufFile::open_single(peer_part(2));
    EXPECT_EQ(part2.n_files(), 1);
    EXPECT_EQ(part2.tensors().size(), 5u);
    EXPECT_EQ(part2.get_int("split.no"), 1);
    EXPECT_EQ(part2.architecture(), "");  // metadata lives in part 1
}

TEST(GgufSplit, WriteSplitMatchesGgufSplitByteForByte) {
    ScratchDir dir("split");
    const GgufFile whole = GgufFile::open(unsplit_file());
    SplitOptions opt;
    opt.max_tensors = 5;  // what make_goldens.sh asked llama-gguf-split for
    const auto paths = write_split(whole, dir.file("tiny-q4_k_m"), opt);
    ASSERT_EQ(paths.size(), 3u);
    for (int k = 1; k <= 3; ++k) {
        EXPECT_EQ(paths[static_cast<size_t>(k - 1)],
                  make_split_name(dir.file("tiny-q4_k_m"), k, 3));
        EXPECT_TRUE(slurp(paths[static_cast<size_t>(k - 1)]) == slurp(peer_part(k))) << k;
    }
}

TEST(GgufSplit, MergedSplitRewritesAsTheUnsplitFile) {
    ScratchDir dir("merge");
    write_copy(GgufFile::open(peer_part(1)), dir.file("merged.gguf"));
    EXPECT_TRUE(slurp(dir.file("merged.gguf")) == slurp(unsplit_file()));
}

TEST(GgufSplit, SplitByBytesAndMetadataOnlyFirstPart) {
    ScratchDir dir("bytes");
    const GgufFile whole = GgufFile::open(unsplit_file());
    SplitOptions opt;
    opt.max_bytes = 40000;  // the 36864-byte tensors fit alone, never two together
    opt.no_tensors_in_first = true;
    const auto paths = write_split(whole, dir.file("m"), opt);
    ASSERT_GT(paths.size(), 4u);
    const GgufFile first = GgufFile::open_single(paths[0]);
    EXPECT_TRUE(first.tensors().empty());
    EXPECT_EQ(first.architecture(), "llama");
    for (size_t k = 1; k < paths.size(); ++k) {
        const GgufFile part = GgufFile::open_single(paths[k]);
        EXPECT_FALSE(part.tensors().empty());
        uint64_t bytes = 0;
        for (const auto& t : part.tensors()) bytes += (t.n_bytes + 31) / 32 * 32;
        EXPECT_TRUE(bytes <= opt.max_bytes || part.tensors().size() == 1) << paths[k];
    }
    const GgufFile merged = GgufFile::open(paths.back());
    expect_same_tensors(merged, whole);
    EXPECT_EQ(merged.tensors().front().file_index, 1);
}

// Writes a 3-part split of the sample model whose part `k` (0-based) gets
// `key` = `v` instead of the right value.
std::vector<std::string> tampered_split(const ScratchDir& dir, int k, const std::string& key,
                                        Value v) {
    const std::string src = dir.file("src.gguf");
    test::write_sample_model(src);
    const GgufFile f = GgufFile::open(src);
    SplitOptions opt;
    opt.max_tensors = 2;
    auto paths = write_split(f, dir.file("m"), opt);
    const GgufFile part = GgufFile::open_single(paths[static_cast<size_t>(k)]);
    GgufWriter w(paths[static_cast<size_t>(k)]);
    w.copy_metadata(part);
    w.set(key, std::move(v));
    std::vector<const void*> data;
    for (const auto& t : part.tensors()) {
        w.add_tensor(t.name, t.type, t.shape);
        data.push_back(t.data);
    }
    w.write_all(data);
    return paths;
}

TEST(GgufSplit, InconsistentPartsAreRejected) {
    {
        ScratchDir dir("missing");
        const auto paths = tampered_split(dir, 0, "x", Value::u32(0));
        std::filesystem::remove(paths[1]);
        test::expect_input_error([&] { GgufFile::open(paths[0]); }, paths[1],
                                 "missing part 2 of 3");
    }
    {
        ScratchDir dir("no");
        const auto paths = tampered_split(dir, 2, "split.no", Value::u16(1));
        test::expect_input_error([&] { GgufFile::open(paths[0]); }, paths[2],
                                 "split.no is 1 but this is part 2");
    }
    {
        ScratchDir dir("count");
        const auto paths = tampered_split(dir, 1, "split.count", Value::u16(4));
        test::expect_input_error([&] { GgufFile::open(paths[0]); }, paths[1],
                                 "split.count is 4 but the model has 3 parts");
        // Opened from that part, its own name disagrees with its key.
        test::expect_input_error([&] { GgufFile::open(paths[1]); }, paths[1],
                                 "but the name says 3 parts");
    }
    {
        ScratchDir dir("total");
        const auto paths = tampered_split(dir, 0, "split.tensors.count", Value::i32(9));
        test::expect_input_error([&] { GgufFile::open(paths[0]); }, paths[1],
                                 "split.tensors.count is 5 but part 1 says 9");
    }
    {
        ScratchDir dir("rename");
        const auto paths = tampered_split(dir, 0, "x", Value::u32(0));
        std::filesystem::rename(paths[0], dir.file("renamed.gguf"));
        test::expect_input_error([&] { GgufFile::open(dir.file("renamed.gguf")); },
                                 dir.file("renamed.gguf"), "name does not end in");
    }
}

TEST(GgufSplit, DuplicateTensorAcrossPartsAndWrongTotal) {
    ScratchDir dir("dup");
    // Two parts that both hold tensor "w".
    for (int k = 1; k <= 2; ++k) {
        GgufWriter w(make_split_name(dir.file("m"), k, 2));
        w.set("split.no", Value::u16(static_cast<uint16_t>(k - 1)));
        w.set("split.count", Value::u16(2));
        w.set("split.tensors.count", Value::i32(2));
        w.add_tensor("w", quant::TypeId::F32, {4});
        const float x[4] = {1, 2, 3, 4};
        w.write_all({x});
    }
    test::expect_input_error([&] { GgufFile::open(make_split_name(dir.file("m"), 1, 2)); },
                             make_split_name(dir.file("m"), 2, 2), "tensor 'w' also appears");
    // A one-part split whose declared total is wrong.
    GgufWriter w(make_split_name(dir.file("one"), 1, 1));
    w.set("split.no", Value::u16(0));
    w.set("split.count", Value::u16(1));
    w.set("split.tensors.count", Value::i32(3));
    w.write_all({});
    test::expect_input_error([&] { GgufFile::open(make_split_name(dir.file("one"), 1, 1)); },
                             make_split_name(dir.file("one"), 1, 1),
                             "split.tensors.count is 3 but the file holds 0 tensors");
}

}  // namespace
}  // namespace ql::gguf
