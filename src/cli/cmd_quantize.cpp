// quantlab quantize IN.gguf OUT.gguf (--type T | --mix NAME) [...]: plan the
// type of every tensor (alloc/mix.hpp), then convert and write the model
// (alloc/quantize_model.hpp). --dry-run shows the plan and writes nothing.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "alloc/imatrix.hpp"
#include "alloc/mix.hpp"
#include "alloc/quantize_model.hpp"
#include "cli/commands.hpp"
#include "cli/model_summary.hpp"
#include "gguf/gguf.hpp"
#include "util/error.hpp"
#include "util/threads.hpp"

namespace ql::cli {

namespace {

struct QuantizeArgs {
    std::string input, output;
    std::string type, mix, imatrix, output_tensor_type, token_embedding_type;
    std::vector<std::string> overrides;
    bool pure = false, dry_run = false, json = false;
    int threads = 0;  // 0: one per core
};

std::string known_type_names() {
    std::vector<std::string_view> names;
    for (const auto& t : quant::all_types())
        if (t.is_quantized || t.id == quant::TypeId::F32 || t.id == quant::TypeId::F16 ||
            t.id == quant::TypeId::BF16)
            names.push_back(t.name);
    return fmt::format("{}", fmt::join(names, ", "));
}

std::string known_mix_names() {
    std::vector<std::string> names;
    for (const auto& m : alloc::mix_presets()) names.push_back(m.name);
    return fmt::format("{}", fmt::join(names, ", "));
}

quant::TypeId parse_type(const std::string& name, std::string_view flag) {
    if (const auto* t = quant::find_type(name)) return t->id;
    if (alloc::find_mix(name))
        fail("{}: '{}' is a mix, not a tensor type (use --mix {})", flag, name, name);
    fail("{}: unknown tensor type '{}' (known: {})", flag, name, known_type_names());
}

// "REGEX=TYPE", split at the last '=' (a regex may contain '=' itself).
std::pair<std::string, quant::TypeId> parse_override(const std::string& spec) {
    const size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
        fail("--override: expected REGEX=TYPE, got '{}'", spec);
    std::string pattern = spec.substr(0, eq);
    try {
        std::regex check(pattern);
    } catch (const std::regex_error& e) {
        fail("--override: invalid regular expression '{}': {}", pattern, e.what());
    }
    return {pattern, parse_type(spec.substr(eq + 1), "--override")};
}

alloc::PlanOptions plan_options(const QuantizeArgs& args, bool has_imatrix) {
    alloc::PlanOptions o;
    if (args.type.empty() == args.mix.empty())
        fail("quantize: give exactly one of --type and --mix");
    if (!args.type.empty()) o.type = parse_type(args.type, "--type");
    if (!args.mix.empty()) {
        const alloc::MixPreset* preset = alloc::find_mix(args.mix);
        if (!preset) {
            if (quant::find_type(args.mix))
                fail("--mix: '{}' is a tensor type, not a mix (use --type {})", args.mix, args.mix);
            fail("--mix: unknown mix '{}' (known: {})", args.mix, known_mix_names());
        }
        o.mix = preset->name;
    }
    if (!args.output_tensor_type.empty())
        o.output_type = parse_type(args.output_tensor_type, "--output-tensor-type");
    if (!args.token_embedding_type.empty())
        o.token_embedding_type = parse_type(args.token_embedding_type, "--token-embedding-type");
    for (const auto& spec : args.overrides) o.overrides.push_back(parse_override(spec));
    o.pure = args.pure;
    o.has_imatrix = has_imatrix;
    return o;
}

double mib(uint64_t bytes) {
    return static_cast<double>(bytes) / 1048576.0;
}

double bits_per_weight(uint64_t bytes, uint64_t n_params) {
    return n_params ? static_cast<double>(bytes) * 8.0 / static_cast<double>(n_params) : 0.0;
}

void print_plan_table(const alloc::Plan& plan) {
    size_t name_width = 4, shape_width = 5;
    for (const auto& t : plan.tensors) {
        name_width = std::max(name_width, t.name.size());
        shape_width = std::max(shape_width, shape_to_string(t.shape).size());
    }
    fmt::print("{:<{}}  {:<{}}  {:<7}  {:<7}  {:>10}\n", "name", name_width, "shape", shape_width,
               "from", "to", "MiB");
    for (const auto& t : plan.tensors) {
        fmt::print("{:<{}}  {:<{}}  {:<7}  {:<7}  {:>10.3f}{}\n", t.name, name_width,
                   shape_to_string(t.shape), shape_width, quant::type_traits(t.from).name,
                   quant::type_traits(t.to).name, mib(t.bytes_out),
                   t.note.empty() ? "" : "  (" + t.note + ")");
    }
}

nlohmann::json plan_json(const alloc::Plan& plan) {
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& t : plan.tensors)
        tensors.push_back({{"name", t.name},
                           {"shape", t.shape},
                           {"from", std::string(quant::type_traits(t.from).name)},
                           {"to", std::string(quant::type_traits(t.to).name)},
                           {"bytes", t.bytes_out},
                           {"note", t.note}});
    return tensors;
}

void warn(const std::string& message) {
    std::fprintf(stderr, "quantlab: warning: %s\n", message.c_str());
}

struct Outcome {
    uint64_t bytes_in = 0, bytes_out = 0;
    double seconds = 0;
    int64_t n_requantized = 0;
};

void report(const QuantizeArgs& args, const gguf::GgufFile& model, const alloc::Plan& plan,
            const Outcome& outcome) {
    const uint64_t n_params = model.n_elements();
    const double bpw_in = bits_per_weight(outcome.bytes_in, n_params);
    const double bpw_out = bits_per_weight(outcome.bytes_out, n_params);
    if (args.json) {
        nlohmann::json j = {
            {"input", args.input},
            {"output", args.dry_run ? nlohmann::json(nullptr) : nlohmann::json(args.output)},
            {"dry_run", args.dry_run},
            {"ftype", plan.ftype},
            {"n_params", n_params},
            {"bytes_in", outcome.bytes_in},
            {"bytes_out", outcome.bytes_out},
            {"bpw_in", bpw_in},
            {"bpw_out", bpw_out},
            {"seconds", outcome.seconds},
            {"n_requantized", outcome.n_requantized},
            {"tensors", plan_json(plan)}};
        fmt::print("{}\n", j.dump(2));
        return;
    }
    if (args.dry_run) print_plan_table(plan);
    fmt::print("{}: {:.2f} MiB ({:.4f} bits/weight) -> {:.2f} MiB ({:.4f} bits/weight){}\n",
               args.dry_run ? "planned size" : args.output, mib(outcome.bytes_in), bpw_in,
               mib(outcome.bytes_out), bpw_out,
               args.dry_run ? " [dry run: nothing written]"
                            : fmt::format(" in {:.2f} s", outcome.seconds));
}

void run_quantize(const QuantizeArgs& args) {
    if (!args.dry_run && args.output.empty())
        fail("quantize: OUT.gguf is required (or use --dry-run)");
    if (args.threads < 0) fail("--threads: must be >= 1");
    std::error_code ec;  // e.g. a missing input: reported by the reader below
    if (!args.output.empty() && std::filesystem::equivalent(args.input, args.output, ec))
        fail("quantize: the output {} is the input file", args.output);

    const gguf::GgufFile model = gguf::GgufFile::open(args.input);
    std::optional<alloc::Imatrix> imatrix;
    if (!args.imatrix.empty()) imatrix = alloc::load_imatrix(args.imatrix);
    const alloc::Plan plan =
        alloc::plan_quantization(model, plan_options(args, imatrix.has_value()));

    Outcome outcome;
    if (args.dry_run) {
        try {
            alloc::check_plan(model, plan, imatrix ? &*imatrix : nullptr);
        } catch (const Error& e) {
            warn(fmt::format("the real run would fail: {}", e.what()));
        }
        outcome.bytes_in = plan.bytes_in;
        outcome.bytes_out = plan.bytes_out;
    } else {
        alloc::QuantizeModelOptions options;
        options.n_threads = args.threads > 0 ? args.threads : default_thread_count();
        options.imatrix = imatrix ? &*imatrix : nullptr;
        if (imatrix) options.extra_metadata = alloc::imatrix_metadata(*imatrix);
        options.warn = warn;
        const auto r = alloc::quantize_model(model, plan, args.output, options);
        outcome = {r.bytes_in, r.bytes_out, r.seconds, r.n_requantized};
    }
    report(args, model, plan, outcome);
}

}  // namespace

void register_quantize(CLI::App& app, int& status) {
    auto a = std::make_shared<QuantizeArgs>();
    auto* cmd = app.add_subcommand("quantize", "Quantize a model to a type or a mix preset");
    cmd->add_option("input", a->input, "Input GGUF model")->required();
    cmd->add_option("output", a->output, "Output GGUF file (not needed with --dry-run)");
    auto* type = cmd->add_option("--type", a->type, "Every weight matrix to this type, e.g. Q4_K");
    auto* mix = cmd->add_option("--mix", a->mix, "A llama.cpp mix preset, e.g. Q4_K_M");
    type->excludes(mix);
    mix->excludes(type);
    cmd->add_option("--imatrix", a->imatrix, "Importance matrix (GGUF or legacy .dat)");
    cmd->add_option("--override", a->overrides, "REGEX=TYPE: tensors matching REGEX get TYPE")
        ->allow_extra_args(false);  // one REGEX=TYPE per --override; repeat the flag
    cmd->add_option("--output-tensor-type", a->output_tensor_type, "Type of output.weight");
    cmd->add_option("--token-embedding-type", a->token_embedding_type, "Type of token_embd.weight");
    cmd->add_flag("--pure", a->pure, "No per-tensor mix adjustments");
    cmd->add_flag("--dry-run", a->dry_run, "Print the plan and final size, write nothing");
    cmd->add_option("--threads", a->threads, "Threads (default: one per core)")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--json", a->json, "Print a JSON summary");
    cmd->callback([a, &status] {
        run_quantize(*a);
        status = 0;
    });
    // Its benchmark companion; registered here until main.cpp lists it itself.
}

}  // namespace ql::cli
