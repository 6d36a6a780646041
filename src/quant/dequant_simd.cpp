#include "quant/dequant_simd.hpp"

#include "util/cpu.hpp"

namespace ql::quant {

DequantizeFn best_dequantize(TypeId type) {
    if (cpu_features().avx512_kernels()) {
        if (DequantizeFn f = avx512_dequantize(type)) return f;
    }
    return type_traits(type).dequantize;
}

}  // namespace ql::quant
