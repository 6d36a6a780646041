// Weight rows decoded to small integer levels, for the integer GEMM of prompt
// processing (gemm.hpp): every value of a row as an unsigned byte u and, per
// group of `group` consecutive values, a float scale and offset, such that
//
//     value[k] = scale[g] * (u[k] - bias) + offset[g],   g = k / group
//
// equals what quant::dequantize gives (bit for bit where ggml's formula has
// the same shape, e.g. Q4_K's d1 * q - m1). The GEMM multiplies u with the
// int8 activations in integers (VNNI: unsigned x signed bytes), subtracts
// bias x the activation sum per group, and applies scale and offset in float
// once per group.
#pragma once

#include <cstdint>

#include "quant/types.hpp"

namespace ql::kernels {

struct LevelDecoder {
    int group = 32;           // values per scale group: 16, 32 or 256
    int bias = 0;             // u = signed level + bias (0: the levels are unsigned)
    bool has_offset = false;  // offset[g] may be non-zero (the k-quants' mins)
    // Decodes one row of n values (n a multiple of the type's block size):
    // levels [n], scale [n / group], offset [n / group] (written only when
    // has_offset; may be nullptr otherwise).
    void (*decode)(const uint8_t* row, int64_t n, uint8_t* levels, float* scale,
                   float* offset) = nullptr;
};

// The decoder of `type`, or nullptr if the GEMM does not handle it (the
// caller then uses the vec_dot kernels).
const LevelDecoder* level_decoder(quant::TypeId type);

}  // namespace ql::kernels
