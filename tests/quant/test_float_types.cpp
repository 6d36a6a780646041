#include <bit>
#include <cmath>

#include "harness.hpp"
#include "quant/half.hpp"

using namespace ql;
using quant::TypeId;

TEST(FloatTypes, GoldenDequantF16) {
    if (!test::expect_golden_dequant(TypeId::F16, false)) GTEST_SKIP();
    test::expect_golden_dequant(TypeId::F16, true);
}

TEST(FloatTypes, GoldenDequantBF16) {
    if (!test::expect_golden_dequant(TypeId::BF16, false)) GTEST_SKIP();
    test::expect_golden_dequant(TypeId::BF16, true);
}

TEST(FloatTypes, QuantizeMatchesGgmlBytes) {
    // F16 and BF16 are deterministic roundings: our bytes must equal ggml's.
    for (auto id : {TypeId::F16, TypeId::BF16}) {
        const auto& t = quant::type_traits(id);
        auto dir = test::shared_dir() + "/golden/quant/";
        if (!test::file_exists(dir + "input.f32")) GTEST_SKIP();
        auto x = test::read_f32(dir + "input.f32");
        auto expected = test::read_bytes(dir + test::golden_name(t) + ".q");
        std::vector<uint8_t> q(x.size() * 2);
        quant::quantize(id, x.data(), q.data(), 8, static_cast<int64_t>(x.size() / 8), nullptr);
        EXPECT_EQ(q, expected) << t.name;
    }
}

TEST(FloatTypes, HalfRoundTripAllBitPatterns) {
    for (uint32_t h = 0; h < 65536; ++h) {
        float f = quant::fp16_to_f32(static_cast<uint16_t>(h));
        if (std::isnan(f)) continue;
        EXPECT_EQ(quant::f32_to_fp16(f), h) << h;
    }
}

TEST(FloatTypes, HalfRoundsToNearestEven) {
    // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even (1).
    EXPECT_EQ(quant::f32_to_fp16(1.0f + 0x1p-11f), 0x3c00);
    EXPECT_EQ(quant::f32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3c02);
    EXPECT_EQ(quant::f32_to_fp16(65520.0f), 0x7c00);  // overflow to inf
    EXPECT_EQ(quant::f32_to_fp16(65519.0f), 0x7bff);
    EXPECT_EQ(quant::f32_to_fp16(0x1p-25f), 0x0000);  // halfway to smallest subnormal: even
    EXPECT_EQ(quant::f32_to_fp16(0x1.8p-25f), 0x0001);
    EXPECT_EQ(quant::f32_to_fp16(-0.0f), 0x8000);
}

TEST(FloatTypes, QuantizeRejectsNonFinite) {
    std::vector<float> x(32, 1.0f);
    x[5] = NAN;
    std::vector<uint8_t> q(64);
    EXPECT_THROW(quant::quantize(TypeId::F16, x.data(), q.data(), 1, 32, nullptr), ql::Error);
}

TEST(Registry, FactsAreConsistent) {
    for (const auto& t : quant::all_types()) {
        EXPECT_EQ(quant::find_type(t.id), &t);
        EXPECT_EQ(quant::find_type(t.name), &t);
        EXPECT_GT(t.block_size, 0);
        EXPECT_GT(t.type_size, 0);
    }
    EXPECT_EQ(quant::find_type("q4_k"), quant::find_type(TypeId::Q4_K));
    EXPECT_EQ(quant::find_type("nope"), nullptr);
    EXPECT_EQ(quant::find_type(uint32_t{4}), nullptr);  // removed Q4_2
}

TEST(Registry, MatchesGoldenManifest) {
    auto path = test::shared_dir() + "/golden/quant/manifest.tsv";
    if (!test::file_exists(path)) GTEST_SKIP();
    auto m = test::read_manifest(path);
    ASSERT_GE(m.size(), 27u);
    for (auto& [name, row] : m) {
        const auto* t = quant::find_type(name);
        ASSERT_NE(t, nullptr) << name;
        EXPECT_EQ(static_cast<uint32_t>(t->id), std::stoul(row["id"])) << name;
        EXPECT_EQ(t->block_size, std::stol(row["block_size"])) << name;
        EXPECT_EQ(t->type_size, std::stol(row["type_size"])) << name;
        EXPECT_NEAR(t->bits_per_weight(), std::stod(row["bits_per_weight"]), 1e-4) << name;
    }
}
