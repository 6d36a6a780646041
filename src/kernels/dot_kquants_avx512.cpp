// avx512 dot products for the kquants family (see simd_tables.hpp).
#include "kernels/simd_tables.hpp"

namespace ql::kernels::simd {

void register_kquants_avx512(KernelTable& table) {
    (void)table;  // no kernels yet: the scalar entries stay
}

}  // namespace ql::kernels::simd
