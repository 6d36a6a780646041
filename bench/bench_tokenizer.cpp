// Tokenizer throughput: encoding 1 MiB of the llama.cpp test cases, per
// vocabulary (bytes_per_second = input bytes).
//   build/bin/bench_tokenizer [--benchmark_filter=qwen2]
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gguf/gguf.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

const std::string kVocabDir = std::string(QL_SHARED_DIR) + "/golden/vocab/";

std::string megabyte_of_text() {
    std::ifstream f(kVocabDir + "ggml-vocab-llama-bpe.gguf.inp", std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string cases = ss.str();
    std::string text;
    if (cases.empty()) return text;
    while (text.size() < (1u << 20)) text += cases;
    text.resize(1u << 20);
    while ((static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
    return text;
}

void bench_encode(benchmark::State& state, const char* vocab) {
    const std::string text = megabyte_of_text();
    if (text.empty()) {
        state.SkipWithError("no golden vocabulary data");
        return;
    }
    const auto file = ql::gguf::GgufFile::open(kVocabDir + "ggml-vocab-" + vocab + ".gguf");
    const auto tok = ql::tok::Tokenizer::from_gguf(file);
    size_t n_tokens = 0;
    for (auto _ : state) {
        auto ids = tok.encode(text, false, false);
        n_tokens = ids.size();
        benchmark::DoNotOptimize(ids.data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
    state.counters["tokens"] = static_cast<double>(n_tokens);
}

}  // namespace

BENCHMARK_CAPTURE(bench_encode, llama_bpe, "llama-bpe")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bench_encode, qwen2, "qwen2")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bench_encode, llama_spm, "llama-spm")->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
