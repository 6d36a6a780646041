// Writes activation rows designed to expose rounding differences (halves,
// multipliers where 127/amax and 1/(amax/127) differ) and the bytes the
// peer's CPU backend (this machine's build of libggml-cpu) quantizes them to.
//   input.f32   [kRows, kCols] f32
//   q8_0.act    kRows rows of Q8_0 from ggml's x86 from_float
//   q8_1.act    kRows rows of Q8_1
//   q8_K.act    kRows rows of Q8_K
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "ggml-cpu.h"
#include "ggml.h"

constexpr int kRows = 16;
constexpr int kCols = 512;

static void write(const char* name, const void* data, size_t bytes) {
    FILE* f = std::fopen(name, "wb");
    std::fwrite(data, 1, bytes, f);
    std::fclose(f);
}

int main() {
    ggml_cpu_init();
    std::mt19937 rng(1234);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> small_int(-254, 254);
    std::vector<float> x(kRows * kCols);
    for (int r = 0; r < kRows; ++r) {
        float* row = x.data() + r * kCols;
        for (int j = 0; j < kCols; ++j) {
            if (r < 4) {
                // halves on a grid where the multiplier is exactly 1 (amax 127)
                row[j] = (j % 32 == 0) ? 127.0f : 0.5f * static_cast<float>(small_int(rng));
            } else if (r < 8) {
                // amax = 127*2^-e: multiplier a power of two, halves stay exact
                const float scale = 1.0f / static_cast<float>(1 << (r - 3));
                row[j] =
                    scale * ((j % 32 == 5) ? -127.0f : 0.5f * static_cast<float>(small_int(rng)));
            } else {
                // generic activations with varied amax per block
                const float spread = 0.01f + static_cast<float>((j / 32) % 7);
                row[j] = spread * normal(rng);
            }
        }
    }
    write("input.f32", x.data(), x.size() * sizeof(float));
    const ggml_type types[] = {GGML_TYPE_Q8_0, GGML_TYPE_Q8_1, GGML_TYPE_Q8_K};
    const char* names[] = {"q8_0.act", "q8_1.act", "q8_K.act"};
    for (int t = 0; t < 3; ++t) {
        const size_t row_bytes = ggml_row_size(types[t], kCols);
        std::vector<uint8_t> out(row_bytes * kRows);
        const auto* traits = ggml_get_type_traits_cpu(types[t]);
        for (int r = 0; r < kRows; ++r)
            traits->from_float(x.data() + r * kCols, out.data() + r * row_bytes, kCols);
        write(names[t], out.data(), out.size());
    }
    std::printf("wrote %d rows x %d\n", kRows, kCols);
    return 0;
}
