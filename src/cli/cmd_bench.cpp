// quantlab bench MODEL.gguf [-p 512] [-n 128] [-r 5] [--threads N] [--json]:
// the two tests of llama-bench. pp: a p-token prompt of random ids in one
// batch on a fresh cache; tg: n tokens one at a time on a fresh cache (no
// prompt), each a random id. Each test runs r times after one warm-up; the
// result is the mean and the standard deviation of the tokens per second.
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/model_summary.hpp"
#include "model/forward.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"
#include "util/threads.hpp"
#include "util/timer.hpp"

namespace ql::cli {

namespace {

struct BenchArgs {
    std::string model;
    int64_t n_prompt = 512;
    int64_t n_gen = 128;
    int repetitions = 5;
    int threads = 0;
    gguf::Residence residence = gguf::Residence::Loaded;
    bool json = false;
};

struct Samples {
    std::vector<double> tps;  // [repetitions]
    double mean() const {
        double s = 0;
        for (double v : tps) s += v;
        return tps.empty() ? 0.0 : s / double(tps.size());
    }
    // Sample standard deviation (n - 1), as llama-bench reports.
    double stddev() const {
        if (tps.size() < 2) return 0.0;
        const double m = mean();
        double ss = 0;
        for (double v : tps) ss += (v - m) * (v - m);
        return std::sqrt(ss / double(tps.size() - 1));
    }
};

class Bench {
  public:
    Bench(const model::Model& model, int n_threads) : model_(model), rng_(1234) {
        options_.n_threads = n_threads;
        try {  // a model without a tokenizer still benchmarks, just without BOS
            const auto tokenizer = tok::Tokenizer::from_gguf(model.file());
            if (tokenizer.adds_bos()) bos_ = tokenizer.bos();
        } catch (const Error&) {
            bos_ = -1;
        }
    }

    // Seconds to process a prompt of n random tokens (BOS first) on a fresh cache.
    double prompt_seconds(int64_t n) {
        std::vector<int32_t> tokens(static_cast<size_t>(n));  // [n]
        for (auto& t : tokens) t = random_token();
        if (bos_ >= 0) tokens.front() = bos_;
        std::vector<float> logits(size_t(model_.hparams().n_vocab));  // [n_vocab] of the last token
        model::KvCache cache(model_.hparams(), n);
        const Timer clock;
        model::prefill(model_, cache, tokens, logits.data(), options_);
        return clock.seconds();
    }

    // Seconds to run n tokens one at a time (BOS first) on a fresh cache.
    double generation_seconds(int64_t n) {
        std::vector<float> logits(static_cast<size_t>(model_.hparams().n_vocab));  // [n_vocab]
        model::KvCache cache(model_.hparams(), n);
        const Timer clock;
        for (int64_t i = 0; i < n; ++i) {
            const int32_t token = (i == 0 && bos_ >= 0) ? bos_ : random_token();
            model::forward(model_, cache, std::span<const int32_t>(&token, 1), logits.data(),
                           options_);
        }
        return clock.seconds();
    }

  private:
    int32_t random_token() {
        return static_cast<int32_t>(rng_() % static_cast<uint64_t>(model_.hparams().n_vocab));
    }
    const model::Model& model_;
    model::ForwardOptions options_;
    std::mt19937_64 rng_;
    int32_t bos_ = -1;
};

template <typename Run>
Samples repeat(int repetitions, int64_t n_tokens, Run&& run) {
    Samples s;
    for (int r = 0; r < repetitions; ++r) s.tps.push_back(double(n_tokens) / run(n_tokens));
    return s;
}

std::string size_text(uint64_t bytes) {
    const double mib = double(bytes) / (1024.0 * 1024.0);
    return mib >= 1024.0 ? fmt::format("{:.2f} GiB", mib / 1024.0) : fmt::format("{:.2f} MiB", mib);
}

void print_table(const BenchArgs& a, const ModelSummary& m, const std::string& name, int threads,
                 const Samples& pp, const Samples& tg) {
    std::printf("| %-24s | %10s | %10s | %7s | %8s | %20s |\n", "model", "size", "params",
                "threads", "test", "t/s");
    std::printf("| %s | %s: | %s: | %s: | %s: | %s: |\n", std::string(24, '-').c_str(),
                std::string(9, '-').c_str(), std::string(9, '-').c_str(),
                std::string(6, '-').c_str(), std::string(7, '-').c_str(),
                std::string(19, '-').c_str());
    auto row = [&](const std::string& test, const Samples& s) {
        const std::string tps = fmt::format("{:.2f} ± {:.2f}", s.mean(), s.stddev());
        // "±" is two bytes but one column: one more byte of width.
        std::printf("| %-24s | %10s | %10s | %7d | %8s | %21s |\n", name.c_str(),
                    size_text(m.tensor_bytes).c_str(), si_count(double(m.n_params)).c_str(),
                    threads, test.c_str(), tps.c_str());
    };
    if (a.n_prompt > 0) row(fmt::format("pp{}", a.n_prompt), pp);
    if (a.n_gen > 0) row(fmt::format("tg{}", a.n_gen), tg);
}

void print_json(const BenchArgs& a, const ModelSummary& m, const std::string& name, int threads,
                const Samples& pp, const Samples& tg) {
    nlohmann::json j = {{"model", name},
                        {"path", a.model},
                        {"architecture", m.architecture},
                        {"size_bytes", m.tensor_bytes},
                        {"n_params", m.n_params},
                        {"n_threads", threads},
                        {"n_prompt", a.n_prompt},
                        {"n_gen", a.n_gen},
                        {"repetitions", a.repetitions}};
    auto put = [&](const std::string& key, bool ran, const Samples& s) {
        j[key + "_tps"] = ran ? nlohmann::json(s.mean()) : nlohmann::json();
        j[key + "_tps_std"] = ran ? nlohmann::json(s.stddev()) : nlohmann::json();
        j[key + "_samples"] = s.tps;
    };
    put("pp", a.n_prompt > 0, pp);
    put("tg", a.n_gen > 0, tg);
    std::printf("%s\n", j.dump(2).c_str());
}

void run_bench(const BenchArgs& a) {
    if (a.n_prompt < 0 || a.n_gen < 0 || (a.n_prompt == 0 && a.n_gen == 0))
        fail("bench: -p and -n must not be negative, and not both 0");
    if (a.repetitions < 1) fail("bench: -r must be at least 1");
    const auto model = model::Model::open(a.model, a.residence);
    const ModelSummary summary = summarize(model.file());
    const std::string name = model.file().get_string("general.name").value_or(summary.architecture);
    const int threads = a.threads > 0 ? a.threads : default_thread_count();
    Bench bench(model, threads);

    Samples pp, tg;
    if (a.n_prompt > 0) {
        bench.prompt_seconds(std::min<int64_t>(a.n_prompt, 32));  // warm-up
        pp = repeat(a.repetitions, a.n_prompt, [&](int64_t n) { return bench.prompt_seconds(n); });
    }
    if (a.n_gen > 0) {
        bench.generation_seconds(1);  // warm-up
        tg = repeat(a.repetitions, a.n_gen, [&](int64_t n) { return bench.generation_seconds(n); });
    }
    if (a.json)
        print_json(a, summary, name, threads, pp, tg);
    else
        print_table(a, summary, name, threads, pp, tg);
}

}  // namespace

void register_bench(CLI::App& app, int& status) {
    auto args = std::make_shared<BenchArgs>();
    auto* cmd = app.add_subcommand("bench", "Prompt and generation speed, as llama-bench measures");
    cmd->add_option("model", args->model, "GGUF model")->required();
    cmd->add_option("-p,--n-prompt", args->n_prompt,
                    "Prompt tokens (pp test, default 512; 0 = off)");
    cmd->add_option("-n,--n-gen", args->n_gen, "Generated tokens (tg test, default 128; 0 = off)");
    cmd->add_option("-r,--repetitions", args->repetitions, "Repetitions of each test (default 5)");
    cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
    add_mmap_flag(cmd, args->residence);
    cmd->add_flag("--json", args->json, "Print a JSON summary");
    cmd->callback([args, &status] {
        run_bench(*args);
        status = 0;
    });
}

}  // namespace ql::cli
