// IQ4_NL and IQ4_XS: 4-bit codes into one fixed non-linear table of 16
// levels. IQ4_NL: 32-value blocks with an fp16 scale. IQ4_XS: 256-value
// super-blocks with an fp16 scale and a signed 6-bit scale per 32 values.
//
// Quantization searches the scale: for a fixed scale the best code of each
// value is simply the nearest level (the weighted error is separable), so
// the search is over scales only, always judged by the error the stored
// (rounded) scale really gives.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "quant/formats.hpp"
#include "quant/half.hpp"
#include "quant/iq4_common.hpp"

namespace ql::quant {

namespace {

constexpr int64_t kNlBlockBytes = 18;   // fp16 d + 16 bytes of nibbles
constexpr int64_t kXsBlockBytes = 136;  // fp16 d, u16 scales_h, 4 scales_l, 128 nibbles
constexpr int kXsSubBlocks = kSuperBlock / kIq4Block;

// Nibbles of one 32-value block: value j in the low nibble of byte j,
// value j + 16 in the high nibble.
void pack_nibbles(const uint8_t* codes, uint8_t* out) {  // codes [32] -> out [16]
    for (int j = 0; j < kIq4Block / 2; ++j)
        out[j] = static_cast<uint8_t>(codes[j] | (codes[j + kIq4Block / 2] << 4));
}

void unpack_block(const uint8_t* nibbles, float scale, float* dst) {  // nibbles [16] -> dst [32]
    for (int j = 0; j < kIq4Block / 2; ++j) {
        dst[j] = scale * static_cast<float>(kIq4Levels[nibbles[j] & 0xf]);
        dst[j + kIq4Block / 2] = scale * static_cast<float>(kIq4Levels[nibbles[j] >> 4]);
    }
}

// ---- IQ4_NL ---------------------------------------------------------------

void quantize_nl_block(const float* x, const float* importance, uint8_t* out) {
    std::array<double, kIq4Block> w;
    iq4_weights(importance, kIq4Block, w.data());
    const ScaleFit fit = search_block_scale(x, w.data(), ScaleStorage::kFp16);
    const uint16_t d_bits = f32_to_fp16_clamped(static_cast<float>(fit.scale));
    std::array<uint8_t, kIq4Block> codes;
    assign_codes(x, fp16_to_f32(d_bits), codes.data());
    store_u16(out, d_bits);
    pack_nibbles(codes.data(), out + 2);
}

// ---- IQ4_XS ---------------------------------------------------------------

struct XsChoice {
    double err = 0;                             // weighted error of the super-block
    uint16_t d_bits = 0;                        // fp16 super-block scale
    std::array<int, kXsSubBlocks> sub_scale{};  // signed, -32..31
};

// Best signed 6-bit sub-scale of one 32-value block for the stored super
// scale `d`; tries the neighbours of the ideal one and zero.
// zero_err: the block's error with sub-scale 0 (all zeros).
int best_sub_scale(const float* x, const double* w, float d, double ideal, double zero_err,
                   double* err_out) {
    const double ratio = d != 0 ? ideal / d : 0.0;
    const int centre = static_cast<int>(std::clamp(std::nearbyint(ratio), -32.0, 31.0));
    int best = 0;
    double best_err = zero_err;
    for (int l = std::max(-32, centre - 1); l <= std::min(31, centre + 1); ++l) {
        if (l == 0) continue;
        const float dl = d * static_cast<float>(l);
        const double e = weighted_error(x, w, dl);
        if (e < best_err) {
            best_err = e;
            best = l;
        }
    }
    *err_out = best_err;
    return best;
}

// Evaluates one super scale (before fp16 rounding) for all sub-blocks.
// ideal, zero_err: [8] free scale and all-zeros error of each sub-block.
XsChoice try_super_scale(const float* x, const double* w, const double* ideal,
                         const double* zero_err, double d) {
    XsChoice c;
    c.d_bits = f32_to_fp16_clamped(static_cast<float>(d));
    const float ds = fp16_to_f32(c.d_bits);
    for (int ib = 0; ib < kXsSubBlocks; ++ib) {
        double e = 0;
        c.sub_scale[ib] =
            best_sub_scale(x + ib * kIq4Block, w + ib * kIq4Block, ds, ideal[ib], zero_err[ib], &e);
        c.err += e;
    }
    return c;
}

XsChoice choose_xs_scales(const float* x, const double* w) {  // x, w [256]
    std::array<double, kXsSubBlocks> ideal;                   // free per-block scales
    std::array<double, kXsSubBlocks> zero_err;                // error of writing zeros
    double widest = 0;
    XsChoice best;  // all zeros
    best.err = 0;
    for (int ib = 0; ib < kXsSubBlocks; ++ib) {
        ideal[ib] =
            search_block_scale(x + ib * kIq4Block, w + ib * kIq4Block, ScaleStorage::kExact).scale;
        if (std::fabs(ideal[ib]) > std::fabs(widest)) widest = ideal[ib];
        zero_err[ib] = 0;
        for (int j = ib * kIq4Block; j < (ib + 1) * kIq4Block; ++j)
            zero_err[ib] += w[j] * double(x[j]) * double(x[j]);
        best.err += zero_err[ib];
    }
    if (widest == 0) return best;
    // The widest block maps onto the largest sub-scale magnitudes, on either
    // side (whole steps: half steps were twice as slow for 0.1% less error).
    for (double top = 28.0; top <= 32.0; top += 1.0) {
        for (double sign : {-1.0, 1.0}) {
            if (sign > 0 && top > 31.0) continue;
            const XsChoice c =
                try_super_scale(x, w, ideal.data(), zero_err.data(), widest / (sign * top));
            if (c.err < best.err) best = c;
        }
    }
    return best;
}

void quantize_xs_block(const float* x, const float* importance, uint8_t* out) {
    std::array<double, kSuperBlock> w;
    iq4_weights(importance, kSuperBlock, w.data());
    const XsChoice c = choose_xs_scales(x, w.data());
    const float d = fp16_to_f32(c.d_bits);
    std::memset(out, 0, kXsBlockBytes);
    store_u16(out, c.d_bits);
    uint16_t scales_h = 0;
    for (int ib = 0; ib < kXsSubBlocks; ++ib) {
        const int biased = c.sub_scale[ib] + 32;  // 0..63
        out[4 + ib / 2] |= static_cast<uint8_t>((biased & 0xf) << (4 * (ib % 2)));
        scales_h |= static_cast<uint16_t>((biased >> 4) << (2 * ib));
        std::array<uint8_t, kIq4Block> codes;
        assign_codes(x + ib * kIq4Block, d * static_cast<float>(c.sub_scale[ib]), codes.data());
        pack_nibbles(codes.data(), out + 8 + ib * (kIq4Block / 2));
    }
    store_u16(out + 2, scales_h);
}

}  // namespace

void dequantize_iq4_nl(const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kIq4Block; ++b, p += kNlBlockBytes, dst += kIq4Block)
        unpack_block(p + 2, fp16_to_f32(load_u16(p)), dst);
}

size_t quantize_iq4_nl(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                       const float* importance) {
    auto* out = static_cast<uint8_t*>(dst);
    const int64_t blocks_per_row = n_per_row / kIq4Block;
    for (int64_t r = 0; r < n_rows; ++r)
        for (int64_t b = 0; b < blocks_per_row; ++b, out += kNlBlockBytes)
            quantize_nl_block(src + r * n_per_row + b * kIq4Block,
                              importance ? importance + b * kIq4Block : nullptr, out);
    return static_cast<size_t>(n_rows * blocks_per_row * kNlBlockBytes);
}

void dequantize_iq4_xs(const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kSuperBlock; ++b, p += kXsBlockBytes) {
        const float d = fp16_to_f32(load_u16(p));
        const uint16_t scales_h = load_u16(p + 2);
        for (int ib = 0; ib < kXsSubBlocks; ++ib, dst += kIq4Block) {
            const int low = (p[4 + ib / 2] >> (4 * (ib % 2))) & 0xf;
            const int high = (scales_h >> (2 * ib)) & 3;
            const float dl = d * static_cast<float>((low | (high << 4)) - 32);
            unpack_block(p + 8 + ib * (kIq4Block / 2), dl, dst);
        }
    }
}

size_t quantize_iq4_xs(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                       const float* importance) {
    auto* out = static_cast<uint8_t*>(dst);
    const int64_t blocks_per_row = n_per_row / kSuperBlock;
    for (int64_t r = 0; r < n_rows; ++r)
        for (int64_t b = 0; b < blocks_per_row; ++b, out += kXsBlockBytes)
            quantize_xs_block(src + r * n_per_row + b * kSuperBlock,
                              importance ? importance + b * kSuperBlock : nullptr, out);
    return static_cast<size_t>(n_rows * blocks_per_row * kXsBlockBytes);
}

}  // namespace ql::quant
