// quantlab run MODEL.gguf -p TEXT [-n N] [--temp T] [--top-k K] [--top-p P]
// [--min-p M] [--seed S] [--threads N] [--ctx N] [--json]: processes the
// prompt in one batch, then samples one token at a time and streams the text
// to stdout; the speed and memory figures go to stderr (or, with --json, one
// JSON object with the text and the figures goes to stdout).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "model/forward.hpp"
#include "model/sampler.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"
#include "util/memory.hpp"
#include "util/threads.hpp"
#include "util/timer.hpp"
#include "util/utf8.hpp"

namespace ql::cli {

namespace {

struct RunArgs {
    std::string model;
    std::string prompt;
    int64_t n_predict = 128;
    model::SamplerParams sampling;
    std::optional<uint64_t> seed;
    int threads = 0;
    gguf::Residence residence = gguf::Residence::Loaded;
    int64_t ctx = 0;  // 0: prompt + n_predict, at most the training context
    bool json = false;
};

struct RunStats {
    int64_t n_prompt = 0;
    int64_t n_generated = 0;     // tokens sampled (an end-of-generation token included)
    int64_t n_decode_steps = 0;  // single-token forward passes
    double prompt_seconds = 0;   // the prompt's forward pass
    double decode_seconds = 0;   // all single-token forward passes
    double first_token_seconds = 0;
    bool stopped_at_eog = false;
};

// Turns generated tokens into text as they come: the whole sequence is decoded
// each time (decoding one token alone can lose a leading space) and only the
// new bytes up to the last complete UTF-8 character are passed on.
class TextStream {
  public:
    TextStream(const tok::Tokenizer& tokenizer, bool to_stdout)
        : tokenizer_(tokenizer), to_stdout_(to_stdout) {}

    void push(int32_t id) {
        ids_.push_back(id);
        text_ = tokenizer_.decode(ids_);
        emit(complete_utf8_prefix(text_));
    }
    void finish() { emit(text_.size()); }
    const std::string& text() const { return text_; }
    const std::vector<int32_t>& ids() const { return ids_; }

  private:
    void emit(size_t upto) {
        if (upto <= emitted_) return;
        if (to_stdout_) {
            std::fwrite(text_.data() + emitted_, 1, upto - emitted_, stdout);
            std::fflush(stdout);
        }
        emitted_ = upto;
    }
    const tok::Tokenizer& tokenizer_;
    bool to_stdout_;
    std::vector<int32_t> ids_;
    std::string text_;
    size_t emitted_ = 0;
};

int64_t context_size(const RunArgs& args, const model::HParams& hp, int64_t n_prompt) {
    if (args.ctx > 0) return args.ctx;
    const int64_t wanted = n_prompt + std::max<int64_t>(args.n_predict, 0);
    return hp.n_ctx_train > 0 ? std::min(wanted, hp.n_ctx_train) : wanted;
}

// The prompt in batches of 512, then one token at a time until EOG, n_predict
// tokens or a full cache.
RunStats generate(const model::Model& model, const tok::Tokenizer& tokenizer,
                  std::span<const int32_t> prompt, model::KvCache& cache, const RunArgs& args,
                  TextStream& stream) {
    const auto& hp = model.hparams();
    model::ForwardOptions options;
    options.n_threads = args.threads > 0 ? args.threads : default_thread_count();
    model::Sampler sampler(args.sampling);
    RunStats stats;
    stats.n_prompt = static_cast<int64_t>(prompt.size());

    std::vector<float> logits(static_cast<size_t>(hp.n_vocab));  // [n_vocab] of the last token
    const Timer clock;
    model::prefill(model, cache, prompt, logits.data(), options);
    stats.prompt_seconds = clock.seconds();
    const std::span<const float> last(logits);
    while (stats.n_generated < args.n_predict) {
        const int32_t next = sampler.sample(last);
        ++stats.n_generated;
        if (stats.n_generated == 1) stats.first_token_seconds = clock.seconds();
        if (tokenizer.is_eog(next)) {
            stats.stopped_at_eog = true;
            break;
        }
        stream.push(next);
        if (stats.n_generated == args.n_predict || cache.n_past() >= cache.n_ctx()) break;
        const Timer step;
        model::forward(model, cache, std::span<const int32_t>(&next, 1), logits.data(), options);
        stats.decode_seconds += step.seconds();
        ++stats.n_decode_steps;
    }
    stream.finish();
    return stats;
}

double per_second(double count, double seconds) {
    return seconds > 0 ? count / seconds : 0.0;
}

void report(const RunStats& s, const TextStream& stream, const RunArgs& args, int64_t n_ctx) {
    const double pp_tps = per_second(double(s.n_prompt), s.prompt_seconds);
    const double tg_tps = per_second(double(s.n_decode_steps), s.decode_seconds);
    const double peak_mib = double(peak_rss_bytes()) / (1024.0 * 1024.0);
    if (args.json) {
        // Invalid UTF-8 in "text" becomes U+FFFD; "tokens" are the exact ids.
        const nlohmann::json j = {{"text", stream.text()},
                                  {"tokens", stream.ids()},
                                  {"n_prompt", s.n_prompt},
                                  {"n_generated", s.n_generated},
                                  {"stopped_at_eog", s.stopped_at_eog},
                                  {"n_ctx", n_ctx},
                                  {"seed", args.sampling.seed},
                                  {"prompt_tps", pp_tps},
                                  {"generation_tps", tg_tps},
                                  {"time_to_first_token_ms", s.first_token_seconds * 1e3},
                                  {"peak_rss_bytes", peak_rss_bytes()}};
        std::printf("%s\n",
                    j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return;
    }
    std::fprintf(stderr, "\n");
    std::fprintf(stderr, "prompt: %lld tokens, %.2f tok/s\n", static_cast<long long>(s.n_prompt),
                 pp_tps);
    std::fprintf(stderr, "generation: %lld tokens, %.2f tok/s\n",
                 static_cast<long long>(s.n_generated), tg_tps);
    std::fprintf(stderr, "time to first token: %.2f ms\n", s.first_token_seconds * 1e3);
    std::fprintf(stderr, "peak RSS: %.1f MiB\n", peak_mib);
}

void run_model(RunArgs args) {
    if (args.n_predict < 0) fail("run: -n must not be negative");
    if (args.ctx < 0) fail("run: --ctx must be positive");
    args.sampling.seed = args.seed ? *args.seed : std::random_device{}();
    const auto model = model::Model::open(args.model, args.residence);
    const auto tokenizer = tok::Tokenizer::from_gguf(model.file());
    const auto prompt = tokenizer.encode(args.prompt, true);
    if (prompt.empty()) fail("run: the prompt is empty (and the vocabulary adds no BOS)");
    const int64_t n_prompt = static_cast<int64_t>(prompt.size());
    const int64_t n_ctx = context_size(args, model.hparams(), n_prompt);
    if (n_prompt > n_ctx)
        fail_input("run: the prompt is {} tokens, longer than the context of {} tokens", n_prompt,
                   n_ctx);
    model::KvCache cache(model.hparams(), n_ctx);
    TextStream stream(tokenizer, !args.json);
    const RunStats stats = generate(model, tokenizer, prompt, cache, args, stream);
    report(stats, stream, args, n_ctx);
}

}  // namespace

void register_run(CLI::App& app, int& status) {
    auto args = std::make_shared<RunArgs>();
    auto* cmd = app.add_subcommand("run", "Generate text from a prompt, streamed to stdout");
    cmd->add_option("model", args->model, "GGUF model")->required();
    cmd->add_option("-p,--prompt", args->prompt, "Prompt text")->required();
    cmd->add_option("-n,--n-predict", args->n_predict, "Tokens to generate (default 128)");
    cmd->add_option("--temp", args->sampling.temperature, "Temperature, 0 = greedy (default 0.8)");
    cmd->add_option("--top-k", args->sampling.top_k, "Top-k, 0 = off (default 40)");
    cmd->add_option("--top-p", args->sampling.top_p, "Top-p, 1 = off (default 0.95)");
    cmd->add_option("--min-p", args->sampling.min_p, "Min-p, 0 = off (default 0.05)");
    cmd->add_option("--seed", args->seed, "Random seed (default: a random one)");
    cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
    add_mmap_flag(cmd, args->residence);
    cmd->add_option("--ctx", args->ctx, "Context size (default: prompt + n, within training)");
    cmd->add_flag("--json", args->json, "Print a JSON summary (text and figures) instead");
    cmd->callback([args, &status] {
        run_model(*args);
        status = 0;
    });
}

}  // namespace ql::cli
