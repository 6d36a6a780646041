// SIMD dequantizers must be bit-identical to the scalar reference.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "quant/dequant_simd.hpp"
#include "quant/half.hpp"
#include "quant/types.hpp"
#include "util/cpu.hpp"

using namespace ql;
using quant::TypeId;

namespace {

// Random blocks whose fp16 fields hold finite values: random bytes everywhere,
// then every 2-byte field that would be Inf/NaN is replaced by a finite half.
std::vector<uint8_t> random_blocks(const quant::TypeTraits& t, int64_t n_blocks, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> b(static_cast<size_t>(n_blocks * t.type_size));
    for (auto& v : b) v = static_cast<uint8_t>(rng());
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    auto fix_half = [&](uint8_t* p) { quant::store_u16(p, quant::f32_to_fp16(u(rng))); };
    for (int64_t i = 0; i < n_blocks; ++i) {
        uint8_t* blk = b.data() + i * t.type_size;
        switch (t.id) {
            case TypeId::Q8_0:
            case TypeId::Q4_0:
                fix_half(blk);
                break;
            case TypeId::Q4_K:
                fix_half(blk), fix_half(blk + 2);
                break;
            case TypeId::Q6_K:
                fix_half(blk + 208);
                break;
            case TypeId::F16:
                for (int64_t k = 0; k < t.type_size; k += 2) fix_half(blk + k);
                break;
            default:
                break;
        }
    }
    return b;
}

}  // namespace

TEST(DequantSimd, Avx512MatchesReferenceBitForBit) {
    if (!cpu_features().avx512_kernels()) GTEST_SKIP() << "no AVX-512 on this CPU";
    int checked = 0;
    for (const auto& t : quant::all_types()) {
        quant::DequantizeFn simd = quant::avx512_dequantize(t.id);
        if (!simd) continue;
        const int64_t n_blocks = t.block_size == 1 ? 1037 : 67;  // odd counts exercise tails
        auto src = random_blocks(t, n_blocks, 42 + static_cast<uint32_t>(t.id));
        const int64_t n = n_blocks * t.block_size;
        std::vector<float> ref(n), got(n);
        t.dequantize(src.data(), ref.data(), n);
        simd(src.data(), got.data(), n);
        EXPECT_EQ(std::memcmp(ref.data(), got.data(), n * 4), 0) << t.name;
        ++checked;
    }
    EXPECT_GE(checked, 6);
}

TEST(DequantSimd, BestFallsBackToReference) {
    // Types without a SIMD version get the registry's reference function.
    EXPECT_EQ(quant::best_dequantize(TypeId::I32), quant::type_traits(TypeId::I32).dequantize);
}
