// The imatrix reader: both of llama-imatrix's formats, the averaging that
// llama-quantize applies, golden files made by the peer, and hostile files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "alloc/imatrix.hpp"
#include "cli/fixture.hpp"
#include "gguf/gguf.hpp"
#include "util/error.hpp"

namespace ql::test {
namespace {

using alloc::Imatrix;
using alloc::load_imatrix;

// Builds a legacy .dat image field by field.
struct LegacyImage {
    std::vector<uint8_t> bytes;
    void i32(int32_t v) { append(&v, 4); }
    void str(const std::string& s) { append(s.data(), s.size()); }
    void floats(const std::vector<float>& v) { append(v.data(), v.size() * 4); }
    void entry(const std::string& name, int32_t n_calls, const std::vector<float>& values) {
        i32(static_cast<int32_t>(name.size()));
        str(name);
        i32(n_calls);
        i32(static_cast<int32_t>(values.size()));
        floats(values);
    }
    void append(const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        bytes.insert(bytes.end(), b, b + n);
    }
    void save(const std::string& path) const {
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()),
                   static_cast<std::streamsize>(bytes.size()));
    }
};

LegacyImage two_entry_legacy() {
    LegacyImage img;
    img.i32(2);
    img.entry("blk.0.attn_q.weight", 4, {4.0f, 8.0f, 2.0f, 0.0f});
    img.entry("blk.0.ffn_down.weight", 0, {3.0f, 5.0f});
    img.i32(7);  // chunks
    img.i32(8);
    img.str("wiki.txt");
    return img;
}

TEST(Imatrix, LegacyValuesAreDividedByTheCallCount) {
    ScratchDir dir;
    two_entry_legacy().save(dir / "m.dat");
    const Imatrix m = load_imatrix(dir / "m.dat");
    EXPECT_TRUE(m.legacy);
    EXPECT_EQ(m.n_chunks, 7);
    ASSERT_EQ(m.datasets.size(), 1u);
    EXPECT_EQ(m.datasets[0], "wiki.txt");
    ASSERT_EQ(m.entries.size(), 2u);
    EXPECT_EQ(*m.find("blk.0.attn_q.weight"), (std::vector<float>{1.0f, 2.0f, 0.5f, 0.0f}));
    // A call count of 0 leaves the values as stored.
    EXPECT_EQ(*m.find("blk.0.ffn_down.weight"), (std::vector<float>{3.0f, 5.0f}));
    EXPECT_EQ(m.find("blk.1.attn_q.weight"), nullptr);
}

TEST(Imatrix, LegacyTrailerIsOptional) {
    LegacyImage img;
    img.i32(1);
    img.entry("a.weight", 2, {2.0f});
    const Imatrix m = alloc::parse_legacy_imatrix(img.bytes.data(), img.bytes.size(), "x.dat");
    EXPECT_EQ(m.n_chunks, 0);
    EXPECT_TRUE(m.datasets.empty());
    EXPECT_EQ(*m.find("a.weight"), std::vector<float>{1.0f});
}

void write_gguf_imatrix(const std::string& path, const std::vector<float>& sums,
                        const std::vector<float>& counts, int64_t n_per_row,
                        bool with_metadata = true, quant::TypeId counts_type = quant::TypeId::F32) {
    gguf::GgufWriter w(path);
    w.set("general.type", gguf::Value::string("imatrix"));
    if (with_metadata) {
        w.set("imatrix.datasets", gguf::Value::string_array({"calib.txt"}));
        w.set("imatrix.chunk_count", gguf::Value::u32(3));
        w.set("imatrix.chunk_size", gguf::Value::u32(512));
    }
    const auto n_mat = static_cast<int64_t>(counts.size());
    w.add_tensor("blk.0.ffn_up_exps.weight.in_sum2", quant::TypeId::F32, {n_per_row, n_mat});
    w.add_tensor("blk.0.ffn_up_exps.weight.counts", counts_type, {1, n_mat});
    std::vector<uint16_t> counts_f16(counts.size(), 0);
    const void* counts_data = counts_type == quant::TypeId::F32
                                  ? static_cast<const void*>(counts.data())
                                  : counts_f16.data();
    w.write_all({sums.data(), counts_data});
}

TEST(Imatrix, GgufSumsAreDividedByPerExpertCounts) {
    ScratchDir dir;
    // Two experts of 3 columns; the second was never routed to (count 0 -> all ones).
    write_gguf_imatrix(dir / "m.gguf", {2, 4, 6, 9, 9, 9}, {2, 0}, 3);
    const Imatrix m = load_imatrix(dir / "m.gguf");
    EXPECT_FALSE(m.legacy);
    EXPECT_EQ(m.n_chunks, 3);
    EXPECT_EQ(m.chunk_size, 512);
    EXPECT_EQ(m.datasets, std::vector<std::string>{"calib.txt"});
    ASSERT_NE(m.find("blk.0.ffn_up_exps.weight"), nullptr);
    EXPECT_EQ(*m.find("blk.0.ffn_up_exps.weight"), (std::vector<float>{1, 2, 3, 1, 1, 1}));
}

void expect_input_error(const std::string& path, const std::string& needle) {
    try {
        load_imatrix(path);
        ADD_FAILURE() << "no error for " << needle;
    } catch (const InputError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find(needle), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
}

TEST(Imatrix, GgufProblemsAreNamed) {
    ScratchDir dir;
    write_gguf_imatrix(dir / "nometa.gguf", {1, 1}, {1}, 2, false);
    expect_input_error(dir / "nometa.gguf", "imatrix.datasets");
    write_gguf_imatrix(dir / "f16.gguf", {1, 1}, {1}, 2, true, quant::TypeId::F16);
    expect_input_error(dir / "f16.gguf", "must be F32");
    write_gguf_imatrix(dir / "negative.gguf", {1, -1}, {1}, 2);
    expect_input_error(dir / "negative.gguf", "finite and >= 0");

    gguf::GgufWriter w(dir / "unpaired.gguf");
    w.set("imatrix.datasets", gguf::Value::string_array({}));
    w.set("imatrix.chunk_count", gguf::Value::u32(1));
    w.set("imatrix.chunk_size", gguf::Value::u32(1));
    w.add_tensor("x.weight.in_sum2", quant::TypeId::F32, {4, 1});
    const std::vector<float> four(4, 1.0f);
    w.write_all({four.data()});
    expect_input_error(dir / "unpaired.gguf", "no matching 'x.weight.counts'");

    // A model is not an imatrix.
    TinyModelOptions model;
    model.n_layer = 1;
    write_tiny_model(dir / "model.gguf", model);
    expect_input_error(dir / "model.gguf", "not an imatrix");
}

TEST(Imatrix, HostileLegacyFilesAreRefused) {
    ScratchDir dir;
    auto check = [&](const LegacyImage& img, const std::string& needle) {
        img.save(dir / "bad.dat");
        expect_input_error(dir / "bad.dat", needle);
    };
    LegacyImage huge_count;
    huge_count.i32(1 << 30);
    check(huge_count, "entry count");

    LegacyImage truncated = two_entry_legacy();
    truncated.bytes.resize(60);
    check(truncated, "truncated");

    LegacyImage long_name;
    long_name.i32(1);
    long_name.i32(1 << 30);
    long_name.str("abcdefghijklmnopqrstuvwxyz");
    check(long_name, "name length");

    LegacyImage no_values;
    no_values.i32(1);
    no_values.i32(1);
    no_values.str("a");
    no_values.i32(1);
    no_values.i32(-5);
    check(no_values, "value count");

    LegacyImage nan_value;
    nan_value.i32(1);
    nan_value.entry("a.weight", 1, {1.0f, NAN});
    check(nan_value, "finite");

    LegacyImage twice;
    twice.i32(2);
    twice.entry("a.weight", 1, {1.0f});
    twice.entry("a.weight", 1, {1.0f});
    check(twice, "appears twice");

    LegacyImage trailing = two_entry_legacy();
    trailing.str("junk");
    check(trailing, "unexpected bytes");

    LegacyImage empty;
    check(empty, "truncated");
}

TEST(Imatrix, MissingFileIsAnError) {
    EXPECT_THROW(load_imatrix("/nonexistent/imatrix.dat"), Error);
}

// Files made by the peer's llama-imatrix (tests/data/imatrix/make.sh): both
// formats from the same run must load to the same averaged values.
TEST(Imatrix, PeerFilesInBothFormatsAgree) {
    const std::string data = std::string(QL_SOURCE_DIR) + "/tests/data/imatrix/";
    if (!fs::exists(data + "tiny.imatrix.gguf") || !fs::exists(data + "tiny.imatrix.dat"))
        GTEST_SKIP() << "no peer imatrix files in " << data;
    const Imatrix g = load_imatrix(data + "tiny.imatrix.gguf");
    const Imatrix d = load_imatrix(data + "tiny.imatrix.dat");
    EXPECT_FALSE(g.legacy);
    EXPECT_TRUE(d.legacy);
    EXPECT_GT(g.n_chunks, 0);
    EXPECT_EQ(g.n_chunks, d.n_chunks);
    ASSERT_EQ(g.entries.size(), d.entries.size());
    ASSERT_GT(g.entries.size(), 0u);
    // make.sh: n_embd 256, 4 experts -> one row of 256 per expert.
    ASSERT_NE(g.find("blk.0.ffn_up_exps.weight"), nullptr);
    EXPECT_EQ(g.find("blk.0.ffn_up_exps.weight")->size(), 256u * 4u);
    for (const auto& [name, values] : g.entries) {
        const auto* other = d.find(name);
        ASSERT_NE(other, nullptr) << name;
        ASSERT_EQ(values.size(), other->size()) << name;
        for (size_t i = 0; i < values.size(); ++i) {
            EXPECT_GE(values[i], 0.0f);
            EXPECT_NEAR(values[i], (*other)[i], 1e-5f * std::max(1.0f, values[i]))
                << name << " " << i;
        }
    }
}

}  // namespace
}  // namespace ql::test
