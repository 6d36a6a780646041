#include "quant/dequant_simd.hpp"

#include "util/cpu.hpp"

namespace ql::quant {

DequantizeFn best_dequantize(TypeId type) {
    const CpuFeatures& cpu = cpu_features();
    if (cpu.avx512_kernels()) {
        if (DequantizeFn f = avx512_dequantize(type)) return f;
    }
    if (cpu.avx2_kernels()) {
        if (DequantizeFn f = avx2_dequantize(type)) return f;
    }
    return type_traits(type).dequantize;
}

}  // namespace ql::quant
