// PLACEHOLDER: not implemented yet.
#include "quant/formats.hpp"
#include "util/error.hpp"

namespace ql::quant {

void dequantize_mxfp4(const void*, float*, int64_t) {
    fail("MXFP4: not implemented yet");
}
size_t quantize_mxfp4(const float*, void*, int64_t, int64_t, const float*) {
    fail("MXFP4: not implemented yet");
}
void dequantize_nvfp4(const void*, float*, int64_t) {
    fail("NVFP4: not implemented yet");
}
size_t quantize_nvfp4(const float*, void*, int64_t, int64_t, const float*) {
    fail("NVFP4: not implemented yet");
}

}  // namespace ql::quant
