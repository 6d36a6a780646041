// Matrix-vector throughput of the kernels per weight type, in GB/s of weight
// bytes read (bytes_per_second counts each weight byte once per product).
//   build/bin/bench_kernels [--benchmark_filter=Q4_K] [--benchmark_min_time=0.2]
// matvec/<TYPE>/<table>/threads:<n> multiplies a [kRows, kCols] matrix by one
// token with activations quantized as ggml does; <table> is "scalar" (the
// reference) or the table chosen for this CPU when it differs.
// matvec_l2/<TYPE>/cols:<n> does the same on one thread with 128 rows of n
// columns (fits in L2: the kernel's own speed, without main memory; 1024 is
// the width of the benchmark models' short rows); gemm/<TYPE>/tokens:<n> times a
// batch of n tokens (GB/s of weight bytes per batch).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/matmul.hpp"
#include "quant/types.hpp"

namespace {

constexpr int64_t kRows = 1024;
constexpr int64_t kRowsL2 = 128;
constexpr int64_t kCols = 4096;

std::vector<float> random_values(int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x) v = normal(rng);
    return x;
}

void bench_matvec_rows(benchmark::State& state, ql::quant::TypeId type,
                       const ql::kernels::KernelTable* table, int64_t rows, int64_t tokens,
                       int threads, int64_t cols = kCols) {
    const auto& t = ql::quant::type_traits(type);
    const auto w = random_values(rows * cols, 1);
    const auto x = random_values(cols * tokens, 2);
    std::vector<float> importance(cols, 1.0f);
    const uint64_t row_bytes = *ql::quant::row_bytes(t, cols);
    std::vector<uint8_t> q(row_bytes * rows);
    ql::quant::quantize(type, w.data(), q.data(), rows, cols,
                        t.requires_importance ? importance.data() : nullptr);
    const ql::kernels::MatmulWeights weights{type, rows, cols, q.data(), row_bytes};
    std::vector<float> y(rows * tokens);
    for (auto _ : state) {
        ql::kernels::matmul_with(*table, weights, x.data(), y.data(), tokens,
                                 ql::kernels::ActivationMode::Quantized, threads);
        benchmark::DoNotOptimize(y.data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                            static_cast<int64_t>(q.size()));
}

void bench_matvec(benchmark::State& state, ql::quant::TypeId type,
                  const ql::kernels::KernelTable* table) {
    bench_matvec_rows(state, type, table, kRows, 1, static_cast<int>(state.range(0)));
}

void bench_matvec_l2(benchmark::State& state, ql::quant::TypeId type,
                     const ql::kernels::KernelTable* table) {
    bench_matvec_rows(state, type, table, kRowsL2, 1, 1, state.range(0));
}

void bench_gemm(benchmark::State& state, ql::quant::TypeId type,
                const ql::kernels::KernelTable* table) {
    bench_matvec_rows(state, type, table, kRows, state.range(0), 1);
}

void register_all() {
    const auto* scalar = &ql::kernels::scalar_kernels();
    const auto* active = &ql::kernels::active_kernels();
    for (const auto& t : ql::quant::all_types()) {
        if (!ql::kernels::is_weight_type(t.id)) continue;
        const std::string prefix = "matvec/" + std::string(t.name) + "/";
        benchmark::RegisterBenchmark((prefix + "scalar").c_str(), bench_matvec, t.id, scalar)
            ->Arg(1)
            ->Arg(2)
            ->ArgName("threads")
            ->UseRealTime();
        if (active != scalar)
            benchmark::RegisterBenchmark((prefix + active->name).c_str(), bench_matvec, t.id,
                                         active)
                ->Arg(1)
                ->Arg(2)
                ->ArgName("threads")
                ->UseRealTime();
        benchmark::RegisterBenchmark(("matvec_l2/" + std::string(t.name)).c_str(), bench_matvec_l2,
                                     t.id, active)
            ->Arg(kCols)
            ->Arg(1024)
            ->ArgName("cols")
            ->UseRealTime();
        benchmark::RegisterBenchmark(("gemm/" + std::string(t.name)).c_str(), bench_gemm, t.id,
                                     active)
            ->Arg(64)
            ->ArgName("tokens")
            ->UseRealTime();
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
