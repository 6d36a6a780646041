// Synthetic models: configuration defaults, tensor layout per architecture,
// metadata, and deterministic random weights.
#include "model/synth.hpp"

#include <cmath>
#include <cstring>
#include <numbers>

#include "gguf/gguf.hpp"
#include "quant/half.hpp"
#include "util/error.hpp"

namespace ql::model {

namespace {

using quant::TypeId;

// How a tensor's values are drawn.
enum class Init {
    Gaussian,  // N(0, scale^2)
    Norm,      // 1 + scale * N(0, 1)
};

struct PlannedSynthTensor {
    SynthTensor tensor;
    Init init = Init::Gaussian;
    float scale = 0.0f;
    bool vocab_rows = false;  // an output projection: row r scores token r
};

bool is_moe(const SynthConfig& c) {
    return c.arch == "qwen3moe" || c.arch == "glm4moe";
}

// Blocks in the file, nextn blocks included.
int64_t total_blocks(const SynthConfig& c) {
    return c.n_layer + (c.arch == "glm4moe" ? c.n_nextn : 0);
}

// Builds the ordered tensor list. Weight matrices get the configured type;
// norms, biases and the router stay F32.
class LayoutBuilder {
  public:
    explicit LayoutBuilder(const SynthConfig& c) : c_(c) {}

    void matrix(const std::string& name, std::vector<int64_t> shape, float scale,
                bool vocab_rows = false) {
        out_.push_back({{name, std::move(shape), c_.type}, Init::Gaussian, scale, vocab_rows});
    }
    void f32(const std::string& name, std::vector<int64_t> shape, Init init, float scale) {
        out_.push_back({{name, std::move(shape), TypeId::F32}, init, scale});
    }
    void norm(const std::string& name, int64_t n) { f32(name, {n}, Init::Norm, 0.1f); }
    void bias(const std::string& name, int64_t n, float scale) {
        f32(name, {n}, Init::Gaussian, scale);
    }

    std::vector<PlannedSynthTensor> take() { return std::move(out_); }

  private:
    const SynthConfig& c_;
    std::vector<PlannedSynthTensor> out_;
};

float inv_sqrt(int64_t n) {
    return 1.0f / std::sqrt(static_cast<float>(n));
}

void add_attention(LayoutBuilder& b, const SynthConfig& c, const std::string& p) {
    const int64_t q_width = c.n_head * c.head_dim;      // [n_head * head_dim]
    const int64_t kv_width = c.n_head_kv * c.head_dim;  // [n_head_kv * head_dim]
    b.norm(p + "attn_norm.weight", c.n_embd);
    b.matrix(p + "attn_q.weight", {c.n_embd, q_width}, inv_sqrt(c.n_embd));
    b.matrix(p + "attn_k.weight", {c.n_embd, kv_width}, inv_sqrt(c.n_embd));
    b.matrix(p + "attn_v.weight", {c.n_embd, kv_width}, inv_sqrt(c.n_embd));
    if (c.arch == "qwen2" || c.arch == "glm4moe") {
        b.bias(p + "attn_q.bias", q_width, 0.1f);
        b.bias(p + "attn_k.bias", kv_width, 0.1f);
        b.bias(p + "attn_v.bias", kv_width, 0.1f);
    }
    b.matrix(p + "attn_output.weight", {q_width, c.n_embd}, 0.5f * inv_sqrt(q_width));
    const bool qk_norm =
        c.arch == "qwen3" || c.arch == "qwen3moe" || (c.arch == "glm4moe" && c.qk_norm);
    if (qk_norm) {
        b.norm(p + "attn_q_norm.weight", c.head_dim);
        b.norm(p + "attn_k_norm.weight", c.head_dim);
    }
}

void add_dense_ffn(LayoutBuilder& b, const SynthConfig& c, const std::string& p) {
    b.matrix(p + "ffn_gate.weight", {c.n_embd, c.n_ff}, inv_sqrt(c.n_embd));
    b.matrix(p + "ffn_up.weight", {c.n_embd, c.n_ff}, inv_sqrt(c.n_embd));
    b.matrix(p + "ffn_down.weight", {c.n_ff, c.n_embd}, 0.5f * inv_sqrt(c.n_ff));
}

void add_moe_ffn(LayoutBuilder& b, const SynthConfig& c, const std::string& p) {
    const int64_t x = c.n_expert;
    b.f32(p + "ffn_gate_inp.weight", {c.n_embd, x}, Init::Gaussian, 2.0f * inv_sqrt(c.n_embd));
    if (c.arch == "glm4moe") b.bias(p + "exp_probs_b.bias", x, 0.01f);
    b.matrix(p + "ffn_gate_exps.weight", {c.n_embd, c.n_ff_exp, x}, inv_sqrt(c.n_embd));
    b.matrix(p + "ffn_up_exps.weight", {c.n_embd, c.n_ff_exp, x}, inv_sqrt(c.n_embd));
    b.matrix(p + "ffn_down_exps.weight", {c.n_ff_exp, c.n_embd, x}, 0.5f * inv_sqrt(c.n_ff_exp));
    if (c.arch == "glm4moe" && c.n_expert_shared > 0) {
        const int64_t shared = c.n_ff_exp * c.n_expert_shared;
        b.matrix(p + "ffn_gate_shexp.weight", {c.n_embd, shared}, inv_sqrt(c.n_embd));
        b.matrix(p + "ffn_up_shexp.weight", {c.n_embd, shared}, inv_sqrt(c.n_embd));
        b.matrix(p + "ffn_down_shexp.weight", {shared, c.n_embd}, 0.5f * inv_sqrt(shared));
    }
}

void add_nextn(LayoutBuilder& b, const SynthConfig& c, const std::string& p) {
    b.matrix(p + "nextn.eh_proj.weight", {2 * c.n_embd, c.n_embd}, inv_sqrt(2 * c.n_embd));
    b.norm(p + "nextn.enorm.weight", c.n_embd);
    b.norm(p + "nextn.hnorm.weight", c.n_embd);
    b.matrix(p + "nextn.embed_tokens.weight", {c.n_embd, c.n_vocab}, 1.0f);
    b.matrix(p + "nextn.shared_head_head.weight", {c.n_embd, c.n_vocab},
             c.logit_spread * inv_sqrt(c.n_embd), true);
    b.norm(p + "nextn.shared_head_norm.weight", c.n_embd);
}

std::vector<PlannedSynthTensor> plan_layout(const SynthConfig& c) {
    LayoutBuilder b(c);
    b.matrix("token_embd.weight", {c.n_embd, c.n_vocab}, 1.0f, c.tie_embeddings);
    b.norm("output_norm.weight", c.n_embd);
    if (!c.tie_embeddings)
        b.matrix("output.weight", {c.n_embd, c.n_vocab}, c.logit_spread * inv_sqrt(c.n_embd), true);
    for (int64_t i = 0; i < total_blocks(c); ++i) {
        const std::string p = "blk." + std::to_string(i) + ".";
        add_attention(b, c, p);
        if (c.arch == "glm4moe")
            b.norm(p + "post_attention_norm.weight", c.n_embd);
        else
            b.norm(p + "ffn_norm.weight", c.n_embd);
        const bool dense = !is_moe(c) || (c.arch == "glm4moe" && i < c.n_dense_lead);
        if (dense)
            add_dense_ffn(b, c, p);
        else
            add_moe_ffn(b, c, p);
        if (c.arch == "glm4moe" && i >= c.n_layer) add_nextn(b, c, p);
    }
    return b.take();
}

// ---- metadata ----

uint32_t file_type_of(TypeId t) {
    switch (t) {
        case TypeId::F16:
            return 1;
        case TypeId::BF16:
            return 32;
        default:
            return 0;  // all F32
    }
}

}  // namespace

MetadataList architecture_metadata(const SynthConfig& c) {
    const std::string a = c.arch + ".";
    auto u32 = [](int64_t v) { return gguf::Value::u32(static_cast<uint32_t>(v)); };
    MetadataList kv;
    kv.emplace_back("general.architecture", gguf::Value::string(c.arch));
    kv.emplace_back("general.name",
                    gguf::Value::string(c.name.empty() ? "synthetic-" + c.arch : c.name));
    kv.emplace_back("general.file_type", gguf::Value::u32(file_type_of(c.type)));
    kv.emplace_back(a + "context_length", u32(c.n_ctx));
    kv.emplace_back(a + "embedding_length", u32(c.n_embd));
    kv.emplace_back(a + "block_count", u32(total_blocks(c)));
    kv.emplace_back(a + "feed_forward_length", u32(c.n_ff));
    kv.emplace_back(a + "attention.head_count", u32(c.n_head));
    kv.emplace_back(a + "attention.head_count_kv", u32(c.n_head_kv));
    kv.emplace_back(a + "attention.key_length", u32(c.head_dim));
    kv.emplace_back(a + "attention.value_length", u32(c.head_dim));
    kv.emplace_back(a + "attention.layer_norm_rms_epsilon", gguf::Value::f32(c.rms_eps));
    kv.emplace_back(a + "rope.freq_base", gguf::Value::f32(c.rope_base));
    kv.emplace_back(a + "rope.dimension_count", u32(c.arch == "glm4moe" ? c.n_rot : c.head_dim));
    kv.emplace_back(a + "vocab_size", u32(c.n_vocab));
    if (is_moe(c)) {
        kv.emplace_back(a + "expert_count", u32(c.n_expert));
        kv.emplace_back(a + "expert_used_count", u32(c.n_expert_used));
        kv.emplace_back(a + "expert_feed_forward_length", u32(c.n_ff_exp));
    }
    if (c.arch == "glm4moe") {
        kv.emplace_back(a + "expert_shared_count", u32(c.n_expert_shared));
        kv.emplace_back(a + "leading_dense_block_count", u32(c.n_dense_lead));
        kv.emplace_back(a + "expert_weights_scale", gguf::Value::f32(c.expert_weights_scale));
        kv.emplace_back(a + "expert_weights_norm", gguf::Value::boolean(c.expert_weights_norm));
        kv.emplace_back(a + "expert_gating_func", gguf::Value::u32(2));  // 2 = sigmoid
        kv.emplace_back(a + "nextn_predict_layers", u32(c.n_nextn));
    }
    return kv;
}

namespace {

// ---- weights ----

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Seed of one tensor's stream: the model seed mixed with an FNV-1a hash of the name.
uint64_t tensor_stream_seed(uint64_t seed, const std::string& name) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char ch : name) h = (h ^ ch) * 0x100000001b3ull;
    uint64_t s = seed ^ h;
    return splitmix64(s);
}

// Standard normal values from a splitmix64 stream (Box-Muller, both outputs used).
void fill_standard_normal(uint64_t state, std::vector<float>& out) {
    auto uniform = [&state] {  // in (0, 1]
        return (static_cast<double>(splitmix64(state) >> 11) + 1.0) * 0x1p-53;
    };
    for (size_t i = 0; i < out.size(); i += 2) {
        const double r = std::sqrt(-2.0 * std::log(uniform()));
        const double theta = 2.0 * std::numbers::pi * uniform();
        out[i] = static_cast<float>(r * std::cos(theta));
        if (i + 1 < out.size()) out[i + 1] = static_cast<float>(r * std::sin(theta));
    }
}

int64_t element_count(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

// Control tokens (end of text, ...): their output rows are shrunk so that
// greedy generation rarely stops early.
std::vector<int64_t> control_token_ids(const MetadataList& tokenizer) {
    std::vector<int64_t> ids;
    for (const auto& [key, value] : tokenizer) {
        if (key != "tokenizer.ggml.token_type" || value.type != gguf::ValueType::ARRAY) continue;
        for (size_t i = 0; i < value.array_size(); ++i)
            if (value.array_int(i) == 3) ids.push_back(static_cast<int64_t>(i));
    }
    return ids;
}

// The tensor's bytes in its type (F32, F16 or BF16).
std::vector<uint8_t> tensor_bytes(const PlannedSynthTensor& t, uint64_t seed,
                                  const std::vector<int64_t>& quiet_rows) {
    std::vector<float> values(static_cast<size_t>(element_count(t.tensor.shape)));
    fill_standard_normal(tensor_stream_seed(seed, t.tensor.name), values);
    for (float& v : values) v = t.init == Init::Norm ? 1.0f + t.scale * v : t.scale * v;
    if (t.vocab_rows) {
        const auto width = static_cast<size_t>(t.tensor.shape[0]);
        for (int64_t row : quiet_rows) {
            if (row >= t.tensor.shape[1]) continue;
            for (size_t k = 0; k < width; ++k)
                values[static_cast<size_t>(row) * width + k] *= 0.05f;
        }
    }

    const size_t n = values.size();
    std::vector<uint8_t> bytes;
    switch (t.tensor.type) {
        case TypeId::F32:
            bytes.resize(n * 4);
            std::memcpy(bytes.data(), values.data(), n * 4);
            break;
        case TypeId::F16:
            bytes.resize(n * 2);
            for (size_t i = 0; i < n; ++i)
                quant::store_u16(&bytes[2 * i], quant::f32_to_fp16(values[i]));
            break;
        case TypeId::BF16:
            bytes.resize(n * 2);
            for (size_t i = 0; i < n; ++i)
                quant::store_u16(&bytes[2 * i], quant::f32_to_bf16(values[i]));
            break;
        default:
            fail("synthetic weights must be F32, F16 or BF16");
    }
    return bytes;
}

}  // namespace

const std::vector<std::string>& synth_architectures() {
    static const std::vector<std::string> archs = {"llama", "qwen2", "qwen3", "qwen3moe",
                                                   "glm4moe"};
    return archs;
}

SynthConfig default_synth_config(std::string_view arch) {
    SynthConfig c;
    c.arch = std::string(arch);
    if (arch == "llama") {
        c.n_layer = 4;
        c.n_head = 8;
        c.n_head_kv = 2;
        c.head_dim = 32;
    } else if (arch == "qwen2") {
        c.n_layer = 3;
        c.n_head = 4;
        c.n_head_kv = 2;
        c.head_dim = 64;
        c.rope_base = 1000000.0f;
    } else if (arch == "qwen3") {
        c.n_layer = 3;
        c.n_head = 4;
        c.n_head_kv = 2;
        c.head_dim = 128;  // n_head * head_dim != n_embd, as in real Qwen3
        c.rope_base = 1000000.0f;
    } else if (arch == "qwen3moe") {
        c.n_layer = 2;
        c.n_head = 4;
        c.n_head_kv = 1;
        c.head_dim = 64;
        c.n_expert = 8;
        c.n_expert_used = 2;
        c.n_ff_exp = 256;
        c.rope_base = 1000000.0f;
    } else if (arch == "glm4moe") {
        c.n_layer = 2;  // 1 dense + 1 MoE, plus 1 nextn block
        c.n_head = 4;
        c.n_head_kv = 2;
        c.head_dim = 64;
        c.n_rot = 32;  // half of head_dim: partial rope
        c.n_expert = 8;
        c.n_expert_used = 2;
        c.n_ff_exp = 256;
        c.n_dense_lead = 1;
        c.n_nextn = 1;
        c.n_expert_shared = 1;
        c.expert_weights_scale = 2.5f;
        c.rope_base = 1000000.0f;
    } else {
        fail("unknown architecture '{}' (known: llama, qwen2, qwen3, qwen3moe, glm4moe)", arch);
    }
    return c;
}

void validate_synth_config(const SynthConfig& c) {
    bool known = false;
    for (const auto& a : synth_architectures()) known |= a == c.arch;
    if (!known) fail("unknown architecture '{}'", c.arch);
    if (c.type != TypeId::F32 && c.type != TypeId::F16 && c.type != TypeId::BF16)
        fail("--type must be F32, F16 or BF16");
    auto positive = [](int64_t v, const char* what) {
        if (v <= 0 || v > (int64_t{1} << 24)) fail("{} must be in 1..16777216 (got {})", what, v);
    };
    positive(c.n_embd, "n_embd");
    positive(c.n_layer, "n_layer");
    positive(c.n_head, "n_head");
    positive(c.n_head_kv, "n_head_kv");
    positive(c.head_dim, "head_dim");
    positive(c.n_ff, "n_ff");
    positive(c.n_vocab, "n_vocab");
    positive(c.n_ctx, "n_ctx");
    if (!(c.logit_spread > 0.0f && c.logit_spread <= 1000.0f))
        fail("logit spread must be in (0, 1000] (got {})", c.logit_spread);
    if (c.n_head % c.n_head_kv != 0) fail("n_head must be a multiple of n_head_kv");
    if (c.head_dim % 2 != 0) fail("head_dim must be even (rope)");
    if (is_moe(c)) {
        positive(c.n_expert, "n_expert");
        positive(c.n_expert_used, "n_expert_used");
        positive(c.n_ff_exp, "n_ff_exp");
        if (c.n_expert_used > c.n_expert) fail("n_expert_used must be <= n_expert");
    }
    if (c.arch == "glm4moe") {
        if (c.n_dense_lead < 0 || c.n_dense_lead > c.n_layer)
            fail("leading dense blocks must be in 0..n_layer");
        if (c.n_nextn < 0) fail("nextn blocks must be >= 0");
        if (c.n_rot <= 0 || c.n_rot > c.head_dim || c.n_rot % 2 != 0)
            fail("rope dimension count must be even and in 2..head_dim");
    }
}

std::vector<SynthTensor> synth_layout(const SynthConfig& config) {
    validate_synth_config(config);
    std::vector<SynthTensor> out;
    for (auto& t : plan_layout(config)) out.push_back(std::move(t.tensor));
    return out;
}

void write_synthetic_model(const SynthConfig& config, const std::string& path) {
    SynthConfig c = config;
    MetadataList tokenizer;
    if (!c.vocab_path.empty()) {
        tokenizer = tokenizer_from_file(c.vocab_path, c.n_vocab);
    } else {
        tokenizer = synthetic_bpe_tokenizer(c.n_vocab, c.arch == "llama" ? "llama-bpe" : "qwen2");
    }
    validate_synth_config(c);
    const auto layout = plan_layout(c);
    const auto quiet_rows = control_token_ids(tokenizer);

    gguf::GgufWriter writer(path);
    for (auto& [key, value] : architecture_metadata(c)) writer.set(key, std::move(value));
    for (auto& [key, value] : tokenizer) writer.set(key, std::move(value));
    for (const auto& t : layout) writer.add_tensor(t.tensor.name, t.tensor.type, t.tensor.shape);
    writer.begin();
    for (size_t i = 0; i < layout.size(); ++i) {
        const auto bytes = tensor_bytes(layout[i], c.seed, quiet_rows);
        writer.write_tensor_data(i, bytes.data(), bytes.size());
    }
    writer.finish();
}

}  // namespace ql::model
