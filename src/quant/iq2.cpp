// PLACEHOLDER: not implemented yet.
#include "quant/formats.hpp"
#include "util/error.hpp"

namespace ql::quant {

void dequantize_iq2_xxs(const void*, float*, int64_t) {
    fail("IQ2_XXS: not implemented yet");
}
size_t quantize_iq2_xxs(const float*, void*, int64_t, int64_t, const float*) {
    fail("IQ2_XXS: not implemented yet");
}
void dequantize_iq2_xs(const void*, float*, int64_t) {
    fail("IQ2_XS: not implemented yet");
}
size_t quantize_iq2_xs(const float*, void*, int64_t, int64_t, const float*) {
    fail("IQ2_XS: not implemented yet");
}
void dequantize_iq2_s(const void*, float*, int64_t) {
    fail("IQ2_S: not implemented yet");
}
size_t quantize_iq2_s(const float*, void*, int64_t, int64_t, const float*) {
    fail("IQ2_S: not implemented yet");
}

}  // namespace ql::quant
