// quantlab generate: write a small model with random weights for one of the
// supported architectures (see model/synth.hpp).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "gguf/gguf.hpp"
#include "model/synth.hpp"
#include "util/error.hpp"

namespace ql::cli {

namespace {

struct GenerateArgs {
    std::string arch;
    std::string output;
    uint64_t seed = 1;
    std::string type = "F32";
    std::optional<int64_t> n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_vocab;
    std::optional<int64_t> n_expert, n_expert_used, n_ff_exp, n_dense_lead, n_nextn;
    std::optional<float> logit_spread;
    bool no_qk_norm = false;
    std::string vocab;
    bool tie_embeddings = false;
    bool json = false;
};

model::SynthConfig config_from(const GenerateArgs& a) {
    model::SynthConfig c = model::default_synth_config(a.arch);
    c.seed = a.seed;
    const auto* t = quant::find_type(a.type);
    if (!t) fail("generate: unknown --type '{}'", a.type);
    c.type = t->id;
    auto apply = [](const std::optional<int64_t>& v, int64_t& field) {
        if (v) field = *v;
    };
    apply(a.n_embd, c.n_embd);
    apply(a.n_layer, c.n_layer);
    apply(a.n_head, c.n_head);
    apply(a.n_head_kv, c.n_head_kv);
    apply(a.head_dim, c.head_dim);
    apply(a.n_ff, c.n_ff);
    apply(a.n_vocab, c.n_vocab);
    apply(a.n_expert, c.n_expert);
    apply(a.n_expert_used, c.n_expert_used);
    apply(a.n_ff_exp, c.n_ff_exp);
    apply(a.n_dense_lead, c.n_dense_lead);
    apply(a.n_nextn, c.n_nextn);
    if (a.logit_spread) c.logit_spread = *a.logit_spread;
    if (a.no_qk_norm) c.qk_norm = false;
    if (c.arch == "glm4moe") c.n_rot = c.head_dim / 2;  // partial rope: half of each head
    c.vocab_path = a.vocab;
    c.tie_embeddings = a.tie_embeddings;
    return c;
}

void run_generate(const GenerateArgs& a) {
    const model::SynthConfig c = config_from(a);
    model::write_synthetic_model(c, a.output);

    const auto file = gguf::GgufFile::open(a.output);
    if (a.json) {
        nlohmann::json j = {{"path", a.output},
                            {"arch", c.arch},
                            {"seed", c.seed},
                            {"tensors", file.tensors().size()},
                            {"parameters", file.n_elements()},
                            {"tensor_bytes", file.tensor_bytes()}};
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("wrote %s: %s, %zu tensors, %.2f M parameters, %.2f MiB of weights\n",
                    a.output.c_str(), c.arch.c_str(), file.tensors().size(),
                    static_cast<double>(file.n_elements()) / 1e6,
                    static_cast<double>(file.tensor_bytes()) / (1024.0 * 1024.0));
    }
}

}  // namespace

void register_generate(CLI::App& app, int& status) {
    auto args = std::make_shared<GenerateArgs>();
    auto* cmd = app.add_subcommand(
        "generate", "Write a small model with random weights that llama.cpp can load and run");
    cmd->add_option("--arch", args->arch, "llama, qwen2, qwen3, qwen3moe or glm4moe")->required();
    cmd->add_option("-o,--output", args->output, "Output GGUF file")->required();
    cmd->add_option("--seed", args->seed, "Random seed (default 1)");
    cmd->add_option("--type", args->type, "Type of the weight matrices: F32, F16 or BF16");
    cmd->add_option("--n-embd", args->n_embd, "Embedding width");
    cmd->add_option("--n-layer", args->n_layer, "Transformer blocks (glm4moe: without nextn)");
    cmd->add_option("--n-head", args->n_head, "Attention heads");
    cmd->add_option("--n-head-kv", args->n_head_kv, "Key/value heads");
    cmd->add_option("--head-dim", args->head_dim, "Width of one head");
    cmd->add_option("--n-ff", args->n_ff, "Dense feed-forward width");
    cmd->add_option("--n-vocab", args->n_vocab, "Vocabulary size (synthetic tokenizer)");
    cmd->add_option("--n-expert", args->n_expert, "Experts (MoE architectures)");
    cmd->add_option("--n-expert-used", args->n_expert_used, "Experts used per token");
    cmd->add_option("--n-ff-exp", args->n_ff_exp, "Feed-forward width of one expert");
    cmd->add_option("--n-dense-lead", args->n_dense_lead, "glm4moe: leading dense blocks");
    cmd->add_option("--n-nextn", args->n_nextn, "glm4moe: nextn (MTP) blocks after the others");
    cmd->add_option("--logit-spread", args->logit_spread,
                    "Standard deviation of the logits (default 6: peaked)");
    cmd->add_flag("--no-qk-norm", args->no_qk_norm, "glm4moe: no per-head q/k norms");
    cmd->add_option("--vocab", args->vocab, "Copy the tokenizer from this GGUF (sets n_vocab)");
    cmd->add_flag("--tie-embeddings", args->tie_embeddings,
                  "No output.weight: the output reuses token_embd");
    cmd->add_flag("--json", args->json, "Print a JSON summary");
    cmd->callback([args, &status] {
        run_generate(*args);
        status = 0;
    });
}

}  // namespace ql::cli
