// PLACEHOLDER: not implemented yet.
#include "quant/formats.hpp"
#include "util/error.hpp"

namespace ql::quant {

void dequantize_q4_0(const void*, float*, int64_t) {
    fail("Q4_0: not implemented yet");
}
size_t quantize_q4_0(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q4_0: not implemented yet");
}
void dequantize_q4_1(const void*, float*, int64_t) {
    fail("Q4_1: not implemented yet");
}
size_t quantize_q4_1(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q4_1: not implemented yet");
}
void dequantize_q5_0(const void*, float*, int64_t) {
    fail("Q5_0: not implemented yet");
}
size_t quantize_q5_0(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q5_0: not implemented yet");
}
void dequantize_q5_1(const void*, float*, int64_t) {
    fail("Q5_1: not implemented yet");
}
size_t quantize_q5_1(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q5_1: not implemented yet");
}
void dequantize_q8_0(const void*, float*, int64_t) {
    fail("Q8_0: not implemented yet");
}
size_t quantize_q8_0(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q8_0: not implemented yet");
}
void dequantize_q8_1(const void*, float*, int64_t) {
    fail("Q8_1: not implemented yet");
}
size_t quantize_q8_1(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q8_1: not implemented yet");
}

}  // namespace ql::quant
