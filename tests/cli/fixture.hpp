// Shared helpers for the CLI and quantize tests: a tiny llama-shaped (or
// MoE) model written with the library's GgufWriter, a scratch directory per
// test, and running the built quantlab binary with its output captured.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf.hpp"
#include "quant/types.hpp"

namespace ql::test {

namespace fs = std::filesystem;

struct TinyModelOptions {
    int64_t n_embd = 256;  // a multiple of 256 so that every k-quant fits
    int64_t n_ff = 512;
    int64_t n_vocab = 64;
    int n_layer = 2;
    int n_expert = 0;  // > 0: qwen3moe-like expert stacks instead of dense FFNs
    int n_expert_used = 0;
    quant::TypeId weight_type = quant::TypeId::F32;  // of the 2-D matrices
    std::string nan_tensor;                          // this tensor gets a NaN (empty: none)
    uint32_t seed = 1;
};

struct TinyTensor {
    std::string name;
    std::vector<int64_t> shape;
    quant::TypeId type;
    std::vector<uint8_t> data;
};

inline std::vector<TinyTensor> tiny_tensors(const TinyModelOptions& o) {
    std::vector<TinyTensor> ts;
    const auto matrix = o.weight_type;
    auto add = [&](std::string name, std::vector<int64_t> shape, quant::TypeId type) {
        ts.push_back({std::move(name), std::move(shape), type, {}});
    };
    add("token_embd.weight", {o.n_embd, o.n_vocab}, matrix);
    for (int l = 0; l < o.n_layer; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        add(b + "attn_norm.weight", {o.n_embd}, quant::TypeId::F32);
        for (const char* m : {"attn_q", "attn_k", "attn_v", "attn_output"})
            add(b + m + ".weight", {o.n_embd, o.n_embd}, matrix);
        add(b + "ffn_norm.weight", {o.n_embd}, quant::TypeId::F32);
        if (o.n_expert > 0) {
            add(b + "ffn_gate_inp.weight", {o.n_embd, o.n_expert}, quant::TypeId::F32);
            add(b + "ffn_gate_exps.weight", {o.n_embd, o.n_ff, o.n_expert}, matrix);
            add(b + "ffn_up_exps.weight", {o.n_embd, o.n_ff, o.n_expert}, matrix);
            add(b + "ffn_down_exps.weight", {o.n_ff, o.n_embd, o.n_expert}, matrix);
        } else {
            add(b + "ffn_gate.weight", {o.n_embd, o.n_ff}, matrix);
            add(b + "ffn_up.weight", {o.n_embd, o.n_ff}, matrix);
            add(b + "ffn_down.weight", {o.n_ff, o.n_embd}, matrix);
        }
    }
    add("output_norm.weight", {o.n_embd}, quant::TypeId::F32);
    add("output.weight", {o.n_embd, o.n_vocab}, matrix);

    std::mt19937 rng(o.seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    for (auto& t : ts) {
        int64_t n = 1;
        for (auto d : t.shape) n *= d;
        std::vector<float> values(static_cast<size_t>(n));
        for (auto& v : values) v = t.shape.size() == 1 ? 1.0f + normal(rng) : normal(rng);
        if (t.name == o.nan_tensor) values[values.size() / 2] = NAN;
        const auto& traits = quant::type_traits(t.type);
        t.data.resize(static_cast<size_t>(n / traits.block_size * traits.type_size));
        if (t.type == quant::TypeId::F32)  // raw copy: lets a NaN through on purpose
            std::memcpy(t.data.data(), values.data(), t.data.size());
        else
            quant::quantize(t.type, values.data(), t.data.data(), n / t.shape[0], t.shape[0],
                            nullptr);
    }
    return ts;
}

inline std::vector<std::string> tiny_vocab(int64_t n) {
    std::vector<std::string> v;
    for (int64_t i = 0; i < n; ++i) v.push_back("tok" + std::to_string(i));
    return v;
}

// Writes the model and returns its tensors (with their exact stored bytes).
inline std::vector<TinyTensor> write_tiny_model(const std::string& path,
                                                const TinyModelOptions& o = {}) {
    const std::string arch = o.n_expert > 0 ? "qwen3moe" : "llama";
    gguf::GgufWriter w(path);
    w.set("general.architecture", gguf::Value::string(arch));
    w.set("general.name", gguf::Value::string("tiny test model"));
    w.set(arch + ".context_length", gguf::Value::u32(128));
    w.set(arch + ".embedding_length", gguf::Value::u32(static_cast<uint32_t>(o.n_embd)));
    w.set(arch + ".block_count", gguf::Value::u32(static_cast<uint32_t>(o.n_layer)));
    w.set(arch + ".feed_forward_length", gguf::Value::u32(static_cast<uint32_t>(o.n_ff)));
    w.set(arch + ".attention.head_count", gguf::Value::u32(4));
    if (o.n_expert > 0) {
        w.set(arch + ".expert_count", gguf::Value::u32(static_cast<uint32_t>(o.n_expert)));
        w.set(arch + ".expert_used_count",
              gguf::Value::u32(static_cast<uint32_t>(o.n_expert_used)));
    }
    w.set("general.file_type", gguf::Value::u32(0));
    w.set("tokenizer.ggml.model", gguf::Value::string("llama"));
    w.set("tokenizer.ggml.tokens", gguf::Value::string_array(tiny_vocab(o.n_vocab)));
    auto ts = tiny_tensors(o);
    std::vector<const void*> data;
    for (const auto& t : ts) {
        w.add_tensor(t.name, t.type, t.shape);
        data.push_back(t.data.data());
    }
    w.write_all(data);
    return ts;
}

// A fresh directory for one test, removed afterwards.
class ScratchDir {
  public:
    ScratchDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string leaf = "ql_test_" + std::to_string(::getpid()) + "_" + info->test_suite_name() +
                           "_" + info->name();
        // Parameterised tests are named "Prefix/Suite" and "Test/Param": one flat directory.
        std::replace(leaf.begin(), leaf.end(), '/', '_');
        path_ = fs::temp_directory_path() / leaf;
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~ScratchDir() { fs::remove_all(path_); }
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

struct RunResult {
    int status = -1;
    std::string out, err;
    // stderr as lines (no trailing empty line).
    std::vector<std::string> err_lines() const {
        std::vector<std::string> lines;
        std::istringstream in(err);
        for (std::string l; std::getline(in, l);) lines.push_back(l);
        return lines;
    }
};

inline std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'')
            q.append("'\\''");
        else
            q.push_back(c);
    }
    q.push_back('\'');
    return q;
}

// Runs the shell command `cmd` with stdout and stderr captured (into files
// in `dir` that are removed afterwards).
inline RunResult run_shell(const std::string& shell_command, const ScratchDir& dir) {
    const std::string out = dir / "stdout.txt", err = dir / "stderr.txt";
    std::string cmd = "(" + shell_command + ")";
    cmd.append(" >").append(shell_quote(out)).append(" 2>").append(shell_quote(err));
    cmd.append(" </dev/null");
    RunResult r;
    const int raw = std::system(cmd.c_str());
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    fs::remove(out);
    fs::remove(err);
    return r;
}

// Runs `quantlab args...` with stdout and stderr captured.
inline RunResult run_quantlab(const std::vector<std::string>& args, const ScratchDir& dir) {
    std::string cmd = shell_quote(QL_BINARY);
    for (const auto& a : args) cmd.append(" ").append(shell_quote(a));
    return run_shell(cmd, dir);
}

inline std::vector<float> read_f32_file(const std::string& path) {
    const std::string bytes = slurp(path);
    std::vector<float> v(bytes.size() / sizeof(float));
    std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
    return v;
}

// Relative RMS error of `b` against `a`.
inline double relative_rmse(const std::vector<float>& a, const std::vector<float>& b) {
    double err = 0, ref = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        err += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        ref += double(a[i]) * a[i];
    }
    return ref > 0 ? std::sqrt(err / ref) : std::sqrt(err);
}

// Dequantizes a tensor of an open model.
inline std::vector<float> dequantized(const gguf::TensorInfo& t) {
    std::vector<float> v(static_cast<size_t>(t.n_elements()));
    quant::dequantize(t.type, t.data, v.data(), t.n_elements());
    return v;
}

}  // namespace ql::test
