// Throughput of dequantization and quantization per tensor type, in MB/s of
// f32 values (bytes_per_second counts 4 bytes per value).
//   build/bin/bench_quant [--benchmark_filter=Q4_K]
// dequantize/<TYPE> goes through the registry (the best kernel for this CPU);
// dequantize_kernel/<TYPE>/<scalar|avx2|avx512> times each implementation:
//   build/bin/bench_quant --benchmark_filter=dequantize_kernel
//       --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "quant/dequant_simd.hpp"
#include "quant/types.hpp"
#include "util/cpu.hpp"

namespace {

constexpr int64_t kRows = 64;
constexpr int64_t kCols = 4096;

std::vector<float> make_weights() {
    std::mt19937 rng(1234);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> x(kRows * kCols);
    for (auto& v : x) v = normal(rng);
    return x;
}

std::vector<float> make_importance() {
    std::mt19937 rng(99);
    std::uniform_real_distribution<float> u(0.1f, 2.0f);
    std::vector<float> w(kCols);
    for (auto& v : w) v = u(rng);
    return w;
}

void bench_dequantize(benchmark::State& state, ql::quant::TypeId id) {
    const auto& t = ql::quant::type_traits(id);
    auto x = make_weights();
    auto imp = make_importance();
    std::vector<uint8_t> q(kRows * (kCols / t.block_size) * t.type_size);
    ql::quant::quantize(id, x.data(), q.data(), kRows, kCols, imp.data());
    std::vector<float> y(x.size());
    for (auto _ : state) {
        ql::quant::dequantize(id, q.data(), y.data(), kRows * kCols);
        benchmark::DoNotOptimize(y.data());
    }
    state.SetBytesProcessed(state.iterations() * kRows * kCols * 4);
}

// One dequantizer implementation (reference or SIMD), called directly.
void bench_dequantize_kernel(benchmark::State& state, ql::quant::TypeId id,
                             ql::quant::DequantizeFn kernel) {
    const auto& t = ql::quant::type_traits(id);
    auto x = make_weights();
    auto imp = make_importance();
    std::vector<uint8_t> q(kRows * (kCols / t.block_size) * t.type_size);
    ql::quant::quantize(id, x.data(), q.data(), kRows, kCols, imp.data());
    std::vector<float> y(x.size());
    for (auto _ : state) {
        kernel(q.data(), y.data(), kRows * kCols);
        benchmark::DoNotOptimize(y.data());
    }
    state.SetBytesProcessed(state.iterations() * kRows * kCols * 4);
}

// Scalar, AVX2 and AVX-512 dequantizers of every type that has a SIMD one
// (the SIMD ones only where this CPU, capped by QL_CPU, runs them).
void register_kernels(const ql::quant::TypeTraits& t) {
    const auto avx2 = ql::quant::avx2_dequantize(t.id);
    const auto avx512 = ql::quant::avx512_dequantize(t.id);
    if (!avx2 && !avx512) return;
    const std::string prefix = "dequantize_kernel/" + std::string(t.name) + "/";
    benchmark::RegisterBenchmark((prefix + "scalar").c_str(), bench_dequantize_kernel, t.id,
                                 t.dequantize);
    if (avx2 && ql::cpu_features().avx2_kernels())
        benchmark::RegisterBenchmark((prefix + "avx2").c_str(), bench_dequantize_kernel, t.id,
                                     avx2);
    if (avx512 && ql::cpu_features().avx512_kernels())
        benchmark::RegisterBenchmark((prefix + "avx512").c_str(), bench_dequantize_kernel, t.id,
                                     avx512);
}

void bench_quantize(benchmark::State& state, ql::quant::TypeId id, bool with_importance) {
    const auto& t = ql::quant::type_traits(id);
    auto x = make_weights();
    auto imp = make_importance();
    std::vector<uint8_t> q(kRows * (kCols / t.block_size) * t.type_size);
    // Search-heavy formats get fewer rows per iteration.
    const int64_t rows = t.bits_per_weight() < 4.0 ? 8 : kRows;
    for (auto _ : state) {
        ql::quant::quantize(id, x.data(), q.data(), rows, kCols,
                            with_importance ? imp.data() : nullptr);
        benchmark::DoNotOptimize(q.data());
    }
    state.SetBytesProcessed(state.iterations() * rows * kCols * 4);
}

bool implemented(ql::quant::TypeId id) {
    const auto& t = ql::quant::type_traits(id);
    std::vector<float> x(t.block_size, 0.5f);
    std::vector<uint8_t> q(t.type_size);
    std::vector<float> w(t.block_size, 1.0f);
    try {
        ql::quant::quantize(id, x.data(), q.data(), 1, t.block_size, w.data());
        ql::quant::dequantize(id, q.data(), x.data(), t.block_size);
        return true;
    } catch (...) {
        return false;
    }
}

int register_all() {
    for (const auto& t : ql::quant::all_types()) {
        if (t.id == ql::quant::TypeId::F32 || !implemented(t.id)) continue;
        if (t.name.front() == 'I' && t.name[1] != 'Q') continue;  // plain integer types
        std::string name(t.name);
        benchmark::RegisterBenchmark(("dequantize/" + name).c_str(), bench_dequantize, t.id);
        benchmark::RegisterBenchmark(("quantize/" + name).c_str(), bench_quantize, t.id, false);
        benchmark::RegisterBenchmark(("quantize_imatrix/" + name).c_str(), bench_quantize, t.id,
                                     true);
        register_kernels(t);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
