// Quantization plans against llama.cpp's llama-quantize: the goldens in
// tests/data/mix (made by make_goldens.sh from the peer) list, for synthetic
// models of every architecture and every preset, the type llama-quantize
// chose for each tensor. The models are regenerated here with the same
// generator arguments and seed, planned, and compared tensor by tensor.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "alloc/mix.hpp"
#include "gguf/gguf.hpp"
#include "model/synth.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using ql::alloc::Plan;
using ql::alloc::PlanOptions;
using ql::quant::TypeId;

namespace {

const fs::path kGoldenDir = fs::path(QL_SOURCE_DIR) / "tests/data/mix";

fs::path scratch_dir() {
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("ql_test_mix_" + std::to_string(getpid()));
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

struct ScratchCleanup : ::testing::Environment {
    void TearDown() override { fs::remove_all(scratch_dir()); }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep)) out.push_back(cur);
    return out;
}

std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

TypeId type_named(const std::string& name) {
    const auto* t = ql::quant::find_type(name);
    if (!t) throw std::runtime_error("unknown type " + name);
    return t->id;
}

// Generates a model with the CLI, exactly as make_goldens.sh did.
fs::path generate_model(const std::string& name, const std::string& args) {
    const fs::path out = scratch_dir() / (name + ".gguf");
    if (fs::exists(out)) return out;
    const std::string cmd = std::string(QL_BINARY) + " generate " + args + " --seed 7 -o " +
                            out.string() + " > /dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
    return out;
}

struct GoldenRow {
    std::string name, shape, from, to;
};

struct Golden {
    std::string preset, args, error;
    bool imatrix = false, requires_imatrix = false;
    std::vector<GoldenRow> rows;
};

Golden read_golden(const fs::path& path) {
    Golden g;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# ", 0) == 0) {
            const auto colon = line.find(": ");
            const std::string key = line.substr(2, colon - 2);
            const std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
            if (key == "preset") g.preset = value;
            if (key == "imatrix") g.imatrix = value == "1";
            if (key == "args") g.args = value;
            if (key == "requires_imatrix") g.requires_imatrix = value == "1";
            if (key == "error") g.error = value;
            continue;
        }
        const auto f = split(line, '\t');
        if (f.size() == 4) g.rows.push_back({f[0], f[1], f[2], f[3]});
    }
    return g;
}

// llama-quantize's options as PlanOptions (it lower-cases --tensor-type patterns).
PlanOptions options_for(const Golden& g) {
    PlanOptions o;
    o.mix = g.preset;
    o.has_imatrix = g.imatrix;
    const auto w = words(g.args);
    for (size_t i = 0; i < w.size(); ++i) {
        if (w[i] == "--pure") o.pure = true;
        if (i + 1 >= w.size()) continue;
        if (w[i] == "--output-tensor-type") o.output_type = type_named(w[i + 1]);
        if (w[i] == "--token-embedding-type") o.token_embedding_type = type_named(w[i + 1]);
        if (w[i] == "--tensor-type") {
            const auto eq = w[i + 1].rfind('=');
            std::string pattern = w[i + 1].substr(0, eq);
            for (auto& ch : pattern) ch = static_cast<char>(std::tolower(ch));
            o.overrides.emplace_back(pattern, type_named(w[i + 1].substr(eq + 1)));
        }
    }
    return o;
}

std::string shape_text(const std::vector<int64_t>& shape) {
    std::vector<int64_t> s = shape;
    while (s.size() > 1 && s.back() == 1) s.pop_back();
    std::ostringstream out;
    for (size_t i = 0; i < s.size(); ++i) out << (i ? "x" : "") << s[i];
    return out.str();
}

struct Agreement {
    int64_t matched = 0, total = 0, runs = 0;
};

// Compares one golden run; returns matched/total tensors and adds failures.
void check_golden(const ql::gguf::GgufFile& model, const fs::path& path, Agreement& agreement) {
    SCOPED_TRACE(path.string());
    const Golden g = read_golden(path);
    ASSERT_FALSE(g.preset.empty());
    PlanOptions options = options_for(g);
    ++agreement.runs;
    if (!g.error.empty()) {
        EXPECT_THROW(ql::alloc::plan_quantization(model, options), ql::Error) << g.error;
        return;
    }
    if (g.requires_imatrix) {  // without one the plan must be refused, as llama-quantize does
        PlanOptions bare = options;
        bare.has_imatrix = false;
        EXPECT_THROW(ql::alloc::plan_quantization(model, bare), ql::Error);
    }
    const Plan plan = ql::alloc::plan_quantization(model, options);
    std::map<std::string, const ql::alloc::PlannedTensor*> by_name;
    for (const auto& t : plan.tensors) by_name[t.name] = &t;
    EXPECT_EQ(g.rows.size(), plan.tensors.size());
    for (const auto& row : g.rows) {
        ++agreement.total;
        const auto it = by_name.find(row.name);
        if (it == by_name.end()) {
            ADD_FAILURE() << "tensor " << row.name << " not in the plan";
            continue;
        }
        const auto& p = *it->second;
        const std::string from(ql::quant::type_traits(p.from).name);
        const std::string to(ql::quant::type_traits(p.to).name);
        const bool same = shape_text(p.shape) == row.shape && from == row.from && to == row.to;
        if (same) {
            ++agreement.matched;
        } else {
            ADD_FAILURE() << row.name << ": llama.cpp " << row.shape << " " << row.from << " -> "
                          << row.to << ", quantlab " << shape_text(p.shape) << " " << from << " -> "
                          << to << " (" << p.note << ")";
        }
    }
}

struct ModelSpec {
    std::string name, args;
};

std::vector<ModelSpec> golden_models() {
    std::vector<ModelSpec> out;
    std::ifstream in(kGoldenDir / "models.tsv");
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        const auto tab = line.find('\t');
        out.push_back({line.substr(0, tab), line.substr(tab + 1)});
    }
    return out;
}

}  // namespace

TEST(Mix, AgreesWithLlamaQuantizeOnEveryGolden) {
    const auto models = golden_models();
    ASSERT_GE(models.size(), 5u) << "missing " << (kGoldenDir / "models.tsv");
    std::map<std::string, Agreement> per_arch;
    for (const auto& spec : models) {
        SCOPED_TRACE(spec.name);
        const auto model = ql::gguf::GgufFile::open(generate_model(spec.name, spec.args).string());
        std::vector<fs::path> goldens;
        for (const auto& e : fs::directory_iterator(kGoldenDir / spec.name))
            if (e.path().extension() == ".tsv") goldens.push_back(e.path());
        ASSERT_GE(goldens.size(), 30u);
        std::sort(goldens.begin(), goldens.end());
        Agreement& a = per_arch[model.architecture()];
        for (const auto& g : goldens) check_golden(model, g, a);
    }
    for (const auto& [arch, a] : per_arch) {
        std::printf("[ mix      ] %-9s %lld/%lld tensors match llama-quantize over %lld runs\n",
                    arch.c_str(), static_cast<long long>(a.matched),
                    static_cast<long long>(a.total), static_cast<long long>(a.runs));
        EXPECT_EQ(a.matched, a.total) << arch;
    }
    EXPECT_EQ(per_arch.size(), 5u);
}

// ---- properties that do not need the goldens ----

namespace {

// A small llama whose ffn_down rows (400) fit neither 256- nor 32-blocks and
// whose other rows (384) fit 32-blocks only.
const ql::gguf::GgufFile& odd_llama() {
    static const ql::gguf::GgufFile model = [] {
        auto c = ql::model::default_synth_config("llama");
        c.n_embd = 384;
        c.n_head = 6;
        c.n_head_kv = 6;
        c.head_dim = 64;
        c.n_ff = 400;
        c.n_layer = 2;
        c.n_vocab = 512;
        const auto path = scratch_dir() / "odd_llama.gguf";
        ql::model::write_synthetic_model(c, path.string());
        return ql::gguf::GgufFile::open(path.string());
    }();
    return model;
}

const ql::gguf::GgufFile& plain_llama() {
    static const ql::gguf::GgufFile model = [] {
        auto c = ql::model::default_synth_config("llama");
        c.n_layer = 2;
        const auto path = scratch_dir() / "plain_llama.gguf";
        ql::model::write_synthetic_model(c, path.string());
        return ql::gguf::GgufFile::open(path.string());
    }();
    return model;
}

const ql::alloc::PlannedTensor& planned(const Plan& plan, const std::string& name) {
    for (const auto& t : plan.tensors)
        if (t.name == name) return t;
    throw std::runtime_error("no tensor " + name);
}

}  // namespace

TEST(Mix, PresetLookupIsCaseInsensitiveAndComplete) {
    ASSERT_NE(ql::alloc::find_mix("q4_k_m"), nullptr);
    EXPECT_EQ(ql::alloc::find_mix("q4_k_m")->name, "Q4_K_M");
    EXPECT_EQ(ql::alloc::find_mix("Q4_K_M")->ftype, 15u);
    EXPECT_EQ(ql::alloc::find_mix("Q4_K_XL"), nullptr);
    for (const char* name :
         {"Q2_K",   "Q2_K_S",  "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S",   "Q4_K_M", "Q5_K_S",
          "Q5_K_M", "Q6_K",    "Q8_0",   "Q4_0",   "Q4_1",   "Q5_0",     "Q5_1",   "IQ4_XS",
          "IQ4_NL", "TQ1_0",   "TQ2_0",  "IQ1_S",  "IQ1_M",  "IQ2_XXS",  "IQ2_XS", "IQ2_S",
          "IQ2_M",  "IQ3_XXS", "IQ3_XS", "IQ3_S",  "IQ3_M",  "MXFP4_MOE"})
        EXPECT_NE(ql::alloc::find_mix(name), nullptr) << name;
    EXPECT_TRUE(ql::alloc::find_mix("IQ2_XXS")->requires_imatrix);
    EXPECT_FALSE(ql::alloc::find_mix("Q4_K_M")->requires_imatrix);
}

TEST(Mix, UniformTypeQuantizesEveryMatrixAndFallsBackByShape) {
    const auto& model = odd_llama();
    PlanOptions o;
    o.type = TypeId::Q4_K;
    const Plan plan = ql::alloc::plan_quantization(model, o);
    EXPECT_EQ(plan.ftype, 14u);  // Q4_K_S names a mostly-Q4_K file
    uint64_t sum = 0;
    for (const auto& t : plan.tensors) {
        sum += t.bytes_out;
        if (t.shape.size() == 1) {
            EXPECT_EQ(t.to, TypeId::F32) << t.name;
        } else if (t.shape[0] == 400) {
            EXPECT_EQ(t.to, TypeId::F16) << t.name;  // 400 fits neither 256 nor 32
            EXPECT_NE(t.note.find("fallback"), std::string::npos);
        } else {
            EXPECT_EQ(t.to, TypeId::Q5_0) << t.name;  // Q4_K's 32-block stand-in
        }
    }
    EXPECT_EQ(sum, plan.bytes_out);
    EXPECT_LT(plan.bytes_out, plan.bytes_in);
    EXPECT_EQ(planned(plan, "blk.0.attn_q.weight").bytes_out, 384u * 384u / 32u * 22u);
}

TEST(Mix, OverridesTakeTheFirstMatchingPattern) {
    const auto& model = odd_llama();
    PlanOptions o;
    o.mix = "Q8_0";
    o.overrides = {{"attn_(q|k)", TypeId::Q4_0}, {"attn_q", TypeId::Q5_1}};
    o.output_type = TypeId::F16;
    o.token_embedding_type = TypeId::Q6_K;  // taken as given: no shape fallback (as llama.cpp)
    EXPECT_THROW(ql::alloc::plan_quantization(model, o), ql::Error);  // 384 is not 256-blocks
    o.token_embedding_type = TypeId::Q4_1;
    const Plan plan = ql::alloc::plan_quantization(model, o);
    EXPECT_EQ(planned(plan, "blk.1.attn_q.weight").to, TypeId::Q4_0);
    EXPECT_EQ(planned(plan, "blk.1.attn_k.weight").to, TypeId::Q4_0);
    EXPECT_EQ(planned(plan, "blk.1.attn_v.weight").to, TypeId::Q8_0);
    EXPECT_EQ(planned(plan, "output.weight").to, TypeId::F16);
    EXPECT_EQ(planned(plan, "token_embd.weight").to, TypeId::Q4_1);
    EXPECT_EQ(planned(plan, "blk.0.attn_norm.weight").to, TypeId::F32);
}

TEST(Mix, RefusesBadOptionCombinations) {
    const auto& model = odd_llama();
    PlanOptions none;
    EXPECT_THROW(ql::alloc::plan_quantization(model, none), ql::Error);
    PlanOptions both;
    both.mix = "Q4_K_M";
    both.type = TypeId::Q4_K;
    EXPECT_THROW(ql::alloc::plan_quantization(model, both), ql::Error);
    PlanOptions unknown;
    unknown.mix = "Q9_K";
    EXPECT_THROW(ql::alloc::plan_quantization(model, unknown), ql::Error);
    // IQ2_XXS needs an imatrix only where a tensor really gets a 2-bit IQ type:
    // on the odd model every matrix falls back to IQ4_NL.
    PlanOptions needs_imatrix;
    needs_imatrix.mix = "IQ2_XXS";
    EXPECT_NO_THROW(ql::alloc::plan_quantization(model, needs_imatrix));
    const auto& plain = plain_llama();
    EXPECT_THROW(ql::alloc::plan_quantization(plain, needs_imatrix), ql::Error);
    needs_imatrix.has_imatrix = true;
    EXPECT_NO_THROW(ql::alloc::plan_quantization(plain, needs_imatrix));
    PlanOptions bad_regex;
    bad_regex.mix = "Q4_0";
    bad_regex.overrides = {{"attn_(", TypeId::Q8_0}};
    EXPECT_THROW(ql::alloc::plan_quantization(model, bad_regex), ql::Error);
}
