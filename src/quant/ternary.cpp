// PLACEHOLDER: not implemented yet.
#include "quant/formats.hpp"
#include "util/error.hpp"

namespace ql::quant {

void dequantize_tq1_0(const void*, float*, int64_t) {
    fail("TQ1_0: not implemented yet");
}
size_t quantize_tq1_0(const float*, void*, int64_t, int64_t, const float*) {
    fail("TQ1_0: not implemented yet");
}
void dequantize_tq2_0(const void*, float*, int64_t) {
    fail("TQ2_0: not implemented yet");
}
size_t quantize_tq2_0(const float*, void*, int64_t, int64_t, const float*) {
    fail("TQ2_0: not implemented yet");
}

}  // namespace ql::quant
