// PLACEHOLDER: not implemented yet.
#include "quant/formats.hpp"
#include "util/error.hpp"

namespace ql::quant {

void dequantize_q1_0(const void*, float*, int64_t) {
    fail("Q1_0: not implemented yet");
}
size_t quantize_q1_0(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q1_0: not implemented yet");
}
void dequantize_q2_0(const void*, float*, int64_t) {
    fail("Q2_0: not implemented yet");
}
size_t quantize_q2_0(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q2_0: not implemented yet");
}

}  // namespace ql::quant
