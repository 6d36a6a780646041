// CPU features, detected once. SIMD code paths are chosen from these at run
// time; model code never tests them itself.
#pragma once

#include <string>

namespace ql {

struct CpuFeatures {
    bool avx2 = false, fma = false, f16c = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
    bool avx512vnni = false, avx512bf16 = false, avx512vbmi = false, avx_vnni = false;
    bool amx_tile = false;  // advertised by CPUID
    bool amx_usable =
        false;  // the OS granted AMX state (arch_prctl); we never rely on it otherwise

    // All AVX-512 subsets our avx512 kernels are compiled for.
    bool avx512_kernels() const {
        return avx512f && avx512bw && avx512vl && avx512dq && avx512vnni && avx512bf16 &&
               avx512vbmi && avx2 && fma && f16c;
    }
    bool avx2_kernels() const { return avx2 && fma && f16c; }
    std::string describe() const;
};

// Detected on first use. QL_CPU=scalar|avx2|avx512 caps what is reported (for
// testing the fallbacks).
const CpuFeatures& cpu_features();

}  // namespace ql
