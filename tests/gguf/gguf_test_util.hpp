// Helpers for the GGUF tests: scratch directories, reading files, and small
// models written with our writer.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "gguf/gguf.hpp"
#include "util/error.hpp"

namespace ql::test {

// A fresh directory under the system temp dir, removed when the object dies.
class ScratchDir {
  public:
    explicit ScratchDir(const std::string& tag) {
        static int counter = 0;
        path_ =
            std::filesystem::temp_directory_path() /
            ("ql_gguf_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path_))
            out.push_back(e.path().filename().string());
        return out;
    }

  private:
    std::filesystem::path path_;
};

inline std::vector<uint8_t> slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                                std::istreambuf_iterator<char>());
}

inline void spit(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

inline std::string source_dir() {
    return QL_SOURCE_DIR;
}
inline std::string shared_dir() {
    return QL_SHARED_DIR;
}

// A tensor to write: name, type, shape and its bytes (random, fixed seed).
struct TestTensor {
    std::string name;
    quant::TypeId type;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
};

inline std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng() >> 24);
    return b;
}

// A small model of mixed types (sizes not multiples of 32, so padding shows).
inline std::vector<TestTensor> sample_tensors() {
    struct Spec {
        const char* name;
        quant::TypeId type;
        std::vector<int64_t> shape;
        uint64_t bytes;
    };
    const std::vector<Spec> specs = {
        {"token_embd.weight", quant::TypeId::Q4_K, {256, 3}, 3 * 144},
        {"blk.0.attn_norm.weight", quant::TypeId::F32, {5}, 20},
        {"blk.0.attn_q.weight", quant::TypeId::Q8_0, {64, 2, 1}, 2 * 2 * 34},
        {"blk.0.ffn_down.weight", quant::TypeId::F16, {7, 3}, 42},
        {"output.weight", quant::TypeId::Q6_K, {256, 1, 2, 1}, 2 * 210},
    };
    std::vector<TestTensor> out;
    uint32_t seed = 1;
    for (const auto& s : specs)
        out.push_back({s.name, s.type, s.shape, random_bytes(s.bytes, seed++)});
    return out;
}

inline void set_sample_metadata(gguf::GgufWriter& w) {
    using gguf::Value;
    w.set("general.architecture", Value::string("llama"));
    w.set("general.name", Value::string("tiny test model"));
    w.set("llama.block_count", Value::u32(1));
    w.set("llama.rope.freq_base", Value::f32(10000.0f));
    w.set("llama.attention.layer_norm_rms_epsilon", Value::f32(1e-5f));
    w.set("general.file_type", Value::u32(15));
    w.set("tokenizer.ggml.tokens", Value::string_array({"<s>", "</s>", "a", "b", ""}));
    w.set("tokenizer.ggml.scores", Value::f32_array({0.0f, -1.5f, -2.0f, 3.25f, 0.0f}));
    w.set("tokenizer.ggml.token_type", Value::i32_array({3, 3, 1, 1, -1}));
    w.set("tokenizer.ggml.add_bos_token", Value::boolean(true));
    w.set("big.u64", Value::u64(0xfedcba9876543210ull));
}

// Writes the sample model to `path` with our writer.
inline void write_sample_model(const std::string& path, uint32_t alignment = 0) {
    gguf::GgufWriter w(path);
    set_sample_metadata(w);
    if (alignment) w.set("general.alignment", gguf::Value::u32(alignment));
    auto tensors = sample_tensors();
    std::vector<const void*> data;
    for (const auto& t : tensors) {
        w.add_tensor(t.name, t.type, t.shape);
        data.push_back(t.bytes.data());
    }
    w.write_all(data);
}

// Expects `fn` to throw ql::InputError whose message starts with `name + ": "`
// and contains `fragment`.
template <typename Fn>
void expect_input_error(Fn&& fn, const std::string& name, const std::string& fragment) {
    try {
        fn();
        ADD_FAILURE() << "no error; expected one mentioning '" << fragment << "'";
    } catch (const InputError& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.rfind(name + ": ", 0), 0u) << msg;
        EXPECT_NE(msg.find(fragment), std::string::npos) << "message: " << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
}

}  // namespace ql::test
