// PLACEHOLDER: not implemented yet.
#include "quant/formats.hpp"
#include "util/error.hpp"

namespace ql::quant {

void dequantize_iq1_s(const void*, float*, int64_t) {
    fail("IQ1_S: not implemented yet");
}
size_t quantize_iq1_s(const float*, void*, int64_t, int64_t, const float*) {
    fail("IQ1_S: not implemented yet");
}
void dequantize_iq1_m(const void*, float*, int64_t) {
    fail("IQ1_M: not implemented yet");
}
size_t quantize_iq1_m(const float*, void*, int64_t, int64_t, const float*) {
    fail("IQ1_M: not implemented yet");
}

}  // namespace ql::quant
