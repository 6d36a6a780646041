// avx2 dot products for the legacy family (see simd_tables.hpp).
#include "kernels/simd_tables.hpp"

namespace ql::kernels::simd {

void register_legacy_avx2(KernelTable& table) {
    (void)table;  // no kernels yet: the scalar entries stay
}

}  // namespace ql::kernels::simd
