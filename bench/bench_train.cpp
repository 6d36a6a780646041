// Training speed. sgemm/<m>x<n>x<k>/threads:<t>: OpenBLAS's f32 matrix
// product alone (the matmul peak the trainer is measured against, GFLOP/s in
// the "gflops" counter); step/<preset>/threads:<t>: one optimizer step of a
// preset's shape on random tokens (forward, backward, clipping, AdamW), with
// tokens/s and the model GFLOP/s (6 x parameters + attention per token).
//   build/bin/bench_train [--benchmark_filter=sgemm]
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <vector>

#include "train/blas.hpp"
#include "train/model.hpp"
#include "train/optimizer.hpp"
#include "train/params.hpp"
#include "train/trainer.hpp"

namespace {

using namespace ql::train;

void bench_sgemm(benchmark::State& state) {
    const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
    set_blas_threads(static_cast<int>(state.range(3)));
    std::vector<float> a(static_cast<size_t>(m * k), 0.5f), b(static_cast<size_t>(n * k), 0.25f),
        c(static_cast<size_t>(m * n));
    for (auto _ : state) {
        linear_forward(a.data(), b.data(), c.data(), m, k, n);
        benchmark::DoNotOptimize(c.data());
    }
    state.counters["gflops"] = benchmark::Counter(
        2.0 * static_cast<double>(m * n * k) * static_cast<double>(state.iterations()) / 1e9,
        benchmark::Counter::kIsRate);
}

void bench_step(benchmark::State& state, const Preset& preset) {
    const int threads = static_cast<int>(state.range(0));
    set_blas_threads(threads);
    TrainModel model(preset, threads);
    const ParamLayout& layout = model.layout();
    std::vector<float> params = init_params(layout, preset, 1);
    std::vector<float> grads(params.size());
    AdamState adam;
    Rng rng(2);
    Batch batch;
    batch.n_seq = preset.batch;
    batch.seq_len = preset.seq_len;
    for (int64_t i = 0; i < batch.rows(); ++i) {
        batch.tokens.push_back(
            static_cast<int32_t>(rng.next() % static_cast<uint64_t>(preset.n_vocab)));
        batch.targets.push_back(
            static_cast<int32_t>(rng.next() % static_cast<uint64_t>(preset.n_vocab)));
    }
    for (auto _ : state) {
        model.forward_backward(params.data(), batch, grads.data());
        clip_gradient(grads, preset.grad_clip, threads);
        adamw_update(params, grads, adam, layout, 1e-3f, preset.weight_decay, threads);
    }
    const double tokens =
        static_cast<double>(batch.rows()) * static_cast<double>(state.iterations());
    state.counters["tok/s"] = benchmark::Counter(tokens, benchmark::Counter::kIsRate);
    state.counters["gflops"] =
        benchmark::Counter(tokens * flops_per_token(preset) / 1e9, benchmark::Counter::kIsRate);
}

void register_all() {
    for (int t : {1, 2})
        benchmark::RegisterBenchmark("sgemm", bench_sgemm)
            ->Args({4096, 1024, 1024, t})
            ->ArgNames({"m", "n", "k", "threads"})
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    for (const Preset& p : presets())
        benchmark::RegisterBenchmark(("step/" + p.name).c_str(), bench_step, p)
            ->Arg(2)
            ->ArgName("threads")
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
    // as quantlab does (src/cli/main.cpp): freed buffers stay in the heap
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
