// The streaming writer: what it writes reads back exactly, the layout is
// ggml's (offsets in add order, zero padding), and the output is atomic.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "gguf/gguf.hpp"
#include "gguf_test_util.hpp"

namespace ql::gguf {
namespace {

using test::ScratchDir;
using test::slurp;

std::string peer_file() {
    return test::source_dir() + "/tests/data/gguf/tiny-q4_k_m.gguf";
}

TEST(GgufWriter, WrittenModelReadsBack) {
    ScratchDir dir("writer");
    const std::string path = dir.file("m.gguf");
    test::write_sample_model(path);
    const GgufFile f = GgufFile::open(path);
    const auto expected = test::sample_tensors();
    ASSERT_EQ(f.tensors().size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        const TensorInfo& t = f.tensors()[i];
        EXPECT_EQ(t.name, expected[i].name);
        EXPECT_EQ(t.type, expected[i].type);
        EXPECT_EQ(t.shape, expected[i].shape);  // trailing 1s kept as given
        ASSERT_EQ(t.n_bytes, expected[i].bytes.size());
        EXPECT_EQ(std::memcmp(t.data, expected[i].bytes.data(), t.n_bytes), 0) << t.name;
    }
    EXPECT_EQ(f.architecture(), "llama");
    EXPECT_EQ(f.get_int("big.u64"), std::nullopt);  // 0xfedc... does not fit int64
    EXPECT_EQ(f.find("big.u64")->as_uint(), 0xfedcba9876543210ull);
    EXPECT_EQ(f.get_bool("tokenizer.ggml.add_bos_token"), true);
    EXPECT_EQ(f.find("tokenizer.ggml.tokens")->array_strings.back(), "");
    EXPECT_EQ(f.find("tokenizer.ggml.token_type")->array_int(4), -1);
    EXPECT_EQ(f.metadata()[2].first, "llama.block_count");  // insertion order
}

TEST(GgufWriter, LayoutIsAlignedAndZeroPadded) {
    for (uint32_t alignment : {0u, 64u, 1u}) {
        SCOPED_TRACE(alignment);
        ScratchDir dir("layout");
        const std::string path = dir.file("m.gguf");
        test::write_sample_model(path, alignment);
        const auto bytes = slurp(path);
        const GgufFile f = GgufFile::parse(bytes.data(), bytes.size(), "m");
        const uint64_t align = alignment ? alignment : 32;
        EXPECT_EQ(f.alignment(), align);
        const FileLayout& l = f.files()[0];
        EXPECT_EQ(l.data_offset % align, 0u);
        uint64_t next = 0;  // ggml's rule: each tensor at the aligned end of the previous
        for (const TensorInfo& t : f.tensors()) {
            EXPECT_EQ(t.offset, next) << t.name;
            next = (t.offset + t.n_bytes + align - 1) / align * align;
            // The padding after it is zeros.
            for (uint64_t p = t.offset + t.n_bytes; p < next; ++p)
                ASSERT_EQ(bytes[l.data_offset + p], 0) << t.name << " padding at " << p;
        }
        EXPECT_EQ(bytes.size(), l.data_offset + next);
        for (uint64_t p = l.header_bytes; p < l.data_offset; ++p) ASSERT_EQ(bytes[p], 0);
    }
}

TEST(GgufWriter, PeerFileRewritesByteForByte) {
    ScratchDir dir("peer");
    const GgufFile f = GgufFile::open(peer_file());
    write_copy(f, dir.file("copy.gguf"));
    EXPECT_TRUE(slurp(dir.file("copy.gguf")) == slurp(peer_file()));
    // And streaming it by hand with the public API gives the same bytes.
    GgufWriter w(dir.file("manual.gguf"));
    w.copy_metadata(f);
    for (const TensorInfo& t : f.tensors()) w.add_tensor(t.name, t.type, t.shape);
    w.begin();
    for (size_t i = 0; i < f.tensors().size(); ++i)
        w.write_tensor_data(i, f.tensors()[i].data, f.tensors()[i].n_bytes);
    w.finish();
    EXPECT_TRUE(slurp(dir.file("manual.gguf")) == slurp(peer_file()));
}

TEST(GgufWriter, TrimUnitDimsLikeGgml) {
    ScratchDir dir("trim");
    for (bool trim : {false, true}) {
        GgufWriter w(dir.file("m.gguf"));
        w.set_trim_unit_dims(trim);
        w.add_tensor("a", quant::TypeId::F32, {4, 1, 1});
        w.add_tensor("b", quant::TypeId::F32, {4, 1, 2, 1});
        w.add_tensor("c", quant::TypeId::F32, {1, 1});
        const std::vector<float> x(8, 0.5f);
        w.write_all({x.data(), x.data(), x.data()});
        const GgufFile f = GgufFile::open(dir.file("m.gguf"));
        using Shape = std::vector<int64_t>;
        const Shape a = trim ? Shape{4} : Shape{4, 1, 1};
        const Shape b = trim ? Shape{4, 1, 2} : Shape{4, 1, 2, 1};
        const Shape c = trim ? Shape{1} : Shape{1, 1};
        EXPECT_EQ(f.tensors()[0].shape, a);
        EXPECT_EQ(f.tensors()[1].shape, b);
        EXPECT_EQ(f.tensors()[2].shape, c);
        EXPECT_EQ(f.tensors()[1].n_bytes, 32u);
    }
}

TEST(GgufWriter, SetReplacesInPlaceAndRemoveDeletes) {
    ScratchDir dir("set");
    GgufWriter w(dir.file("m.gguf"), 2);
    w.set("a", Value::u32(1));
    w.set("b", Value::string("x"));
    w.set("c", Value::f32(2.5f));
    w.set("a", Value::string("replaced"));
    w.remove("b");
    w.remove("not.there");
    w.write_all({});
    const GgufFile f = GgufFile::open(dir.file("m.gguf"));
    EXPECT_EQ(f.version(), 2u);
    ASSERT_EQ(f.metadata().size(), 2u);
    EXPECT_EQ(f.metadata()[0].first, "a");
    EXPECT_EQ(f.get_string("a"), "replaced");
    EXPECT_EQ(f.metadata()[1].first, "c");
    // ggml pads even a tensor-less header to the alignment.
    EXPECT_EQ(f.files()[0].file_size % 32, 0u);
    EXPECT_GT(f.files()[0].file_size, f.files()[0].header_bytes);
}

TEST(GgufWriter, UnfinishedWriterLeavesNoFile) {
    ScratchDir dir("atomic");
    const std::string path = dir.file("m.gguf");
    test::spit(path, {1, 2, 3});  // an existing file must survive a failed write
    {
        GgufWriter w(path);
        w.add_tensor("a", quant::TypeId::F32, {8});
        w.add_tensor("b", quant::TypeId::F32, {8});
        w.begin();
        const std::vector<float> x(8, 1.0f);
        w.write_tensor_data(0, x.data(), 32);
        EXPECT_EQ(dir.entries().size(), 2u);  // the target and the temporary
    }
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"m.gguf"});
    EXPECT_EQ(slurp(path), (std::vector<uint8_t>{1, 2, 3}));
}

TEST(GgufWriter, ExceptionMidWriteRemovesTemporary) {
    ScratchDir dir("throw");
    try {
        GgufWriter w(dir.file("m.gguf"));
        w.add_tensor("a", quant::TypeId::F32, {8});
        w.begin();
        throw std::runtime_error("simulated failure");
    } catch (const std::runtime_error&) {
    }
    EXPECT_TRUE(dir.entries().empty());
}

TEST(GgufWriter, MisuseIsRejected) {
    ScratchDir dir("misuse");
    GgufWriter w(dir.file("m.gguf"));
    w.add_tensor("a", quant::TypeId::Q4_0, {64, 2});
    EXPECT_EQ(w.tensor_bytes(0), 2u * 2 * 18);
    EXPECT_EQ(w.n_tensors(), 1u);
    EXPECT_THROW(w.add_tensor("a", quant::TypeId::F32, {1}), Error);    // duplicate
    EXPECT_THROW(w.add_tensor("b", quant::TypeId::Q4_0, {33}), Error);  // not a block multiple
    EXPECT_THROW(w.add_tensor("c", quant::TypeId::F32, {}), Error);     // no dims
    EXPECT_THROW(w.add_tensor("d", quant::TypeId::F32, {1, 1, 1, 1, 1}), Error);
    EXPECT_THROW(w.add_tensor("e", quant::TypeId::F32, {-1}), Error);
    EXPECT_THROW(w.add_tensor(std::string(64, 'x'), quant::TypeId::F32, {1}), Error);
    EXPECT_THROW(w.add_tensor("f", static_cast<quant::TypeId>(4), {32}), Error);
    Value nested;
    nested.type = nested.elem_type = ValueType::ARRAY;
    EXPECT_THROW(w.set("k", nested), Error);
    EXPECT_THROW(w.write_tensor_data(0, nullptr, 0), Error);  // before begin()
    EXPECT_THROW(w.finish(), Error);
    w.begin();
    EXPECT_THROW(w.set("late", Value::u32(1)), Error);
    EXPECT_THROW(w.add_tensor("late", quant::TypeId::F32, {1}), Error);
    const std::vector<uint8_t> data(72, 9);
    EXPECT_THROW(w.write_tensor_data(0, data.data(), 71), Error);  // wrong size
    EXPECT_THROW(w.write_tensor_data(1, data.data(), 72), Error);  // wrong index
    EXPECT_THROW(w.finish(), Error);                               // data missing
    w.write_tensor_data(0, data.data(), 72);
    EXPECT_THROW(w.write_tensor_data(1, data.data(), 72), Error);  // past the last tensor
    w.finish();
    EXPECT_THROW(w.finish(), Error);
    const GgufFile f = GgufFile::open(dir.file("m.gguf"));
    EXPECT_EQ(f.tensors()[0].data[71], 9);
}

TEST(GgufWriter, BadAlignmentAndPathsFail) {
    ScratchDir dir("bad");
    GgufWriter w(dir.file("m.gguf"));
    w.set("general.alignment", Value::u32(24));
    EXPECT_THROW(w.begin(), Error);
    GgufWriter nowhere(dir.file("no/such/dir/m.gguf"));
    EXPECT_THROW(nowhere.begin(), Error);
    EXPECT_THROW(GgufWriter(dir.file("v4.gguf"), 4), Error);
    EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace ql::gguf
