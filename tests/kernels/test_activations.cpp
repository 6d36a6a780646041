// Activation quantization against the bytes the peer's CPU backend (its x86
// from_float quantizers, as built on this machine) produced for rows chosen
// to expose rounding differences: exact halves, and multipliers where
// 127/amax and 1/(amax/127) differ (tests/data/activations, made by
// gen_activation_golden.sh).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"
#include "quant/types.hpp"

namespace ql::test {
namespace {

using quant::TypeId;

constexpr int64_t kRows = 16, kCols = 512;

std::vector<uint8_t> read_file(const std::string& name) {
    const std::string path = std::string(QL_SOURCE_DIR) + "/tests/data/activations/" + name;
    std::ifstream f(path, std::ios::binary);
    if (!f) ADD_FAILURE() << "missing " << path;
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                                std::istreambuf_iterator<char>());
}

std::vector<float> input_rows() {
    const auto bytes = read_file("input.f32");
    std::vector<float> x(bytes.size() / sizeof(float));  // [kRows, kCols]
    std::memcpy(x.data(), bytes.data(), x.size() * sizeof(float));
    return x;
}

struct Case {
    TypeId weight;         // a weight type whose activations use the format
    const char* act_file;  // the peer's bytes
};

// Rows of `x` quantized for `weight` with quantize_activations: [kRows x row bytes].
std::vector<uint8_t> ours(TypeId weight, const std::vector<float>& x) {
    const size_t row = kernels::activation_row_bytes(weight, kCols);
    std::vector<uint8_t> out(row * kRows);
    for (int64_t r = 0; r < kRows; ++r)
        kernels::quantize_activations(weight, x.data() + r * kCols, out.data() + r * row, kCols);
    return out;
}

size_t count_differing(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    size_t n = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) n += a[i] != b[i];
    return n;
}

class ActivationBytes : public ::testing::TestWithParam<Case> {};

TEST_P(ActivationBytes, MatchPeerCpuBackend) {
    const auto x = input_rows();
    ASSERT_EQ(x.size(), static_cast<size_t>(kRows * kCols));
    const auto expected = read_file(GetParam().act_file);
    const auto got = ours(GetParam().weight, x);
    ASSERT_EQ(got.size(), expected.size());
    EXPECT_EQ(count_differing(got, expected), 0u) << GetParam().act_file;
}

INSTANTIATE_TEST_SUITE_P(
    Formats, ActivationBytes,
    ::testing::Values(Case{TypeId::Q4_0, "q8_0.act"}, Case{TypeId::IQ4_NL, "q8_0.act"},
                      Case{TypeId::Q4_1, "q8_1.act"}, Case{TypeId::Q4_K, "q8_K.act"},
                      Case{TypeId::TQ1_0, "q8_K.act"}, Case{TypeId::IQ2_XXS, "q8_K.act"}),
    [](const auto& case_info) {
        return std::string(quant::type_traits(case_info.param.weight).name);
    });

// The rows are discriminating: ggml's reference Q8_0 / Q8_1 quantizers (the
// registry's) round them differently from the peer's backend.
TEST(ActivationBytes, ReferenceQuantizerDiffersOnTheseRows) {
    const auto x = input_rows();
    for (TypeId format : {TypeId::Q8_0, TypeId::Q8_1}) {
        const auto expected = read_file(format == TypeId::Q8_0 ? "q8_0.act" : "q8_1.act");
        std::vector<uint8_t> reference(expected.size());
        quant::quantize(format, x.data(), reference.data(), kRows, kCols, nullptr);
        EXPECT_GT(count_differing(reference, expected), 0u) << quant::type_traits(format).name;
    }
}

}  // namespace
}  // namespace ql::test
