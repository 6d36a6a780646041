// Shared helpers of the forward-pass tests: synthetic models written to a
// scratch directory, the committed peer goldens (tests/data/logits).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/forward.hpp"
#include "model/synth.hpp"

namespace ql::test {

namespace fs = std::filesystem;

inline fs::path forward_scratch(const std::string& name) {
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("ql_test_forward_" + std::to_string(getpid()));
        fs::create_directories(d);
        return d;
    }();
    return dir / name;
}

inline const fs::path& logits_data_dir() {
    static const fs::path dir = fs::path(QL_SOURCE_DIR) / "tests/data/logits";
    return dir;
}

// The golden case "llama-tied" is arch llama with tied embeddings.
inline model::SynthConfig golden_config(const std::string& golden_case) {
    const bool tied = golden_case.ends_with("-tied");
    auto config = model::default_synth_config(tied ? golden_case.substr(0, golden_case.size() - 5)
                                                   : golden_case);
    config.seed = 1;
    config.tie_embeddings = tied;
    return config;
}

// Writes the model of a configuration once per process; returns its path.
inline std::string write_model(const model::SynthConfig& config, const std::string& name) {
    const auto path = forward_scratch(name + ".gguf");
    if (!fs::exists(path)) model::write_synthetic_model(config, path.string());
    return path.string();
}

// What tests/data/logits/add_rope_scaling.py does: RoPE scaling `factor`,
// linear or YaRN over an original context of yarn_ctx (> 0), and optionally a
// rope_freqs tensor [n_rot/2] of 1 + i/4.
struct RopeScalingEdit {
    float factor = 1.0f;
    int64_t yarn_ctx = 0;  // 0: linear scaling
    bool freqs = true;
};

inline std::string rope_scaled_model(const std::string& base_path, const RopeScalingEdit& edit,
                                     const std::string& name) {
    const auto src = gguf::GgufFile::open(base_path);
    const auto path = forward_scratch(name + ".gguf");
    if (fs::exists(path)) return path.string();
    const std::string prefix = src.architecture() + ".rope.";
    gguf::GgufWriter writer(path.string());
    writer.copy_metadata(src);
    writer.set(prefix + "scaling.type", gguf::Value::string(edit.yarn_ctx ? "yarn" : "linear"));
    writer.set(prefix + "scaling.factor", gguf::Value::f32(edit.factor));
    if (edit.yarn_ctx)
        writer.set(prefix + "scaling.original_context_length",
                   gguf::Value::u32(static_cast<uint32_t>(edit.yarn_ctx)));
    std::vector<const void*> data;
    for (const auto& t : src.tensors()) {
        writer.add_tensor(t.name, t.type, t.shape);
        data.push_back(t.data);
    }
    const int64_t n_pairs = *src.get_int(prefix + "dimension_count") / 2;
    std::vector<float> freqs(static_cast<size_t>(n_pairs));  // [n_rot/2]
    for (int64_t i = 0; i < n_pairs; ++i) freqs[i] = 1.0f + static_cast<float>(i) / 4.0f;
    if (edit.freqs) {
        writer.add_tensor("rope_freqs.weight", quant::TypeId::F32, {n_pairs});
        data.push_back(freqs.data());
    }
    writer.write_all(data);
    return path.string();
}

// The model file of a golden case, written once per process: ARCH-yarn is
// YaRN x4 over an original context of 256 (llama-yarn with rope_freqs).
inline std::string golden_model(const std::string& golden_case) {
    if (golden_case == "llama-rope-scaled")
        return rope_scaled_model(golden_model("llama"), {2.0f, 0, true}, golden_case);
    if (golden_case.ends_with("-yarn")) {
        const std::string arch = golden_case.substr(0, golden_case.size() - 5);
        return rope_scaled_model(golden_model(arch), {4.0f, 256, arch == "llama"}, golden_case);
    }
    return write_model(golden_config(golden_case), golden_case);
}

inline std::vector<float> read_f32_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<float> values(bytes.size() / sizeof(float));
    std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(values.size() * 4),
              reinterpret_cast<char*>(values.data()));
    return values;
}

inline std::vector<int32_t> read_golden_tokens() {
    std::ifstream in(logits_data_dir() / "tokens.txt");
    std::vector<int32_t> ids;
    int32_t id = 0;
    while (in >> id) ids.push_back(id);
    return ids;
}

// Logits [n_tokens, n_vocab] of one batch through a fresh cache.
inline std::vector<float> run_batch(const model::Model& m, const std::vector<int32_t>& tokens,
                                    const model::ForwardOptions& options) {
    model::KvCache cache(m.hparams(), static_cast<int64_t>(tokens.size()));
    std::vector<float> logits(tokens.size() * static_cast<size_t>(m.hparams().n_vocab));
    model::forward(m, cache, tokens, logits.data(), options);
    return logits;
}

}  // namespace ql::test
