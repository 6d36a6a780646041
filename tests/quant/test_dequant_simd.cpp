// SIMD dequantizers must be bit-identical to the scalar reference, on random
// blocks and on ggml's golden data, and best_dequantize must pick them in the
// order AVX-512, AVX2, reference.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "quant/dequant_simd.hpp"
#include "quant/half.hpp"
#include "quant/harness.hpp"
#include "quant/types.hpp"
#include "util/cpu.hpp"

using namespace ql;
using quant::TypeId;

namespace {

// Byte offsets of the fp16 fields of one block of `type` (d, dmin, m).
std::vector<int> half_field_offsets(TypeId type) {
    switch (type) {
        case TypeId::Q4_0:
        case TypeId::Q5_0:
        case TypeId::Q8_0:
        case TypeId::IQ4_NL:
        case TypeId::IQ4_XS:
        case TypeId::IQ2_XXS:
        case TypeId::IQ2_XS:
        case TypeId::IQ2_S:
        case TypeId::IQ3_XXS:
        case TypeId::IQ3_S:
            return {0};
        case TypeId::Q4_1:
        case TypeId::Q5_1:
        case TypeId::Q8_1:
        case TypeId::Q4_K:
        case TypeId::Q5_K:
            return {0, 2};
        case TypeId::Q2_K:
            return {80, 82};
        case TypeId::Q3_K:
            return {108};
        case TypeId::Q6_K:
            return {208};
        case TypeId::TQ2_0:
            return {64};
        case TypeId::TQ1_0:
            return {52};
        default:
            return {};
    }
}

// A finite half: mostly normal values in [-2, 2], sometimes zero, a
// subnormal or a large value (so the conversions' edge cases are covered).
uint16_t random_finite_half(std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    switch (rng() % 8) {
        case 0:
            return static_cast<uint16_t>(rng() & 0x83ff);  // +-0 or subnormal
        case 1:
            return quant::f32_to_fp16(u(rng) * 30000.0f);
        default:
            return quant::f32_to_fp16(u(rng));
    }
}

// Random blocks whose float fields hold finite values: random bytes
// everywhere, then every fp16 (or f32) scale field set to a finite value.
std::vector<uint8_t> random_blocks(const quant::TypeTraits& t, int64_t n_blocks, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> b(static_cast<size_t>(n_blocks * t.type_size));
    for (auto& v : b) v = static_cast<uint8_t>(rng());
    for (int64_t i = 0; i < n_blocks; ++i) {
        uint8_t* blk = b.data() + i * t.type_size;
        for (int offset : half_field_offsets(t.id))
            quant::store_u16(blk + offset, random_finite_half(rng));
        if (t.id == TypeId::F16)
            for (int64_t k = 0; k < t.type_size; k += 2)
                quant::store_u16(blk + k, random_finite_half(rng));
        if (t.id == TypeId::Q8_K)  // d is an f32
            quant::store_f32(blk, std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng));
    }
    return b;
}

// Compares `simd` with the reference on random blocks (odd counts exercise
// the tails). Returns the number of differing bit patterns.
int64_t mismatches_on_random_blocks(const quant::TypeTraits& t, quant::DequantizeFn simd) {
    const int64_t n_blocks = t.block_size == 1 ? 1037 : 67;
    auto src = random_blocks(t, n_blocks, 42 + static_cast<uint32_t>(t.id));
    const int64_t n = n_blocks * t.block_size;
    std::vector<float> ref(n, 1.0f), got(n, -1.0f);
    t.dequantize(src.data(), ref.data(), n);
    simd(src.data(), got.data(), n);
    int64_t bad = 0;
    for (int64_t i = 0; i < n; ++i) bad += std::memcmp(&ref[i], &got[i], 4) != 0;
    return bad;
}

// Runs `simd` on ggml's golden bytes of `t` (plain and with importance) and
// compares bit for bit with ggml's dequantization. Returns the number of
// golden files checked.
int check_golden(const quant::TypeTraits& t, quant::DequantizeFn simd) {
    int files = 0;
    for (const char* suffix : {"", ".imp"}) {
        const std::string base =
            test::shared_dir() + "/golden/quant/" + test::golden_name(t) + suffix;
        if (!test::file_exists(base + ".q") || !test::file_exists(base + ".deq.f32")) continue;
        const auto q = test::read_bytes(base + ".q");
        const auto expected = test::read_f32(base + ".deq.f32");
        EXPECT_EQ(static_cast<int64_t>(q.size()),
                  static_cast<int64_t>(expected.size()) / t.block_size * t.type_size)
            << base;
        std::vector<float> got(expected.size());
        simd(q.data(), got.data(), static_cast<int64_t>(got.size()));
        EXPECT_EQ(std::memcmp(got.data(), expected.data(), got.size() * 4), 0) << base;
        ++files;
    }
    return files;
}

// Types whose SIMD versions the brief requires (AVX-512 / AVX2).
const TypeId kAvx512Required[] = {
    TypeId::F16,    TypeId::BF16,   TypeId::Q8_0,    TypeId::Q4_0,  TypeId::Q4_1,  TypeId::Q5_0,
    TypeId::Q5_1,   TypeId::Q2_K,   TypeId::Q3_K,    TypeId::Q4_K,  TypeId::Q5_K,  TypeId::Q6_K,
    TypeId::Q8_K,   TypeId::IQ4_NL, TypeId::IQ4_XS,  TypeId::MXFP4, TypeId::TQ2_0, TypeId::IQ2_XXS,
    TypeId::IQ2_XS, TypeId::IQ2_S,  TypeId::IQ3_XXS, TypeId::IQ3_S};
const TypeId kAvx2Required[] = {TypeId::F16,  TypeId::BF16, TypeId::Q8_0, TypeId::Q4_0,
                                TypeId::Q4_K, TypeId::Q6_K, TypeId::Q5_K, TypeId::IQ4_XS};

}  // namespace

TEST(DequantSimd, RequiredKernelsExist) {
    for (TypeId id : kAvx512Required)
        EXPECT_NE(quant::avx512_dequantize(id), nullptr) << quant::type_traits(id).name;
    for (TypeId id : kAvx2Required)
        EXPECT_NE(quant::avx2_dequantize(id), nullptr) << quant::type_traits(id).name;
}

TEST(DequantSimd, Avx512MatchesReferenceBitForBit) {
    if (!cpu_features().avx512_kernels()) GTEST_SKIP() << "no AVX-512 on this CPU";
    int checked = 0;
    for (const auto& t : quant::all_types()) {
        if (quant::DequantizeFn simd = quant::avx512_dequantize(t.id)) {
            EXPECT_EQ(mismatches_on_random_blocks(t, simd), 0) << t.name;
            ++checked;
        }
    }
    EXPECT_GE(checked, static_cast<int>(std::size(kAvx512Required)));
}

TEST(DequantSimd, Avx2MatchesReferenceBitForBit) {
    if (!cpu_features().avx2_kernels()) GTEST_SKIP() << "no AVX2 on this CPU";
    int checked = 0;
    for (const auto& t : quant::all_types()) {
        if (quant::DequantizeFn simd = quant::avx2_dequantize(t.id)) {
            EXPECT_EQ(mismatches_on_random_blocks(t, simd), 0) << t.name;
            ++checked;
        }
    }
    EXPECT_GE(checked, static_cast<int>(std::size(kAvx2Required)));
}

TEST(DequantSimd, Avx512MatchesGgmlGolden) {
    if (!cpu_features().avx512_kernels()) GTEST_SKIP() << "no AVX-512 on this CPU";
    int files = 0;
    for (const auto& t : quant::all_types())
        if (quant::DequantizeFn simd = quant::avx512_dequantize(t.id))
            files += check_golden(t, simd);
    if (files == 0) GTEST_SKIP() << "no golden data";
    EXPECT_GE(files, static_cast<int>(std::size(kAvx512Required)));
}

TEST(DequantSimd, Avx2MatchesGgmlGolden) {
    if (!cpu_features().avx2_kernels()) GTEST_SKIP() << "no AVX2 on this CPU";
    int files = 0;
    for (const auto& t : quant::all_types())
        if (quant::DequantizeFn simd = quant::avx2_dequantize(t.id)) files += check_golden(t, simd);
    if (files == 0) GTEST_SKIP() << "no golden data";
    EXPECT_GE(files, static_cast<int>(std::size(kAvx2Required)));
}

// The registry path (best_dequantize under whatever QL_CPU cap is set) also
// reproduces ggml's golden output for every type.
TEST(DequantSimd, RegistryPathMatchesGgmlGolden) {
    int types = 0;
    for (const auto& t : quant::all_types()) types += test::expect_golden_dequant(t.id, true);
    if (types == 0) GTEST_SKIP() << "no golden data";
}

TEST(DequantSimd, BestPrefersAvx512ThenAvx2ThenReference) {
    const CpuFeatures& cpu = cpu_features();
    for (const auto& t : quant::all_types()) {
        quant::DequantizeFn expected = t.dequantize;
        if (cpu.avx2_kernels() && quant::avx2_dequantize(t.id))
            expected = quant::avx2_dequantize(t.id);
        if (cpu.avx512_kernels() && quant::avx512_dequantize(t.id))
            expected = quant::avx512_dequantize(t.id);
        EXPECT_EQ(quant::best_dequantize(t.id), expected) << t.name << " on " << cpu.describe();
    }
}

TEST(DequantSimd, BestFallsBackToReference) {
    // Types without a SIMD version get the registry's reference function.
    EXPECT_EQ(quant::best_dequantize(TypeId::I32), quant::type_traits(TypeId::I32).dequantize);
}

// Plain float types have no blocks: every length, including those that are
// not a multiple of the vector width, must come out right and write nothing
// past the end.
TEST(DequantSimd, FloatTypesHandleEveryTailLength) {
    for (TypeId id : {TypeId::F16, TypeId::BF16}) {
        const auto& t = quant::type_traits(id);
        auto src = random_blocks(t, 40, 7);
        for (auto* simd : {quant::avx512_dequantize(id), quant::avx2_dequantize(id)}) {
            if (!simd) continue;
            if (simd == quant::avx512_dequantize(id) && !cpu_features().avx512_kernels()) continue;
            if (simd == quant::avx2_dequantize(id) && !cpu_features().avx2_kernels()) continue;
            for (int64_t n = 0; n <= 37; ++n) {
                std::vector<float> ref(n + 1, 123.0f), got(n + 1, 123.0f);
                t.dequantize(src.data(), ref.data(), n);
                simd(src.data(), got.data(), n);
                EXPECT_EQ(std::memcmp(ref.data(), got.data(), (n + 1) * 4), 0)
                    << t.name << " n=" << n;
            }
        }
    }
}
