// Shared helpers of the forward-pass tests: synthetic models written to a
// scratch directory, the committed peer goldens (tests/data/logits).
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/forward.hpp"
#include "model/synth.hpp"
#include "process_scratch.hpp"

namespace ql::test {

namespace fs = std::filesystem;

inline fs::path forward_scratch(const std::string& name) {
    return process_scratch_dir() / name;
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

inline std::vector<int32_t> read_golden_tokens(const fs::path& file = logits_data_dir() /
                                                                      "tokens.txt") {
    std::ifstream in(file);
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

// Our logits [n_tokens, n_vocab] against a peer golden made by
// tests/data/logits/summarize.py in `dir` (head.f32: the first 32 positions in
// full; summary.f32: per position argmax, max |logit|, second-largest logit
// and the logits of ids 0, 64, 128, ...): max |dlogit| <= rel_tolerance * max
// |logit| at every position (stored rows, probes, max |logit|), and the same
// argmax wherever the peer's choice is not within that tolerance of ours.
// Returns the worst relative difference.
inline double expect_matches_peer_summary(const std::vector<float>& logits, int64_t n_vocab,
                                          const fs::path& dir, const std::string& label,
                                          double rel_tolerance = 1e-3) {
    constexpr int64_t kHeadRows = 32;     // summarize.py N_HEAD
    constexpr int64_t kProbeStride = 64;  // summarize.py PROBE_STRIDE
    const auto head = read_f32_file(dir / "head.f32");
    const auto summary = read_f32_file(dir / "summary.f32");
    const int64_t n_probes = n_vocab / kProbeStride, width = 3 + n_probes;
    const auto n_tokens = static_cast<int64_t>(logits.size()) / n_vocab;
    EXPECT_EQ(static_cast<int64_t>(head.size()), std::min(kHeadRows, n_tokens) * n_vocab) << label;
    EXPECT_EQ(static_cast<int64_t>(summary.size()), n_tokens * width) << label;
    if (static_cast<int64_t>(summary.size()) != n_tokens * width) return 1.0;
    double worst = 0.0;
    int64_t agree = 0;
    for (int64_t t = 0; t < n_tokens; ++t) {
        const float* ours = &logits[static_cast<size_t>(t * n_vocab)];  // [n_vocab]
        const float* s = &summary[static_cast<size_t>(t * width)];
        const auto peer_argmax = static_cast<int64_t>(s[0]);
        const double max_abs = s[1], tolerance = rel_tolerance * max_abs;
        double diff = 0.0;
        if (t < kHeadRows)
            for (int64_t i = 0; i < n_vocab; ++i)
                diff = std::max(diff, std::fabs(double(ours[i]) - head[t * n_vocab + i]));
        for (int64_t p = 0; p < n_probes; ++p)
            diff = std::max(diff, std::fabs(double(ours[p * kProbeStride]) - s[3 + p]));
        float our_max_abs = 0.0f;
        for (int64_t i = 0; i < n_vocab; ++i)
            our_max_abs = std::max(our_max_abs, std::fabs(ours[i]));
        diff = std::max(diff, std::fabs(double(our_max_abs) - max_abs));
        EXPECT_LE(diff, tolerance) << label << " position " << t;
        if (max_abs > 0) worst = std::max(worst, diff / max_abs);
        const int64_t our_argmax = std::max_element(ours, ours + n_vocab) - ours;
        agree += our_argmax == peer_argmax;
        if (max_abs > 0 && std::fabs(ours[our_argmax] - ours[peer_argmax]) > tolerance)
            ADD_FAILURE() << label << " position " << t << ": argmax " << our_argmax
                          << " vs the peer's " << peer_argmax;
    }
    EXPECT_GE(agree, n_tokens - 1) << label;
    std::printf(
        "[ %s ] %lld positions: max |dlogit| / max |logit| = %.3g, argmax agree %lld/%lld\n",
        label.c_str(), static_cast<long long>(n_tokens), worst, static_cast<long long>(agree),
        static_cast<long long>(n_tokens));
    return worst;
}

}  // namespace ql::test
