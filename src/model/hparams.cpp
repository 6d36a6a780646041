// Hyper-parameters from GGUF metadata; per-architecture facts in one table.
#include "model/hparams.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "util/error.hpp"

namespace ql::model {

namespace {

// What an architecture implies beyond its metadata keys.
struct ArchFacts {
    const char* name;
    RopeStyle rope_style;
    bool moe;
    bool always_normalize_expert_weights;  // qwen3moe: llama.cpp always renormalises
};

constexpr std::array<ArchFacts, 5> kArchFacts = {{
    {"llama", RopeStyle::Adjacent, false, false},
    {"qwen2", RopeStyle::Neox, false, false},
    {"qwen3", RopeStyle::Neox, false, false},
    {"qwen3moe", RopeStyle::Neox, true, true},
    {"glm4moe", RopeStyle::Neox, true, false},
}};

const ArchFacts* find_arch(const std::string& arch) {
    for (const auto& facts : kArchFacts)
        if (arch == facts.name) return &facts;
    return nullptr;
}

class KeyReader {
  public:
    KeyReader(const gguf::GgufFile& file, std::string prefix)
        : file_(file), prefix_(std::move(prefix)) {}

    int64_t positive(const std::string& key) const {
        const auto v = file_.get_int(prefix_ + key);
        if (!v) fail_input("{}: missing or non-integer key {}{}", file_.path(), prefix_, key);
        if (*v <= 0 || *v > (int64_t{1} << 32))
            fail_input("{}: {}{} = {} is out of range", file_.path(), prefix_, key, *v);
        return *v;
    }
    int64_t integer_or(const std::string& key, int64_t fallback) const {
        const auto v = file_.get_int(prefix_ + key);
        if (!v) return fallback;
        if (*v < 0 || *v > (int64_t{1} << 32))
            fail_input("{}: {}{} = {} is out of range", file_.path(), prefix_, key, *v);
        return *v;
    }
    int64_t positive_or(const std::string& key, int64_t fallback) const {
        return file_.get_int(prefix_ + key) ? positive(key) : fallback;
    }
    float real_or(const std::string& key, float fallback) const {
        const auto v = file_.get_float(prefix_ + key);
        return v ? static_cast<float>(*v) : fallback;
    }
    float positive_real_or(const std::string& key, float fallback) const {
        const auto v = file_.get_float(prefix_ + key);
        if (!v) return fallback;
        if (!std::isfinite(*v) || *v <= 0.0)
            fail_input("{}: {}{} = {} must be a positive number", file_.path(), prefix_, key, *v);
        return static_cast<float>(*v);
    }
    float non_negative_real_or(const std::string& key, float fallback) const {
        const auto v = file_.get_float(prefix_ + key);
        if (!v) return fallback;
        if (!std::isfinite(*v) || *v < 0.0)
            fail_input("{}: {}{} = {} must be zero or positive", file_.path(), prefix_, key, *v);
        return static_cast<float>(*v);
    }
    std::string string_or(const std::string& key, const std::string& fallback) const {
        const auto v = file_.get_string(prefix_ + key);
        return v ? *v : fallback;
    }
    bool flag_or(const std::string& key, bool fallback) const {
        const auto v = file_.get_bool(prefix_ + key);
        return v ? *v : fallback;
    }

  private:
    const gguf::GgufFile& file_;
    std::string prefix_;
};

int64_t vocab_size(const gguf::GgufFile& file, const KeyReader& keys) {
    if (const auto* tokens = file.find("tokenizer.ggml.tokens"))
        return static_cast<int64_t>(tokens->array_size());
    return keys.positive("vocab_size");
}

void read_moe(const gguf::GgufFile& file, const KeyReader& keys, const ArchFacts& facts,
              HParams& h) {
    h.n_expert = keys.positive("expert_count");
    h.n_expert_used = keys.positive("expert_used_count");
    h.n_ff_exp = keys.positive("expert_feed_forward_length");
    h.n_expert_shared = keys.integer_or("expert_shared_count", 0);
    h.n_dense_lead = keys.integer_or("leading_dense_block_count", 0);
    if (h.n_expert_used > h.n_expert)
        fail_input("{}: expert_used_count {} exceeds expert_count {}", file.path(), h.n_expert_used,
                   h.n_expert);
    // expert_gating_func: 1 = softmax, 2 = sigmoid (llama.cpp's numbering).
    const int64_t gate = keys.integer_or("expert_gating_func", 1);
    if (gate != 1 && gate != 2)
        fail_input("{}: unsupported expert_gating_func {}", file.path(), gate);
    h.router_gate = gate == 2 ? RouterGate::Sigmoid : RouterGate::Softmax;
    h.normalize_expert_weights =
        facts.always_normalize_expert_weights || keys.flag_or("expert_weights_norm", false);
    const float scale = keys.real_or("expert_weights_scale", 0.0f);
    h.expert_weights_scale = scale == 0.0f ? 1.0f : scale;  // 0 / absent: no scaling
}

// YaRN's ramp ends, in turns over the original context: llama.cpp's
// yarn_beta_fast / yarn_beta_slow defaults. It reads those keys (and
// yarn_ext_factor, yarn_attn_factor) for other architectures only, so the
// ones we run ignore them too.
constexpr float kYarnBetaFast = 32.0f;
constexpr float kYarnBetaSlow = 1.0f;

// The (fractional) pair index whose wavelength fits `turns` times into the
// original context.
float yarn_pair_for_turns(const HParams& h, int64_t n_ctx_orig, float turns) {
    const float n_dims = static_cast<float>(h.n_rot);
    const float ratio = static_cast<float>(n_ctx_orig) / (turns * 2.0f * std::numbers::pi_v<float>);
    return n_dims * std::log(ratio) / (2.0f * std::log(h.rope_base));
}

// llama.cpp's magnitude factor for a context stretched `factor` times.
float yarn_magnitude(float factor) {
    return factor <= 1.0f ? 1.0f : 0.1f * std::log(factor) + 1.0f;
}

// YaRN on top of the interpolated angles, attn_factor the file's
// rope.scaling.attn_factor. llama.cpp's context sets its rope attn_factor to
// yarn_magnitude(factor) / (1 + 0.1 ln factor) * attn_factor and its rope
// kernel multiplies that by (1 + 0.1 ln factor) again: cos and sin grow by
// about yarn_magnitude(factor) * attn_factor. The float steps are kept in
// order; the attention's 1/sqrt(head_dim) is unchanged.
void read_yarn(const KeyReader& keys, float attn_factor, HParams& h) {
    const int64_t n_ctx_orig =
        keys.positive_or("rope.scaling.original_context_length", h.n_ctx_train);
    const float factor = 1.0f / h.rope_freq_scale;
    float context_factor = yarn_magnitude(factor);
    context_factor *= 1.0f / (1.0f + 0.1f * std::log(factor));
    context_factor *= attn_factor;
    h.rope_mscale = context_factor * (1.0f + 0.1f * std::log(1.0f / h.rope_freq_scale));
    h.rope_ext_factor = 1.0f;
    const float low = std::floor(yarn_pair_for_turns(h, n_ctx_orig, kYarnBetaFast));
    const float high = std::ceil(yarn_pair_for_turns(h, n_ctx_orig, kYarnBetaSlow));
    h.rope_yarn_low = std::max(0.0f, low);
    h.rope_yarn_high = std::min(static_cast<float>(h.n_rot - 1), high);
}

// rope.scaling.type none, linear (llama.cpp's default when absent) or yarn.
void read_rope_scaling(const gguf::GgufFile& file, const KeyReader& keys, HParams& h) {
    const std::string type = keys.string_or("rope.scaling.type", "linear");
    if (type != "none" && type != "linear" && type != "yarn")
        fail_input("{}: rope scaling '{}' is not supported (none, linear, yarn)", file.path(),
                   type);
    // A factor of 0 means no scaling, as in llama.cpp.
    const float factor = keys.non_negative_real_or(
        "rope.scaling.factor", keys.non_negative_real_or("rope.scale_linear", 0.0f));
    h.rope_freq_scale = type == "none" || factor == 0.0f ? 1.0f : 1.0f / factor;
    const float attn_factor = keys.positive_real_or("rope.scaling.attn_factor", 1.0f);
    h.rope_mscale = attn_factor;
    if (type == "yarn") read_yarn(keys, attn_factor, h);
}

}  // namespace

bool is_supported_architecture(const std::string& arch) {
    return find_arch(arch) != nullptr;
}

HParams load_hparams(const gguf::GgufFile& file) {
    HParams h;
    h.arch = file.architecture();
    const ArchFacts* facts = find_arch(h.arch);
    if (!facts)
        fail_input(
            "{}: unsupported architecture '{}' (supported: llama, qwen2, qwen3, qwen3moe, "
            "glm4moe)",
            file.path(), h.arch);
    const KeyReader keys(file, h.arch + ".");
    h.n_embd = keys.positive("embedding_length");
    h.n_layer_file = keys.positive("block_count");
    h.n_layer = h.n_layer_file - keys.integer_or("nextn_predict_layers", 0);
    if (h.n_layer <= 0) fail_input("{}: no blocks left besides the nextn blocks", file.path());
    h.n_head = keys.positive("attention.head_count");
    h.n_head_kv = keys.integer_or("attention.head_count_kv", h.n_head);
    if (h.n_head_kv <= 0 || h.n_head % h.n_head_kv != 0)
        fail_input("{}: head_count {} is not a multiple of head_count_kv {}", file.path(), h.n_head,
                   h.n_head_kv);
    h.head_dim = keys.integer_or("attention.key_length", h.n_embd / h.n_head);
    if (keys.integer_or("attention.value_length", h.head_dim) != h.head_dim)
        fail_input("{}: key_length != value_length is not supported", file.path());
    h.n_ff = keys.integer_or("feed_forward_length", 0);
    h.n_ctx_train = keys.integer_or("context_length", 4096);
    h.rms_eps = keys.real_or("attention.layer_norm_rms_epsilon", 1e-5f);
    h.n_vocab = vocab_size(file, keys);

    h.rope_style = facts->rope_style;
    h.n_rot = keys.integer_or("rope.dimension_count", h.head_dim);
    if (h.n_rot <= 0 || h.n_rot > h.head_dim || h.n_rot % 2 != 0)
        fail_input("{}: rope.dimension_count {} must be even and in 2..{}", file.path(), h.n_rot,
                   h.head_dim);
    h.rope_base = keys.real_or("rope.freq_base", 10000.0f);
    if (!std::isfinite(h.rope_base) || h.rope_base <= 1.0f)
        fail_input("{}: rope.freq_base {} must be a number above 1", file.path(), h.rope_base);
    read_rope_scaling(file, keys, h);

    if (facts->moe) read_moe(file, keys, *facts, h);
    if (h.n_dense_lead > h.n_layer)
        fail_input("{}: leading_dense_block_count {} exceeds the block count", file.path(),
                   h.n_dense_lead);
    return h;
}

}  // namespace ql::model
