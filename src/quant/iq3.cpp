// PLACEHOLDER: not implemented yet.
#include "quant/formats.hpp"
#include "util/error.hpp"

namespace ql::quant {

void dequantize_iq3_xxs(const void*, float*, int64_t) {
    fail("IQ3_XXS: not implemented yet");
}
size_t quantize_iq3_xxs(const float*, void*, int64_t, int64_t, const float*) {
    fail("IQ3_XXS: not implemented yet");
}
void dequantize_iq3_s(const void*, float*, int64_t) {
    fail("IQ3_S: not implemented yet");
}
size_t quantize_iq3_s(const float*, void*, int64_t, int64_t, const float*) {
    fail("IQ3_S: not implemented yet");
}

}  // namespace ql::quant
