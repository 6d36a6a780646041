// The entry points every SIMD family registers, built from one kernel K with
// K::run<NA>(n, w_row, acts, act_stride, out) for NA = 1..4 activation rows:
// vec_dot is run<1>, vec_dot_multi covers n_act rows four at a time.
//
// Included by the *_avx2.cpp / *_avx512.cpp files only. Everything has
// internal linkage (an unnamed namespace), and so do the kernels K, so each
// file's instantiations stay compiled for its own instruction set.
#pragma once

// Defines the kernel struct `Name` whose run<NA> calls `call` (an
// expression naming NA, e.g. dot_q6k<NA> or (dot_k4<NA, false>)) with
// (n, w, a, stride, out). Expanded inside a file's unnamed namespace.
#define QL_SIMD_KERNEL(Name, call)                                                             \
    struct Name {                                                                              \
        template <int NA>                                                                      \
        static void run(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, float* out) { \
            call(n, w, a, s, out);                                                             \
        }                                                                                      \
    };

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.hpp"

namespace ql::kernels::simd {
namespace {  // NOLINT(google-build-namespaces): see above

template <typename K>
float entry_dot(int64_t n, const void* w, const void* a) {
    float out;
    K::template run<1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &out);
    return out;
}

template <typename K>
void entry_multi(int64_t n, const void* w, const void* acts, size_t stride, int n_act, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(acts);
    for (; n_act > 0; n_act -= 4, ab += 4 * stride, out += 4) {
        switch (n_act) {
            case 1:
                K::template run<1>(n, wb, ab, stride, out);
                return;
            case 2:
                K::template run<2>(n, wb, ab, stride, out);
                return;
            case 3:
                K::template run<3>(n, wb, ab, stride, out);
                return;
            default:
                K::template run<4>(n, wb, ab, stride, out);
                break;
        }
    }
}

template <typename K>
void set_entry(KernelTable& table, TypeId t) {
    table.set(t, entry_dot<K>, entry_multi<K>);
}

}  // namespace
}  // namespace ql::kernels::simd
