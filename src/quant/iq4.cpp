// PLACEHOLDER: not implemented yet.
#include "quant/formats.hpp"
#include "util/error.hpp"

namespace ql::quant {

void dequantize_iq4_nl(const void*, float*, int64_t) {
    fail("IQ4_NL: not implemented yet");
}
size_t quantize_iq4_nl(const float*, void*, int64_t, int64_t, const float*) {
    fail("IQ4_NL: not implemented yet");
}
void dequantize_iq4_xs(const void*, float*, int64_t) {
    fail("IQ4_XS: not implemented yet");
}
size_t quantize_iq4_xs(const float*, void*, int64_t, int64_t, const float*) {
    fail("IQ4_XS: not implemented yet");
}

}  // namespace ql::quant
