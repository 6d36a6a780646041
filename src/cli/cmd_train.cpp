// quantlab train --preset NAME -o MODEL.gguf [--corpus DIR] [--steps N]
//   [--seed S] [--threads N] [--resume CKPT] [--json]: trains a zoo preset on
// the tokenized corpus (quantlab corpus build) and writes an F16 GGUF.
// quantlab train --list-presets [--json]: the presets and their sizes.
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "train/presets.hpp"
#include "train/trainer.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "util/threads.hpp"

namespace ql::cli {

namespace {

struct TrainArgs {
    std::string preset;
    std::string out;
    std::string corpus = "corpus";
    std::string resume;
    std::string checkpoint;
    int64_t steps = 0;
    int64_t stop_after = 0;
    uint64_t seed = 1;
    int threads = 0;
    bool f32 = false;
    bool list = false;
    bool json = false;
};

nlohmann::json preset_json(const train::Preset& p) {
    return {{"name", p.name},
            {"arch", p.arch},
            {"moe", p.moe()},
            {"params", p.n_params()},
            {"active_params", p.n_active_params()},
            {"n_embd", p.n_embd},
            {"n_layer", p.n_layer},
            {"n_head", p.n_head},
            {"n_head_kv", p.n_head_kv},
            {"head_dim", p.head_dim},
            {"n_ff", p.moe() ? p.n_ff_exp : p.n_ff},
            {"n_expert", p.n_expert},
            {"n_expert_used", p.n_expert_used},
            {"n_vocab", p.n_vocab},
            {"seq_len", p.seq_len},
            {"batch", p.batch},
            {"steps", p.steps},
            {"tokens", p.steps * p.tokens_per_step()},
            {"summary", p.summary}};
}

void list_presets(bool json) {
    if (json) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& p : train::presets()) a.push_back(preset_json(p));
        std::printf("%s\n", a.dump(2).c_str());
        return;
    }
    std::printf("%-6s %-9s %10s %10s %10s %7s  %s\n", "preset", "arch", "params", "active",
                "tokens", "steps", "summary");
    for (const auto& p : train::presets())
        std::printf("%-6s %-9s %10lld %10lld %10lld %7lld  %s\n", p.name.c_str(), p.arch.c_str(),
                    static_cast<long long>(p.n_params()),
                    static_cast<long long>(p.n_active_params()),
                    static_cast<long long>(p.steps * p.tokens_per_step()),
                    static_cast<long long>(p.steps), p.summary.c_str());
}

void print_result(const TrainArgs& a, const train::Preset& p, const train::TrainResult& r) {
    if (!r.finished && !a.json)
        std::printf("stopped after step %lld; continue with --resume %s\n",
                    static_cast<long long>(r.steps),
                    (a.checkpoint.empty() ? a.out + ".ckpt" : a.checkpoint).c_str());
    const double tps =
        r.session_seconds > 0 ? r.model_flops / train::flops_per_token(p) / r.session_seconds : 0.0;
    const double gflops = r.session_seconds > 0 ? r.model_flops / r.session_seconds / 1e9 : 0.0;
    if (a.json) {
        nlohmann::json domains = nlohmann::json::object();
        for (const auto& d : r.val_by_domain) domains[d.domain] = d.loss;
        const nlohmann::json j = {
            {"preset", p.name},
            {"output", a.out},
            {"params", r.params},
            {"active_params", r.active_params},
            {"steps", r.steps},
            {"finished", r.finished},
            {"initial_val_loss", r.initial_val_loss},
            {"val_loss", r.val_loss},
            {"val_loss_by_domain", domains},
            {"train_loss", r.train_loss},
            {"tokens", r.tokens},
            {"tokens_per_param", static_cast<double>(r.tokens) / static_cast<double>(r.params)},
            {"seconds", r.seconds},
            {"tokens_per_second", tps},
            {"gflops", gflops}};
        std::printf("%s\n", j.dump(2).c_str());
        return;
    }
    std::printf("%s: %lld parameters, %lld tokens (%.1f per parameter), %.0f s\n", a.out.c_str(),
                static_cast<long long>(r.params), static_cast<long long>(r.tokens),
                static_cast<double>(r.tokens) / static_cast<double>(r.params), r.seconds);
    std::printf("held-out loss %.4f (from %.4f), train loss %.4f\n", r.val_loss, r.initial_val_loss,
                r.train_loss);
    for (const auto& d : r.val_by_domain) std::printf("  %-6s %.4f\n", d.domain.c_str(), d.loss);
    std::printf("%.0f tokens/s, %.1f GFLOP/s\n", tps, gflops);
}

void run_train(const TrainArgs& a) {
    if (a.list) return list_presets(a.json);
    if (a.preset.empty()) fail("train: give --preset NAME (see --list-presets)");
    const train::Preset* p = train::find_preset(a.preset);
    if (!p) fail("train: unknown preset '{}' (see quantlab train --list-presets)", a.preset);
    if (a.out.empty()) fail("train: give the output file with -o MODEL.gguf");
    if (a.steps < 0) fail("train: --steps must be positive");
    if (a.stop_after < 0) fail("train: --stop-after must be positive");
    train::TrainOptions o;
    o.preset = *p;
    o.corpus_dir = a.corpus;
    o.out = a.out;
    o.checkpoint = a.checkpoint;
    o.resume = a.resume;
    o.steps = a.steps;
    o.stop_after = a.stop_after;
    o.seed = a.seed;
    o.threads = a.threads > 0 ? a.threads : default_thread_count();
    o.f32 = a.f32;
    const int64_t total = a.steps > 0 ? a.steps : p->steps;
    ProgressBar bar("train " + p->name, total);
    bool first_step = true;
    const auto r = train::run_training(o, [&](int64_t step, int64_t, double loss, double tps) {
        if (first_step) bar.start_at(step - 1);  // a resumed run starts past 0
        first_step = false;
        bar.set_detail(fmt::format("step {}  loss {:.3f}  {:.0f} tok/s", step, loss, tps));
        bar.advance(1);
    });
    bar.finish();
    print_result(a, *p, r);
}

}  // namespace

void register_train(CLI::App& app, int& status) {
    auto args = std::make_shared<TrainArgs>();
    auto* cmd = app.add_subcommand(
        "train", "Train a model of the zoo on the tokenized corpus (see quantlab corpus build)");
    cmd->add_option("--preset", args->preset, "Preset to train (see --list-presets)");
    cmd->add_option("-o,--output", args->out, "GGUF file to write (F16 matrices)");
    cmd->add_option("--corpus", args->corpus,
                    "Directory made by `quantlab corpus build` (default: corpus)");
    cmd->add_option("--steps", args->steps, "Optimizer steps (default: the preset's)");
    cmd->add_option("--stop-after", args->stop_after,
                    "Run at most N steps now, save the checkpoint and stop (continue later\n"
                    "with --resume OUTPUT.ckpt)");
    cmd->add_option("--seed", args->seed,
                    "Seed of the initial weights and the batches (default 1)");
    cmd->add_option("--threads", args->threads,
                    "Threads (default: all cores; a run is bit-exact for a thread count)");
    cmd->add_option("--resume", args->resume, "Continue the run saved in this checkpoint");
    cmd->add_option("--checkpoint", args->checkpoint,
                    "Where to save checkpoints (default: OUTPUT.ckpt)");
    cmd->add_flag("--f32", args->f32, "Write matrices as F32 instead of F16");
    cmd->add_flag("--list-presets", args->list, "List the presets and exit");
    cmd->add_flag("--json", args->json, "Print a JSON summary");
    cmd->callback([args, &status] {
        run_train(*args);
        status = 0;
    });
}

}  // namespace ql::cli
