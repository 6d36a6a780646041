#include "train/trainer.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "model/synth.hpp"
#include "train/blas.hpp"
#include "train/checkpoint.hpp"
#include "train/data.hpp"
#include "train/export.hpp"
#include "train/model.hpp"
#include "train/optimizer.hpp"
#include "util/error.hpp"
#include "util/timer.hpp"

namespace ql::train {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
    g_stop.store(true);
}

// Catches SIGINT/SIGTERM while it lives, so that the run can checkpoint and stop.
struct StopSignals {
    void (*old_int)(int), (*old_term)(int);
    StopSignals() {
        g_stop.store(false);
        old_int = std::signal(SIGINT, on_stop_signal);
        old_term = std::signal(SIGTERM, on_stop_signal);
    }
    ~StopSignals() {
        std::signal(SIGINT, old_int);
        std::signal(SIGTERM, old_term);
    }
};

struct EvalSet {
    std::string domain;
    std::vector<Batch> batches;
};

std::vector<DomainLoss> evaluate(TrainModel& model, const std::vector<float>& params,
                                 const std::vector<EvalSet>& sets) {
    std::vector<DomainLoss> out;
    for (const EvalSet& s : sets) {
        double sum = 0;
        int64_t rows = 0;
        for (const Batch& b : s.batches) {
            sum += model.forward_backward(params.data(), b, nullptr).loss *
                   static_cast<double>(b.rows());
            rows += b.rows();
        }
        out.push_back({s.domain, rows ? sum / static_cast<double>(rows) : 0.0});
    }
    return out;
}

double mean_loss(const std::vector<DomainLoss>& v) {
    double s = 0;
    for (const auto& d : v) s += d.loss;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

void append_log(const std::string& path, int64_t step, int64_t tokens, double train_loss,
                const std::vector<DomainLoss>& val) {
    FILE* f = std::fopen(path.c_str(), "a");
    if (!f) return;  // the log is a convenience; the checkpoint is what matters
    std::string domains;
    for (const auto& d : val) domains += fmt::format(",\"val_{}\":{:.6f}", d.domain, d.loss);
    fmt::print(f, "{{\"step\":{},\"tokens\":{},\"train_loss\":{:.6f},\"val_loss\":{:.6f}{}}}\n",
               step, tokens, train_loss, mean_loss(val), domains);
    std::fclose(f);
}

struct RunState {
    std::vector<float> params;
    AdamState adam;
    int64_t step = 0;
    double initial_val = 0;
    double seconds = 0;
    int64_t tokens = 0;
    double last_train_loss = 0;
};

RunState start_or_resume(const TrainOptions& o, const ParamLayout& layout, int64_t total,
                         TrainModel& model, const std::vector<EvalSet>& evals) {
    RunState s;
    if (o.resume.empty()) {
        s.params = init_params(layout, o.preset, o.seed);
        s.initial_val = mean_loss(evaluate(model, s.params, evals));
        return s;
    }
    Checkpoint c = load_checkpoint(o.resume);
    if (c.preset != o.preset.name)
        fail_input("{}: a checkpoint of preset '{}', not '{}'", o.resume, c.preset, o.preset.name);
    if (static_cast<int64_t>(c.params.size()) != layout.total)
        fail_input("{}: {} parameters, the preset has {}", o.resume, c.params.size(), layout.total);
    if (c.seed != o.seed)
        fail("{}: the run used --seed {}; resume with the same seed", o.resume, c.seed);
    if (c.total_steps != total)
        fail("{}: the run was for {} steps; resume with --steps {}", o.resume, c.total_steps,
             c.total_steps);
    if (c.threads != o.threads)
        std::fprintf(stderr,
                     "warning: the checkpoint was made with %d threads; with %d the run "
                     "continues but not bit-exactly\n",
                     c.threads, o.threads);
    s.params = std::move(c.params);
    s.adam.m = std::move(c.m);
    s.adam.v = std::move(c.v);
    s.adam.t = c.adam_t;
    s.step = c.step;
    s.initial_val = c.initial_val_loss;
    s.seconds = c.seconds;
    s.tokens = c.tokens;
    s.last_train_loss = c.last_train_loss;
    return s;
}

void save(const TrainOptions& o, const std::string& path, const RunState& s, int64_t total) {
    Checkpoint c;
    c.preset = o.preset.name;
    c.seed = o.seed;
    c.total_steps = total;
    c.step = s.step;
    c.adam_t = s.adam.t;
    c.threads = o.threads;
    c.initial_val_loss = s.initial_val;
    c.last_train_loss = s.last_train_loss;
    c.seconds = s.seconds;
    c.tokens = s.tokens;
    c.params = s.params;
    c.m = s.adam.m;
    c.v = s.adam.v;
    save_checkpoint(path, c);
}

// The token corpus and its tokenizer, checked against the preset.
TokenCorpus load_inputs(const TrainOptions& o, model::MetadataList& tokenizer) {
    const Preset& p = o.preset;
    TokenCorpus corpus = load_token_corpus(o.corpus_dir);
    if (corpus.n_vocab != p.n_vocab)
        fail_input("{}: the corpus vocabulary has {} tokens; preset '{}' expects {}", o.corpus_dir,
                   corpus.n_vocab, p.name, p.n_vocab);
    int64_t tok_vocab = 0;
    tokenizer = model::tokenizer_from_file(o.corpus_dir + "/tokenizer.gguf", tok_vocab);
    if (tok_vocab != p.n_vocab)
        fail_input("{}/tokenizer.gguf: {} tokens, the token files say {}", o.corpus_dir, tok_vocab,
                   p.n_vocab);
    return corpus;
}

TrainResult summarize(const Preset& p, const RunState& s, int64_t first, double session_seconds,
                      std::vector<DomainLoss> val) {
    TrainResult r;
    r.session_seconds = session_seconds;
    r.seconds = s.seconds + session_seconds;
    r.val_by_domain = std::move(val);
    r.val_loss = mean_loss(r.val_by_domain);
    r.initial_val_loss = s.initial_val;
    r.train_loss = s.last_train_loss;
    r.steps = s.step;
    r.tokens = s.tokens;
    r.params = p.n_params();
    r.active_params = p.n_active_params();
    r.model_flops =
        flops_per_token(p) * static_cast<double>((s.step - first) * p.tokens_per_step());
    return r;
}

}  // namespace

double flops_per_token(const Preset& p) {
    const double matmul = static_cast<double>(p.n_active_params() - p.n_vocab * p.n_embd) +
                          static_cast<double>(p.n_vocab * p.n_embd);  // tied output counted once
    // attention scores and weighted sums: 2 x 2 x (seq_len / 2) x q width per layer, x3 for
    // backward
    const double attn = 3.0 * 2.0 * 2.0 * (static_cast<double>(p.seq_len) / 2.0) *
                        static_cast<double>(p.n_head * p.head_dim) * static_cast<double>(p.n_layer);
    return 6.0 * matmul + attn;
}

TrainResult run_training(const TrainOptions& o, const TrainProgress& progress) {
    const Preset& p = o.preset;
    if (o.out.empty()) fail("train: no output file (-o)");
    model::MetadataList tokenizer;
    const TokenCorpus corpus = load_inputs(o, tokenizer);
    set_blas_threads(o.threads);
    TrainModel model(p, o.threads);
    const ParamLayout& layout = model.layout();
    const int64_t total = o.steps > 0 ? o.steps : p.steps;
    std::vector<EvalSet> evals;
    for (const auto& d : corpus.domains)
        evals.push_back({d.domain, eval_batches(d.val, p.batch, p.seq_len, o.eval_windows)});
    RunState s = start_or_resume(o, layout, total, model, evals);
    const std::string ckpt = o.checkpoint.empty() ? o.out + ".ckpt" : o.checkpoint;
    const std::string log = o.out + ".log.jsonl";
    std::vector<float> grads(static_cast<size_t>(layout.total));
    StopSignals signals;
    Timer session;
    double interval_loss = 0;
    int64_t interval_steps = 0;
    const int64_t first = s.step;
    std::vector<DomainLoss> val;  // the latest held-out losses, of step val_step
    int64_t val_step = -1;
    const int64_t end = o.stop_after > 0 ? std::min(total, first + o.stop_after) : total;
    while (s.step < end) {
        const Batch batch = sample_batch(corpus.train, p.batch, p.seq_len, o.seed, s.step);
        const StepLoss l = model.forward_backward(s.params.data(), batch, grads.data());
        clip_gradient(grads, p.grad_clip, o.threads);
        adamw_update(s.params, grads, s.adam, layout, learning_rate(p, s.step, total),
                     p.weight_decay, o.threads);
        ++s.step;
        s.tokens += batch.rows();
        interval_loss += l.loss;
        ++interval_steps;
        const double elapsed = session.seconds();
        if (progress)
            progress(s.step, total, l.loss,
                     static_cast<double>((s.step - first) * p.tokens_per_step()) / elapsed);
        const bool last = s.step == total;
        if (s.step % p.eval_every == 0 || last) {
            s.last_train_loss = interval_loss / static_cast<double>(interval_steps);
            val = evaluate(model, s.params, evals);
            val_step = s.step;
            append_log(log, s.step, s.tokens, s.last_train_loss, val);
            interval_loss = 0;
            interval_steps = 0;
        }
        const bool stop = g_stop.load();
        if (s.step % p.checkpoint_every == 0 || s.step == end || stop) {
            const double keep = s.seconds;
            s.seconds += session.seconds();
            save(o, ckpt, s, total);
            s.seconds = keep;
        }
        if (stop && !last)
            fail("interrupted after step {} of {}; continue with --resume {}", s.step, total, ckpt);
    }
    if (val_step != s.step) val = evaluate(model, s.params, evals);  // not just evaluated
    TrainResult r = summarize(p, s, first, session.seconds(), std::move(val));
    if (s.step < total) return r;  // stopped early: the checkpoint holds the run
    r.finished = true;
    export_gguf(p, layout, s.params.data(), tokenizer,
                o.f32 ? quant::TypeId::F32 : quant::TypeId::F16, "quantlab-zoo-" + p.name, o.out);
    return r;
}

}  // namespace ql::train
