// `quantlab quantize`: output re-read and compared with the input weights,
// metadata written like llama-quantize, imatrix use, and refusals that leave
// no output file behind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alloc/imatrix.hpp"
#include "alloc/mix.hpp"
#include "cli/fixture.hpp"

namespace ql::test {
namespace {

TinyModelOptions small_model() {
    TinyModelOptions o;
    o.n_layer = 1;
    o.n_ff = 256;
    return o;
}

size_t files_in(const ScratchDir& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++n;
    return n;
}

struct TypeCase {
    const char* type;
    double max_rel_rmse;  // per 2-D matrix, on gaussian weights
};

class CliQuantizeType : public ::testing::TestWithParam<TypeCase> {};

TEST_P(CliQuantizeType, OutputDecodesCloseToTheInput) {
    const TypeCase c = GetParam();
    ScratchDir dir;
    const auto original = write_tiny_model(dir / "in.gguf", small_model());
    const RunResult r = run_quantlab(
        {"quantize", dir / "in.gguf", dir / "out.gguf", "--type", c.type, "--threads", "2"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto out = gguf::GgufFile::open(dir / "out.gguf");
    ASSERT_EQ(out.tensors().size(), original.size());
    const auto target = quant::find_type(c.type)->id;
    int n_matrices = 0;
    for (const auto& t : original) {
        const gguf::TensorInfo* q = out.find_tensor(t.name);
        ASSERT_NE(q, nullptr) << t.name;
        EXPECT_EQ(q->shape, t.shape);
        if (t.shape.size() == 1) {  // norms stay F32, byte for byte
            EXPECT_EQ(q->type, quant::TypeId::F32) << t.name;
            EXPECT_EQ(std::memcmp(q->data, t.data.data(), t.data.size()), 0) << t.name;
            continue;
        }
        std::vector<float> want(t.data.size() / sizeof(float));
        std::memcpy(want.data(), t.data.data(), t.data.size());
        const double err = relative_rmse(want, dequantized(*q));
        EXPECT_LT(err, c.max_rel_rmse) << t.name << " as " << quant::type_traits(q->type).name;
        EXPECT_GT(err, 0.0) << t.name;  // it really was quantized
        if (t.name.rfind("blk.", 0) == 0) {
            EXPECT_EQ(q->type, target) << t.name;
            ++n_matrices;
        }
    }
    EXPECT_EQ(n_matrices, 7);
    EXPECT_EQ(out.get_string("general.name"), "tiny test model");  // metadata copied
    EXPECT_EQ(out.get_int("general.quantization_version"), 2);
    if (const auto* mix = alloc::find_mix(c.type)) {
        EXPECT_EQ(out.get_int("general.file_type"), mix->ftype);
    }
    EXPECT_EQ(files_in(dir), 2u);  // no temporary left
}

INSTANTIATE_TEST_SUITE_P(Types, CliQuantizeType,
                         ::testing::Values(TypeCase{"Q8_0", 0.01}, TypeCase{"q6_k", 0.03},
                                           TypeCase{"Q4_K", 0.12}, TypeCase{"iq4_xs", 0.12}),
                         [](const auto& param_info) { return std::string(param_info.param.type); });

TEST(CliQuantize, JsonSummaryMatchesTheWrittenFile) {
    ScratchDir dir;
    write_tiny_model(dir / "in.gguf", small_model());
    const RunResult r = run_quantlab(
        {"quantize", dir / "in.gguf", dir / "out.gguf", "--mix", "q8_0", "--json"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const auto out = gguf::GgufFile::open(dir / "out.gguf");
    EXPECT_EQ(j["bytes_out"].get<uint64_t>(), out.tensor_bytes());
    EXPECT_EQ(j["tensors"].size(), out.tensors().size());
    EXPECT_EQ(j["ftype"].get<uint32_t>(), alloc::find_mix("Q8_0")->ftype);
    EXPECT_EQ(out.get_int("general.file_type"), alloc::find_mix("Q8_0")->ftype);
    EXPECT_NEAR(
        j["bpw_out"].get<double>(),
        static_cast<double>(out.tensor_bytes()) * 8.0 / static_cast<double>(out.n_elements()),
        1e-9);
    EXPECT_LT(j["bpw_out"].get<double>(), j["bpw_in"].get<double>());
}

TEST(CliQuantize, DryRunPrintsThePlanAndWritesNothing) {
    ScratchDir dir;
    const auto ts = write_tiny_model(dir / "in.gguf", small_model());
    const RunResult r = run_quantlab(
        {"quantize", dir / "in.gguf", dir / "out.gguf", "--mix", "Q4_K_M", "--dry-run"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.gguf"));
    EXPECT_EQ(files_in(dir), 1u);
    for (const auto& t : ts) EXPECT_NE(r.out.find(t.name), std::string::npos) << t.name;
    EXPECT_NE(r.out.find("Q4_K"), std::string::npos);
    EXPECT_NE(r.out.find("dry run"), std::string::npos);
}

TEST(CliQuantize, SameBitsWithOneOrTwoThreads) {
    ScratchDir dir;
    write_tiny_model(dir / "in.gguf", small_model());
    for (const char* threads : {"1", "2"}) {
        const RunResult r = run_quantlab(
            {"quantize", dir / "in.gguf", dir / (std::string("out") + threads + ".gguf"), "--type",
             "Q4_0", "--threads", threads},
            dir);
        ASSERT_EQ(r.status, 0) << r.err;
    }
    EXPECT_EQ(slurp(dir / "out1.gguf"), slurp(dir / "out2.gguf"));
}

TEST(CliQuantize, RequantizingWarnsAndWorks) {
    ScratchDir dir;
    TinyModelOptions o = small_model();
    o.weight_type = quant::TypeId::Q8_0;
    write_tiny_model(dir / "in.gguf", o);
    const RunResult r =
        run_quantlab({"quantize", dir / "in.gguf", dir / "out.gguf", "--type", "Q4_0"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find("warning: requantizing"), std::string::npos) << r.err;
    const auto out = gguf::GgufFile::open(dir / "out.gguf");
    EXPECT_EQ(out.find_tensor("blk.0.attn_q.weight")->type, quant::TypeId::Q4_0);
}

// The peer's imatrix (tests/data/imatrix) on the model it was computed for.
TEST(CliQuantize, PeerImatrixIsUsedPerExpertAndRecorded) {
    const std::string imatrix =
        std::string(QL_SOURCE_DIR) + "/tests/data/imatrix/tiny.imatrix.gguf";
    ScratchDir dir;
    RunResult r = run_quantlab({"generate",
                                "--arch",
                                "qwen3moe",
                                "-o",
                                dir / "in.gguf",
                                "--seed",
                                "7",
                                "--type",
                                "F32",
                                "--n-embd",
                                "256",
                                "--n-layer",
                                "1",
                                "--n-head",
                                "4",
                                "--n-head-kv",
                                "1",
                                "--head-dim",
                                "64",
                                "--n-vocab",
                                "300",
                                "--n-expert",
                                "4",
                                "--n-expert-used",
                                "2",
                                "--n-ff-exp",
                                "256"},
                               dir);
    ASSERT_EQ(r.status, 0) << r.err;
    r = run_quantlab(
        {"quantize", dir / "in.gguf", dir / "out.gguf", "--mix", "IQ2_XXS", "--imatrix", imatrix},
        dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto in = gguf::GgufFile::open(dir / "in.gguf");
    const auto out = gguf::GgufFile::open(dir / "out.gguf");
    EXPECT_EQ(out.get_string("quantize.imatrix.file"), imatrix);
    EXPECT_EQ(out.get_string("quantize.imatrix.dataset"), "calib.txt");
    const alloc::Imatrix m = alloc::load_imatrix(imatrix);
    EXPECT_EQ(out.get_int("quantize.imatrix.entries_count"),
              static_cast<int64_t>(m.entries.size()));
    EXPECT_EQ(out.get_int("quantize.imatrix.chunks_count"), m.n_chunks);
    // The expert stack's bytes are the library's quantization with each
    // expert's own importance row.
    const std::string name = "blk.0.ffn_up_exps.weight";
    const gguf::TensorInfo* q = out.find_tensor(name);
    ASSERT_NE(q, nullptr);
    ASSERT_TRUE(quant::type_traits(q->type).is_quantized);
    const std::vector<float> x = dequantized(*in.find_tensor(name));  // [4][256 rows][256]
    const std::vector<float>& imp = *m.find(name);                    // [4][256]
    const auto row = *quant::row_bytes(quant::type_traits(q->type), 256);
    std::vector<uint8_t> want(row * 256 * 4);
    for (int e = 0; e < 4; ++e)
        quant::quantize(q->type, x.data() + e * 256 * 256, want.data() + e * 256 * row, 256, 256,
                        imp.data() + e * 256);
    ASSERT_EQ(q->n_bytes, want.size());
    EXPECT_EQ(std::memcmp(q->data, want.data(), want.size()), 0);
}

TEST(CliQuantize, MixNeedingAnImatrixIsRefusedWithoutOne) {
    ScratchDir dir;
    write_tiny_model(dir / "in.gguf", small_model());
    const RunResult r =
        run_quantlab({"quantize", dir / "in.gguf", dir / "out.gguf", "--mix", "iq2_xxs"}, dir);
    EXPECT_EQ(r.status, 1);
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find("imatrix"), std::string::npos) << r.err;
    EXPECT_EQ(files_in(dir), 1u);
}

TEST(CliQuantize, UnknownTypeAndMixNamesGiveOneLine) {
    ScratchDir dir;
    write_tiny_model(dir / "in.gguf", small_model());
    for (const auto& [flag, name] : std::vector<std::pair<std::string, std::string>>{
             {"--type", "Q3_X"}, {"--mix", "Q4_K_Z"}, {"--type", "Q4_K_M"}, {"--mix", "Q4_K"}}) {
        const RunResult r =
            run_quantlab({"quantize", dir / "in.gguf", dir / "out.gguf", flag, name}, dir);
        EXPECT_EQ(r.status, 1) << flag << " " << name;
        ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
        EXPECT_NE(r.err.find("'" + name + "'"), std::string::npos) << r.err;
        EXPECT_EQ(files_in(dir), 1u);
    }
}

TEST(CliQuantize, NanInputFailsNamingTheTensorAndLeavesNoOutput) {
    ScratchDir dir;
    TinyModelOptions o = small_model();
    o.nan_tensor = "blk.0.ffn_up.weight";  // late in the file: earlier tensors get written
    write_tiny_model(dir / "in.gguf", o);
    const RunResult r =
        run_quantlab({"quantize", dir / "in.gguf", dir / "out.gguf", "--type", "Q8_0"}, dir);
    EXPECT_EQ(r.status, 2);
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find("blk.0.ffn_up.weight"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not finite"), std::string::npos) << r.err;
    EXPECT_EQ(files_in(dir), 1u);  // neither out.gguf nor its temporary
}

TEST(CliQuantize, BadFlagsAreUsageErrors) {
    ScratchDir dir;
    write_tiny_model(dir / "in.gguf", small_model());
    const std::string in = dir / "in.gguf", out = dir / "out.gguf";
    // CLI11 parse errors: exit status 2.
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"quantize", in, out, "--type", "Q8_0", "--threads", "0"},
             {"quantize", in, out, "--type", "Q8_0", "--mix", "Q8_0"},
             {"quantize", in, out, "--type", "Q8_0", "--no-such-flag"},
             {"quantize"}}) {
        const RunResult r = run_quantlab(args, dir);
        EXPECT_EQ(r.status, 2) << args.back() << ": " << r.err;
        EXPECT_FALSE(r.err.empty());
    }
    // Semantic problems: exit status 1, one line.
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"quantize", in, out},
             {"quantize", in, "--type", "Q8_0"},
             {"quantize", in, out, "--type", "Q8_0", "--override", "attn_q"},
             {"quantize", in, out, "--type", "Q8_0", "--override", "(=Q4_0"},
             {"quantize", in, out, "--type", "F32", "--override", "attn_q=Q4_0"},
             {"quantize", in, in, "--type", "Q8_0"}}) {
        const RunResult r = run_quantlab(args, dir);
        EXPECT_EQ(r.status, 1) << args.back() << ": " << r.err;
        EXPECT_EQ(r.err_lines().size(), 1u) << r.err;
    }
    EXPECT_EQ(files_in(dir), 1u);
}

}  // namespace
}  // namespace ql::test

namespace ql::test {
namespace {

TEST(CliCompareWeights, OverallErrorMatchesDirectComputation) {
    ScratchDir dir;
    const auto original = write_tiny_model(dir / "in.gguf", small_model());
    ASSERT_EQ(
        run_quantlab({"quantize", dir / "in.gguf", dir / "q.gguf", "--type", "Q4_0"}, dir).status,
        0);
    const RunResult same =
        run_quantlab({"compare-weights", dir / "in.gguf", dir / "in.gguf", "--json"}, dir);
    ASSERT_EQ(same.status, 0) << same.err;
    EXPECT_EQ(nlohmann::json::parse(same.out)["overall_rel_rmse"].get<double>(), 0.0);

    const RunResult r =
        run_quantlab({"compare-weights", dir / "in.gguf", dir / "q.gguf", "--json"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const auto q = gguf::GgufFile::open(dir / "q.gguf");
    double diff = 0, ref = 0;
    for (const auto& t : original) {
        std::vector<float> a(t.data.size() / sizeof(float));
        std::memcpy(a.data(), t.data.data(), t.data.size());
        const auto b = dequantized(*q.find_tensor(t.name));
        for (size_t i = 0; i < a.size(); ++i) {
            diff += (double(b[i]) - a[i]) * (double(b[i]) - a[i]);
            ref += double(a[i]) * a[i];
        }
    }
    EXPECT_NEAR(j["overall_rel_rmse"].get<double>(), std::sqrt(diff / ref), 1e-9);
    EXPECT_GT(j["overall_rel_rmse"].get<double>(), 0.01);
    EXPECT_EQ(j["tensors"].size(), original.size());
}

}  // namespace
}  // namespace ql::test

namespace ql::test {
namespace {

TEST(CliQuantize, RepeatedOverridesEachTakeOneValue) {
    ScratchDir dir;
    write_tiny_model(dir / "in.gguf", small_model());
    // The output name after the overrides must stay a positional argument.
    const RunResult r =
        run_quantlab({"quantize", dir / "in.gguf", "--override", "ffn_.*=q4_0", "--override",
                      "attn_q=Q5_0", dir / "out.gguf", "--type", "Q8_0", "--dry-run", "--json"},
                     dir);
    ASSERT_EQ(r.status, 0) << r.err;
    std::map<std::string, std::string> to;
    const auto j = nlohmann::json::parse(r.out);
    for (const auto& t : j["tensors"])
        to[t["name"].get<std::string>()] = t["to"].get<std::string>();
    EXPECT_EQ(to["blk.0.ffn_up.weight"], "Q4_0");
    EXPECT_EQ(to["blk.0.attn_q.weight"], "Q5_0");
    EXPECT_EQ(to["blk.0.attn_k.weight"], "Q8_0");
    EXPECT_FALSE(fs::exists(dir / "out.gguf"));
}

}  // namespace
}  // namespace ql::test
