// The level decoders of the integer GEMM (kernels/levels.hpp): every value
// rebuilt as scale * (u - bias) + offset must equal quant::dequantize's
// exactly (as floats: -0 and +0 count as equal, they add the same to a sum),
// for every type that has a decoder; the group size must divide the
// activation block so the GEMM can apply activation scales per group.
#include <gtest/gtest.h>

#include <vector>

#include "kernel_fixture.hpp"
#include "kernels/levels.hpp"

namespace ql::test {
namespace {

std::vector<TypeId> decoded_types() {
    std::vector<TypeId> out;
    for (TypeId t : weight_types())
        if (kernels::level_decoder(t)) out.push_back(t);
    return out;
}

int activation_block(TypeId weight) {
    return static_cast<int>(quant::type_traits(*kernels::activation_type(weight)).block_size);
}

class Levels : public ::testing::TestWithParam<TypeId> {};

TEST_P(Levels, RebuildEqualsDequantize) {
    const TypeId type = GetParam();
    const kernels::LevelDecoder& dec = *kernels::level_decoder(type);
    ASSERT_TRUE(dec.group == 16 || dec.group == 32 || dec.group == 256) << dec.group;
    ASSERT_EQ(activation_block(type) % dec.group, 0);
    ASSERT_GE(dec.bias, 0);
    ASSERT_LE(dec.bias, 255);
    const int64_t n = 1024, rows = 8;
    const auto q = quantize_matrix(type, random_matrix(rows, n, 7), rows, n);
    const size_t row_bytes = q.size() / rows;
    std::vector<uint8_t> levels(n);
    std::vector<float> scale(n / dec.group), offset(n / dec.group, 0.0f), ref(n);
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* row = q.data() + r * row_bytes;
        dec.decode(row, n, levels.data(), scale.data(), dec.has_offset ? offset.data() : nullptr);
        quant::dequantize(type, row, ref.data(), n);
        for (int64_t k = 0; k < n; ++k) {
            const int64_t g = k / dec.group;
            const float v = scale[g] * static_cast<float>(levels[k] - dec.bias) + offset[g];
            ASSERT_EQ(v, ref[k]) << type_name(type) << " row " << r << " value " << k << ": " << v
                                 << " vs " << ref[k] << " (u " << int(levels[k]) << ", scale "
                                 << scale[g] << ", offset " << offset[g] << ")";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Decoded, Levels, ::testing::ValuesIn(decoded_types()),
                         [](const auto& p) { return type_name(p.param); });

TEST(LevelsTable, TheCommonWeightTypesHaveDecoders) {
    for (TypeId t : {TypeId::Q4_K, TypeId::Q8_0, TypeId::Q2_K, TypeId::Q3_K, TypeId::Q5_K,
                     TypeId::Q6_K, TypeId::Q4_0, TypeId::IQ4_NL, TypeId::MXFP4, TypeId::TQ1_0,
                     TypeId::TQ2_0, TypeId::IQ2_XXS, TypeId::IQ2_XS, TypeId::IQ2_S, TypeId::IQ3_XXS,
                     TypeId::IQ3_S, TypeId::IQ4_XS, TypeId::IQ1_S, TypeId::IQ1_M})
        EXPECT_NE(kernels::level_decoder(t), nullptr) << type_name(t);
    EXPECT_EQ(kernels::level_decoder(TypeId::F32), nullptr);
}

}  // namespace
}  // namespace ql::test
