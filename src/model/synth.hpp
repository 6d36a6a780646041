// Small synthetic models: random weights in exactly the tensor layout and
// metadata llama.cpp expects for an architecture, so that the file loads and
// generates in llama.cpp and in quantlab. Used by tests, by the mix goldens
// and by `quantlab generate`.
//
// Weights are deterministic for a seed (each tensor draws from its own stream
// keyed by seed and tensor name); norms are 1 + 0.1*noise, and the output
// projection is scaled so that next-token distributions are peaked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf.hpp"
#include "quant/types.hpp"

namespace ql::model {

// The architectures the generator knows (general.architecture values).
const std::vector<std::string>& synth_architectures();

struct SynthConfig {
    std::string arch = "llama";  // llama | qwen2 | qwen3 | qwen3moe | glm4moe
    std::string name;            // general.name; "" -> "synthetic-<arch>"
    uint64_t seed = 1;
    quant::TypeId type = quant::TypeId::F32;  // weight matrices: F32, F16 or BF16

    int64_t n_embd = 256;
    int64_t n_layer = 2;  // transformer blocks (for glm4moe: without the nextn blocks)
    int64_t n_head = 4;
    int64_t n_head_kv = 2;
    int64_t head_dim = 64;  // key_length == value_length
    int64_t n_ff = 512;     // dense feed-forward width
    int64_t n_vocab = 1024;
    int64_t n_ctx = 4096;  // context_length
    float rms_eps = 1e-6f;
    float rope_base = 10000.0f;
    // Standard deviation of the logits on unit-RMS hidden states (scale of
    // output.weight): larger means a more peaked next-token distribution.
    float logit_spread = 6.0f;

    // Mixture of experts (qwen3moe, glm4moe).
    int64_t n_expert = 0;
    int64_t n_expert_used = 0;
    int64_t n_ff_exp = 0;  // per-expert feed-forward width

    // glm4moe only.
    int64_t n_dense_lead = 1;     // leading dense blocks
    int64_t n_nextn = 1;          // nextn (MTP) blocks appended after n_layer
    int64_t n_expert_shared = 1;  // shared experts (width n_ff_exp each)
    int64_t n_rot = 32;           // rope.dimension_count (partial rope)
    bool qk_norm = true;          // per-head q/k norms (optional in glm4moe)
    float expert_weights_scale = 1.0f;
    bool expert_weights_norm = true;

    bool tie_embeddings = false;  // omit output.weight (llama.cpp reuses token_embd)
    std::string vocab_path;       // copy tokenizer.* from this GGUF ("" -> synthetic BPE)
};

// The defaults for an architecture (small widths, multiples of 256).
// Throws ql::Error for an unknown architecture.
SynthConfig default_synth_config(std::string_view arch);

// One tensor of the layout, in file order. Shapes are GGUF order (ne[0] first).
struct SynthTensor {
    std::string name;
    std::vector<int64_t> shape;
    quant::TypeId type;
};

// The tensors write_synthetic_model writes for `config` (validated first).
std::vector<SynthTensor> synth_layout(const SynthConfig& config);

// Writes the model (atomically). Throws ql::Error on an invalid configuration
// and ql::InputError when --vocab cannot be read.
void write_synthetic_model(const SynthConfig& config, const std::string& path);

// Checks a configuration; throws ql::Error naming the first problem.
void validate_synth_config(const SynthConfig& config);

using MetadataList = std::vector<std::pair<std::string, gguf::Value>>;

// general.* and <arch>.* metadata of a configuration (the hyper-parameter
// keys llama.cpp reads); the trainer's export writes the same keys.
MetadataList architecture_metadata(const SynthConfig& config);

// tokenizer.* metadata of a small synthetic byte-level BPE vocabulary
// (tokenizer.ggml.model "gpt2"): the 256 bytes in GPT-2's byte-to-unicode
// spelling, merges learned on a built-in English text, and one control token
// <|endoftext|> (bos = eos = last id). n_vocab >= 260.
MetadataList synthetic_bpe_tokenizer(int64_t n_vocab, const std::string& pre_tokenizer);

// Every tokenizer.* key of the GGUF at `path`; `n_vocab` receives the number
// of tokens. Throws ql::InputError if the file has no tokenizer.ggml.tokens.
MetadataList tokenizer_from_file(const std::string& path, int64_t& n_vocab);

}  // namespace ql::model
