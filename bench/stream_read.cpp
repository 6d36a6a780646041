// The memory read bandwidth of this machine, as the roof for token
// generation: N threads each sum their share of a buffer (default 1 GiB)
// with wide loads (AVX-512 where the CPU has it) and a software prefetch
// 8 KiB ahead, the buffer backed by transparent huge pages (as the engine's
// loaded weights are), several passes; prints the median GB/s (1e9 bytes/s).
//   stream_read [--threads N] [--mib M] [--passes P] [--json]
#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// Sum of n floats (n a multiple of 64) with 4 independent AVX2 accumulators:
// the loads, not the adds, are the limit.
__attribute__((target("avx2"))) float sum_floats(const float* p, size_t n) {
    __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
    for (size_t i = 0; i < n; i += 32) {
        a = _mm256_add_ps(a, _mm256_load_ps(p + i));
        b = _mm256_add_ps(b, _mm256_load_ps(p + i + 8));
        c = _mm256_add_ps(c, _mm256_load_ps(p + i + 16));
        d = _mm256_add_ps(d, _mm256_load_ps(p + i + 24));
    }
    float out[8];
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d)));
    float s = 0;
    for (float v : out) s += v;
    return s;
}

// The same with 512-bit loads, prefetching 8 KiB ahead (what gets the
// quoted ~27 GB/s out of this machine's two cores).
__attribute__((target("avx512f"))) float sum_floats_avx512(const float* p, size_t n) {
    __m512 a = _mm512_setzero_ps(), b = a, c = a, d = a;
    for (size_t i = 0; i < n; i += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(p + i + 2048), _MM_HINT_T0);
        a = _mm512_add_ps(a, _mm512_load_ps(p + i));
        b = _mm512_add_ps(b, _mm512_load_ps(p + i + 16));
        c = _mm512_add_ps(c, _mm512_load_ps(p + i + 32));
        d = _mm512_add_ps(d, _mm512_load_ps(p + i + 48));
    }
    float out[16];
    _mm512_storeu_ps(out, _mm512_add_ps(_mm512_add_ps(a, b), _mm512_add_ps(c, d)));
    float s = 0;
    for (float v : out) s += v;
    return s;
}

int usage() {
    std::fprintf(stderr, "usage: stream_read [--threads N] [--mib M] [--passes P] [--json]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 2, passes = 7;
    size_t mib = 1024;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json") {
            json = true;
        } else if (i + 1 < argc && (a == "--threads" || a == "--mib" || a == "--passes")) {
            const long v = std::strtol(argv[++i], nullptr, 10);
            if (v <= 0 || v > 1 << 20) return usage();
            if (a == "--threads") threads = static_cast<int>(v);
            if (a == "--mib") mib = static_cast<size_t>(v);
            if (a == "--passes") passes = static_cast<int>(v);
        } else {
            return usage();
        }
    }
    const size_t n = mib * 1024 * 1024 / sizeof(float);  // floats, a multiple of 64 per share
    auto* data = static_cast<float*>(std::aligned_alloc(size_t{2} << 20, n * sizeof(float)));
    if (!data) {
        std::fprintf(stderr, "stream_read: cannot allocate %zu MiB\n", mib);
        return 1;
    }
    madvise(data, n * sizeof(float), MADV_HUGEPAGE);  // advice: fine if THP is off
    const bool avx512 = __builtin_cpu_supports("avx512f");
    std::vector<std::thread> pool;
    // Touch every page from the thread that will read it.
    auto share = [&](int t) {
        const size_t per = n / static_cast<size_t>(threads) / 64 * 64;
        return std::pair<size_t, size_t>{per * static_cast<size_t>(t), per};
    };
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            const auto [begin, count] = share(t);
            std::memset(data + begin, 0, count * sizeof(float));
        });
    for (auto& th : pool) th.join();
    std::vector<double> rates;
    volatile float sink = 0;
    for (int p = 0; p < passes; ++p) {
        pool.clear();
        std::vector<float> sums(static_cast<size_t>(threads));
        const auto start = std::chrono::steady_clock::now();
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                const auto [begin, count] = share(t);
                sums[static_cast<size_t>(t)] = avx512 ? sum_floats_avx512(data + begin, count)
                                                      : sum_floats(data + begin, count);
            });
        for (auto& th : pool) th.join();
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (float v : sums) sink = sink + v;
        const size_t bytes = share(0).second * sizeof(float) * static_cast<size_t>(threads);
        rates.push_back(static_cast<double>(bytes) / s / 1e9);
    }
    std::sort(rates.begin(), rates.end());
    const double median = rates[rates.size() / 2];
    if (json)
        std::printf("{\"threads\": %d, \"mib\": %zu, \"passes\": %d, \"read_gbps\": %.3f}\n",
                    threads, mib, passes, median);
    else
        std::printf("read bandwidth, %d threads, %zu MiB: %.2f GB/s (median of %d)\n", threads, mib,
                    median, passes);
    std::free(data);
    return 0;
}
