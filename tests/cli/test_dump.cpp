// `quantlab dump`: the written floats are exactly the library's
// dequantization; an unknown tensor is refused without leaving a file.
#include <gtest/gtest.h>

#include "cli/fixture.hpp"

namespace ql::test {
namespace {

void expect_dump_matches_library(quant::TypeId type, const std::string& tensor) {
    ScratchDir dir;
    TinyModelOptions o;
    o.weight_type = type;
    o.n_layer = 1;
    write_tiny_model(dir / "m.gguf", o);
    const RunResult r =
        run_quantlab({"dump", dir / "m.gguf", "--tensor", tensor, "--f32", dir / "t.bin"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    const auto model = gguf::GgufFile::open(dir / "m.gguf");
    const gguf::TensorInfo* t = model.find_tensor(tensor);
    ASSERT_NE(t, nullptr);
    const std::vector<float> want = dequantized(*t);
    const std::vector<float> got = read_f32_file(dir / "t.bin");
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0);
    // Not all zeros: the fixture wrote random weights.
    EXPECT_GT(relative_rmse(got, std::vector<float>(got.size(), 0.0f)), 0.5);
    // No temporary file left behind.
    size_t n_files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++n_files;
    EXPECT_EQ(n_files, 2u);
}

TEST(CliDump, F16MatrixMatchesLibrary) {
    expect_dump_matches_library(quant::TypeId::F16, "blk.0.attn_q.weight");
}

TEST(CliDump, Q8_0MatrixMatchesLibrary) {
    expect_dump_matches_library(quant::TypeId::Q8_0, "blk.0.ffn_down.weight");
}

TEST(CliDump, F32VectorMatchesLibrary) {
    expect_dump_matches_library(quant::TypeId::F16, "output_norm.weight");
}

TEST(CliDump, UnknownTensorIsNamedAndNothingIsWritten) {
    ScratchDir dir;
    TinyModelOptions o;
    o.n_layer = 1;
    write_tiny_model(dir / "m.gguf", o);
    const RunResult r = run_quantlab(
        {"dump", dir / "m.gguf", "--tensor", "blk.9.nope.weight", "--f32", dir / "t.bin"}, dir);
    EXPECT_EQ(r.status, 1);
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find("blk.9.nope.weight"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "t.bin"));
}

TEST(CliDump, MissingRequiredFlagIsAUsageError) {
    ScratchDir dir;
    TinyModelOptions o;
    o.n_layer = 1;
    write_tiny_model(dir / "m.gguf", o);
    const RunResult r = run_quantlab({"dump", dir / "m.gguf", "--f32", dir / "t.bin"}, dir);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("--tensor"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "t.bin"));
}

}  // namespace
}  // namespace ql::test
