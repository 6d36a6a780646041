// quantlab info MODEL.gguf [--json]: what a model is and what it costs —
// architecture, parameters (active per token for MoE), tensor types, bits per
// weight, effective capacity, context, vocabulary and the metadata.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/model_summary.hpp"
#include "gguf/gguf.hpp"
#include "util/error.hpp"

namespace ql::cli {

namespace {

struct InfoArgs {
    std::string model;
    bool json = false;
};

nlohmann::json optional_json(const std::optional<int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json info_json(const gguf::GgufFile& model, const ModelSummary& s) {
    nlohmann::json metadata = nlohmann::json::object();
    for (const auto& [key, value] : model.metadata()) metadata[key] = value_to_json(value);
    return {{"file", model.path()},
            {"n_files", model.n_files()},
            {"gguf_version", model.version()},
            {"architecture", s.architecture},
            {"n_params", s.n_params},
            {"n_params_active", s.n_params_active},
            {"n_expert", optional_json(s.n_expert)},
            {"n_expert_used", optional_json(s.n_expert_used)},
            {"tensor_bytes", s.tensor_bytes},
            {"bytes_per_token", s.bytes_per_token},
            {"bpw", s.bpw},
            {"capacity_gbit", s.capacity_gbit},
            {"n_tensors", model.tensors().size()},
            {"tensor_types", s.tensor_types},
            {"context_length", optional_json(s.context_length)},
            {"n_vocab", optional_json(s.n_vocab)},
            {"metadata", metadata}};
}

void print_row(std::string_view label, const std::string& value) {
    fmt::print("{:<16}{}\n", label, value);
}

std::string optional_text(const std::optional<int64_t>& v) {
    return v ? fmt::format("{}", *v) : "(unknown)";
}

void print_info_text(const gguf::GgufFile& model, const ModelSummary& s) {
    print_row("file", model.n_files() > 1
                          ? fmt::format("{} ({} parts)", model.path(), model.n_files())
                          : model.path());
    print_row("architecture", s.architecture.empty() ? "(not set)" : s.architecture);
    print_row("parameters",
              fmt::format("{} ({})", si_count(static_cast<double>(s.n_params)), s.n_params));
    if (s.n_params_active != s.n_params)
        print_row("active/token",
                  fmt::format("{} ({}; {} of {} experts per token)",
                              si_count(static_cast<double>(s.n_params_active)), s.n_params_active,
                              s.n_expert_used.value_or(0), s.n_expert.value_or(0)));
    std::string types;
    for (const auto& [name, count] : s.tensor_types)
        types += fmt::format("{}{} {}", types.empty() ? "" : ", ", name, count);
    print_row("tensors", fmt::format("{} ({})", model.tensors().size(), types));
    print_row("tensor data",
              fmt::format("{:.2f} MiB", static_cast<double>(s.tensor_bytes) / 1048576.0));
    print_row("read/token", fmt::format("{:.2f} MiB of weights per generated token",
                                        static_cast<double>(s.bytes_per_token) / 1048576.0));
    print_row("bits/weight", fmt::format("{:.4f}", s.bpw));
    print_row("capacity", fmt::format("{:.4f} Gbit (parameters x bits/weight)", s.capacity_gbit));
    print_row("context length", optional_text(s.context_length));
    print_row("vocabulary", optional_text(s.n_vocab));
    fmt::print("\nmetadata ({} keys)\n", model.metadata().size());
    size_t key_width = 0;
    for (const auto& [key, value] : model.metadata()) key_width = std::max(key_width, key.size());
    for (const auto& [key, value] : model.metadata()) {
        const std::string type = value.type == gguf::ValueType::ARRAY
                                     ? "array"
                                     : std::string(gguf::value_type_name(value.type));
        fmt::print("  {:<{}}  {:<7}  {}\n", key, key_width, type, value_to_text(value));
    }
}

void run_info(const InfoArgs& args) {
    const gguf::GgufFile model = gguf::GgufFile::open(args.model);
    const ModelSummary summary = summarize(model);
    if (args.json)
        fmt::print("{}\n", info_json(model, summary).dump(2));
    else
        print_info_text(model, summary);
}

}  // namespace

void register_info(CLI::App& app, int& status) {
    auto args = std::make_shared<InfoArgs>();
    auto* cmd = app.add_subcommand(
        "info", "Describe a model: parameters, tensor types, bits per weight, metadata");
    cmd->add_option("model", args->model, "GGUF file (any part of a split model)")->required();
    cmd->add_flag("--json", args->json, "Print JSON instead of a table");
    cmd->callback([args, &status] {
        run_info(*args);
        status = 0;
    });
}

}  // namespace ql::cli
