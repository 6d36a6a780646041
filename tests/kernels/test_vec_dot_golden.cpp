// Our scalar vec_dot against ggml's, on weights and activations quantized by
// the llama.cpp peer (tests/data/kernels, made by gen_vec_dot_golden.sh).
// ggml's x86 kernels sum blocks in another order than its generic code, so
// the bar is float rounding of the summed magnitudes, not bit equality.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>

#include "kernel_fixture.hpp"
#include "kernels/kernels.hpp"

namespace ql::test {
namespace {

constexpr int64_t kRows = 4, kCols = 512;

std::string data_dir() {
    return std::string(QL_SOURCE_DIR) + "/tests/data/kernels/";
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) ADD_FAILURE() << "missing " << path;
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                                std::istreambuf_iterator<char>());
}

// ggml's file names: lower case except the K of the k-quants ("q4_K").
std::string ggml_name(TypeId t) {
    std::string s = type_name(t);
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s.size() > 2 && s.substr(s.size() - 2) == "_k") s.back() = 'K';
    return s;
}

std::vector<float> as_floats(const std::vector<uint8_t>& bytes) {
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
}

class VecDotGolden : public ::testing::TestWithParam<TypeId> {};

TEST_P(VecDotGolden, MatchesGgml) {
    const TypeId type = GetParam();
    const std::string base = data_dir() + ggml_name(type);
    const auto w = read_file(base + ".w");
    const auto act = read_file(base + ".act");
    const auto dots = as_floats(read_file(base + ".dot.f32"));
    const size_t wrow = *quant::row_bytes(quant::type_traits(type), kCols);
    const size_t arow = kernels::activation_row_bytes(type, kCols);
    ASSERT_EQ(w.size(), wrow * kRows);
    ASSERT_EQ(act.size(), arow * kRows);
    ASSERT_EQ(dots.size(), static_cast<size_t>(kRows));
    int bit_equal = 0;
    for (int64_t r = 0; r < kRows; ++r) {
        const float got = kernels::vec_dot(type, kCols, w.data() + r * wrow, act.data() + r * arow);
        const DotReference ref =
            reference_dot(type, kCols, w.data() + r * wrow, act.data() + r * arow);
        EXPECT_NEAR(got, dots[r], 1e-6 * ref.magnitude) << type_name(type) << " row " << r;
        if (got == dots[r]) ++bit_equal;
        // the golden itself is the same quantity
        EXPECT_NEAR(dots[r], ref.value, 2e-6 * ref.magnitude) << type_name(type) << " row " << r;
    }
    std::printf("%s: %d of %d dots bit-equal to ggml's\n", type_name(type).c_str(), bit_equal,
                static_cast<int>(kRows));
}

// Bit for bit against ggml's generic scalar code (ggml-cpu/quants.c, built
// without FMA), for every block-quantized type.
TEST_P(VecDotGolden, BitEqualToGgmlGenericCode) {
    const TypeId type = GetParam();
    if (!quant::type_traits(type).is_quantized) GTEST_SKIP() << "ggml's float dots are in vec.cpp";
    const std::string base = data_dir() + ggml_name(type);
    const auto w = read_file(base + ".w");
    const auto act = read_file(base + ".act");
    const auto generic = as_floats(read_file(base + ".generic.f32"));
    ASSERT_EQ(generic.size(), static_cast<size_t>(kRows));
    const size_t wrow = *quant::row_bytes(quant::type_traits(type), kCols);
    const size_t arow = kernels::activation_row_bytes(type, kCols);
    for (int64_t r = 0; r < kRows; ++r) {
        const float got = kernels::vec_dot(type, kCols, w.data() + r * wrow, act.data() + r * arow);
        uint32_t got_bits, want_bits;
        std::memcpy(&got_bits, &got, 4);
        std::memcpy(&want_bits, &generic[r], 4);
        EXPECT_EQ(got_bits, want_bits)
            << type_name(type) << " row " << r << ": " << got << " vs ggml " << generic[r];
    }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, VecDotGolden, ::testing::ValuesIn(weight_types()),
                         [](const auto& param_info) { return type_name(param_info.param); });

// Our activation quantizers (the quant registry's) against the bytes ggml's
// CPU backend produced for the same rows.
TEST(ActivationGolden, QuantizersMatchGgmlBytes) {
    const auto input = as_floats(read_file(data_dir() + "input.f32"));
    ASSERT_EQ(input.size(), static_cast<size_t>(2 * kRows * kCols));
    for (TypeId type : weight_types()) {
        const auto expected = read_file(data_dir() + ggml_name(type) + ".act");
        const size_t arow = kernels::activation_row_bytes(type, kCols);
        std::vector<uint8_t> got(arow * kRows);
        for (int64_t r = 0; r < kRows; ++r)
            kernels::quantize_activations(type, input.data() + (kRows + r) * kCols,
                                          got.data() + r * arow, kCols);
        size_t differing = 0;
        for (size_t i = 0; i < got.size() && i < expected.size(); ++i)
            differing += got[i] != expected[i];
        EXPECT_EQ(differing, 0u) << type_name(type) << ": of " << got.size() << " bytes";
    }
}

}  // namespace
}  // namespace ql::test
