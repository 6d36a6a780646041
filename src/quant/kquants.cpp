// PLACEHOLDER: not implemented yet.
#include "quant/formats.hpp"
#include "util/error.hpp"

namespace ql::quant {

void dequantize_q2_k(const void*, float*, int64_t) {
    fail("Q2_K: not implemented yet");
}
size_t quantize_q2_k(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q2_K: not implemented yet");
}
void dequantize_q3_k(const void*, float*, int64_t) {
    fail("Q3_K: not implemented yet");
}
size_t quantize_q3_k(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q3_K: not implemented yet");
}
void dequantize_q4_k(const void*, float*, int64_t) {
    fail("Q4_K: not implemented yet");
}
size_t quantize_q4_k(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q4_K: not implemented yet");
}
void dequantize_q5_k(const void*, float*, int64_t) {
    fail("Q5_K: not implemented yet");
}
size_t quantize_q5_k(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q5_K: not implemented yet");
}
void dequantize_q6_k(const void*, float*, int64_t) {
    fail("Q6_K: not implemented yet");
}
size_t quantize_q6_k(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q6_K: not implemented yet");
}
void dequantize_q8_k(const void*, float*, int64_t) {
    fail("Q8_K: not implemented yet");
}
size_t quantize_q8_k(const float*, void*, int64_t, int64_t, const float*) {
    fail("Q8_K: not implemented yet");
}

}  // namespace ql::quant
