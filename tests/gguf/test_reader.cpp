// Reading files written by the peer (llama.cpp's llama-quantize): metadata,
// tensor infos, and data pointers into the mapped file.
#include <gtest/gtest.h>

#include <cstring>

#include "gguf/gguf.hpp"
#include "gguf_test_util.hpp"

namespace ql::gguf {
namespace {

std::string peer_file() {
    return test::source_dir() + "/tests/data/gguf/tiny-q4_k_m.gguf";
}

TEST(GgufReader, PeerQuantizedModelMetadata) {
    const GgufFile f = GgufFile::open(peer_file());
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.alignment(), 32u);
    EXPECT_EQ(f.n_files(), 1);
    EXPECT_EQ(f.path(), peer_file());
    EXPECT_EQ(f.architecture(), "llama");
    ASSERT_FALSE(f.metadata().empty());
    EXPECT_EQ(f.metadata().front().first, "general.architecture");  // file order kept
    EXPECT_EQ(f.get_int("llama.embedding_length"), 256);
    EXPECT_EQ(f.get_int("llama.block_count"), 1);
    EXPECT_EQ(f.get_int("general.file_type"), 15);  // LLAMA_FTYPE_MOSTLY_Q4_K_M
    EXPECT_EQ(f.get_string("general.name"), "quantlab gguf golden");
    EXPECT_FLOAT_EQ(*f.get_float("llama.attention.layer_norm_rms_epsilon"), 1e-5f);
    EXPECT_EQ(f.get_string("llama.block_count"), std::nullopt);  // not a string
    EXPECT_EQ(f.get_int("general.name"), std::nullopt);          // not an integer
    EXPECT_EQ(f.get_int("no.such.key"), std::nullopt);
    EXPECT_EQ(f.find("no.such.key"), nullptr);
    const Value* tokens = f.find("tokenizer.ggml.tokens");
    ASSERT_NE(tokens, nullptr);
    ASSERT_EQ(tokens->array_size(), 32u);
    EXPECT_EQ(tokens->array_strings[1], "<s>");
    EXPECT_EQ(tokens->array_strings[31], "t28");
    const Value* scores = f.find("tokenizer.ggml.scores");
    ASSERT_NE(scores, nullptr);
    EXPECT_EQ(scores->elem_type, ValueType::FLOAT32);
    EXPECT_EQ(scores->array_float(5), -5.0);
    const Value* types = f.find("tokenizer.ggml.token_type");
    ASSERT_NE(types, nullptr);
    EXPECT_EQ(types->array_int(0), 2);
    EXPECT_EQ(types->array_int(1), 3);
}

TEST(GgufReader, PeerQuantizedModelTensors) {
    const GgufFile f = GgufFile::open(peer_file());
    ASSERT_EQ(f.tensors().size(), 12u);
    const TensorInfo* q = f.find_tensor("blk.0.attn_q.weight");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->type, quant::TypeId::Q4_K);
    EXPECT_EQ(q->shape, (std::vector<int64_t>{256, 256}));
    EXPECT_EQ(q->n_elements(), 65536);
    EXPECT_EQ(q->n_rows(), 256);
    EXPECT_EQ(f.find_tensor("missing"), nullptr);
    // ffn_down rows of 128 cannot hold a 256-block: llama-quantize falls back.
    const TensorInfo* down = f.find_tensor("blk.0.ffn_down.weight");
    ASSERT_NE(down, nullptr);
    EXPECT_EQ(quant::type_traits(down->type).block_size, 32);

    const FileLayout& layout = f.files()[0];
    const uint8_t* file_start = f.tensors()[0].data - layout.data_offset - f.tensors()[0].offset;
    uint64_t total = 0, elements = 0, expected_offset = 0;
    for (const TensorInfo& t : f.tensors()) {
        const auto& traits = quant::type_traits(t.type);
        EXPECT_EQ(t.n_bytes,
                  static_cast<uint64_t>(t.n_elements() / traits.block_size * traits.type_size))
            << t.name;
        EXPECT_EQ(t.offset, expected_offset) << t.name;  // ggml: add order, aligned
        EXPECT_EQ(t.data, file_start + layout.data_offset + t.offset);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 32, 0u) << t.name;
        expected_offset = (t.offset + t.n_bytes + 31) / 32 * 32;
        total += t.n_bytes;
        elements += static_cast<uint64_t>(t.n_elements());
    }
    EXPECT_EQ(f.tensor_bytes(), total);
    EXPECT_EQ(f.n_elements(), elements);
    EXPECT_EQ(layout.data_offset + expected_offset, layout.file_size);
    EXPECT_EQ(layout.data_offset % 32, 0u);
    EXPECT_LE(layout.header_bytes, layout.data_offset);
}

TEST(GgufReader, DataPointsAtTheTensorBytes) {
    // The generator writes every norm weight as 1.0f (kept F32 by llama-quantize).
    const GgufFile f = GgufFile::open(peer_file());
    for (const char* name : {"blk.0.attn_norm.weight", "output_norm.weight"}) {
        const TensorInfo* t = f.find_tensor(name);
        ASSERT_NE(t, nullptr) << name;
        ASSERT_EQ(t->type, quant::TypeId::F32);
        std::vector<float> v(static_cast<size_t>(t->n_elements()));
        std::memcpy(v.data(), t->data, t->n_bytes);
        for (float x : v) ASSERT_EQ(x, 1.0f) << name;
    }
    // And the file bytes match what a plain read sees.
    const auto bytes = test::slurp(peer_file());
    const TensorInfo& last = f.tensors().back();
    const size_t at = f.files()[0].data_offset + last.offset;
    EXPECT_EQ(std::memcmp(bytes.data() + at, last.data, last.n_bytes), 0);
}

TEST(GgufReader, ParseInMemoryMatchesOpen) {
    const auto bytes = test::slurp(peer_file());
    const GgufFile a = GgufFile::parse(bytes.data(), bytes.size(), "mem");
    const GgufFile b = GgufFile::open(peer_file());
    EXPECT_EQ(a.path(), "mem");
    EXPECT_EQ(a.metadata(), b.metadata());
    ASSERT_EQ(a.tensors().size(), b.tensors().size());
    for (size_t i = 0; i < a.tensors().size(); ++i) {
        EXPECT_EQ(a.tensors()[i].name, b.tensors()[i].name);
        EXPECT_EQ(a.tensors()[i].data,
                  bytes.data() + a.files()[0].data_offset + a.tensors()[i].offset);
        EXPECT_EQ(std::memcmp(a.tensors()[i].data, b.tensors()[i].data, a.tensors()[i].n_bytes), 0);
    }
}

// Loaded into anonymous memory: the same metadata, tensors and bytes as the
// mapping, at 64-byte aligned data (the allocation is page aligned).
TEST(GgufReader, LoadedEqualsMapped) {
    const GgufFile mapped = GgufFile::open(peer_file(), Residence::Mapped);
    const GgufFile loaded = GgufFile::open(peer_file(), Residence::Loaded);
    EXPECT_EQ(mapped.metadata(), loaded.metadata());
    ASSERT_EQ(mapped.tensors().size(), loaded.tensors().size());
    for (size_t i = 0; i < mapped.tensors().size(); ++i) {
        const TensorInfo& a = mapped.tensors()[i];
        const TensorInfo& b = loaded.tensors()[i];
        EXPECT_EQ(a.name, b.name);
        EXPECT_NE(a.data, b.data);
        EXPECT_EQ(std::memcmp(a.data, b.data, a.n_bytes), 0) << a.name;
    }
}

TEST(GgufReader, LoadingAMissingFileNamesIt) {
    try {
        (void)GgufFile::open("/nonexistent/model.gguf", Residence::Loaded);
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/model.gguf"), std::string::npos);
    }
}

TEST(GgufReader, MovedFileKeepsDataValid) {
    GgufFile f = GgufFile::open(peer_file());
    const uint8_t* data = f.find_tensor("output_norm.weight")->data;
    GgufFile g = std::move(f);
    EXPECT_EQ(g.find_tensor("output_norm.weight")->data, data);
    float x;
    std::memcpy(&x, data, 4);
    EXPECT_EQ(x, 1.0f);
}

TEST(GgufReader, MetadataOnlyVocabFile) {
    const std::string path = test::shared_dir() + "/golden/vocab/ggml-vocab-llama-spm.gguf";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "no golden vocab";
    const GgufFile f = GgufFile::open(path);
    EXPECT_TRUE(f.tensors().empty());
    EXPECT_EQ(f.architecture(), "llama");
    EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "llama");
    EXPECT_EQ(f.find("tokenizer.ggml.tokens")->array_size(), 32000u);
    EXPECT_EQ(f.files()[0].header_bytes, f.files()[0].file_size);  // gguf-py leaves it unpadded
}

}  // namespace
}  // namespace ql::gguf
