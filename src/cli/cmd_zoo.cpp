// quantlab zoo [--dir zoo] [--verify] [--json]: the trained model zoo — which
// presets are trained, training or missing, their sizes, tokens seen, tokens
// per parameter and held-out loss per domain; --verify checks each trained
// model against zoo/SHA256SUMS (exit 1 on a mismatch).
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "train/zoo.hpp"
#include "util/error.hpp"

namespace ql::cli {

namespace {

struct ZooArgs {
    std::string dir = "zoo";
    bool verify = false;
    bool json = false;
};

// "ok", "MISMATCH", "unlisted" or "" (not verified / not trained).
std::string verify_entry(const train::ZooEntry& e, bool verify) {
    if (!verify || e.state != train::ZooState::Trained) return "";
    if (e.sha256.empty()) return "unlisted";
    return train::file_sha256(e.model) == e.sha256 ? "ok" : "MISMATCH";
}

nlohmann::json entry_json(const train::ZooEntry& e, const std::string& check) {
    const train::Preset& p = *e.preset;
    nlohmann::json domains = nlohmann::json::object();
    for (const auto& d : e.val_by_domain) domains[d.domain] = d.loss;
    const auto opt = [](const std::optional<double>& v) {
        return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    nlohmann::json j = {
        {"name", p.name},
        {"arch", p.arch},
        {"moe", p.moe()},
        {"params", p.n_params()},
        {"active_params", p.n_active_params()},
        {"state", train::zoo_state_name(e.state)},
        {"model", e.model},
        {"steps", p.steps},
        {"steps_done", e.steps_done},
        {"tokens", e.tokens},
        {"tokens_per_param", static_cast<double>(e.tokens) / static_cast<double>(p.n_params())},
        {"initial_val_loss", opt(e.initial_val_loss)},
        {"val_loss", opt(e.val_loss)},
        {"val_loss_by_domain", domains},
        {"seconds", e.seconds},
        {"sha256", e.sha256}};
    if (!check.empty()) j["sha256_check"] = check;
    return j;
}

std::string millions(double v) {
    return fmt::format("{:.2f}M", v / 1e6);
}

void print_table(const std::string& dir, const std::vector<train::ZooEntry>& zoo,
                 const std::vector<std::string>& checks) {
    int trained = 0;
    for (const auto& e : zoo) trained += e.state == train::ZooState::Trained;
    fmt::print("zoo {}: {} of {} presets trained\n", dir, trained, zoo.size());
    fmt::print("{:<5} {:<9} {:>7} {:>7} {:>7} {:>9} {:>9}  {:<36} {}\n", "model", "arch", "params",
               "active", "tokens", "tok/param", "held-out", "by domain", "state");
    for (size_t i = 0; i < zoo.size(); ++i) {
        const auto& e = zoo[i];
        const train::Preset& p = *e.preset;
        std::string domains;
        for (const auto& d : e.val_by_domain)
            domains += fmt::format("{} {:.3f}  ", d.domain, d.loss);
        std::string state = train::zoo_state_name(e.state);
        if (e.state == train::ZooState::Training)
            state += fmt::format(" (step {}/{})", e.steps_done, p.steps);
        if (!checks[i].empty()) state += ", sha256 " + checks[i];
        const bool any = e.state != train::ZooState::Missing;
        fmt::print("{:<5} {:<9} {:>7} {:>7} {:>7} {:>9} {:>9}  {:<36} {}\n", p.name, p.arch,
                   millions(static_cast<double>(p.n_params())),
                   millions(static_cast<double>(p.n_active_params())),
                   any ? millions(static_cast<double>(e.tokens)) : "-",
                   any ? fmt::format("{:.1f}", static_cast<double>(e.tokens) /
                                                   static_cast<double>(p.n_params()))
                       : "-",
                   e.val_loss ? fmt::format("{:.3f}", *e.val_loss) : "-", domains, state);
    }
}

int run_zoo(const ZooArgs& a) {
    const auto zoo = train::scan_zoo(a.dir);
    std::vector<std::string> checks;
    std::string failed;  // "xs (MISMATCH), s (unlisted)"
    for (const auto& e : zoo) {
        checks.push_back(verify_entry(e, a.verify));
        if (!checks.back().empty() && checks.back() != "ok")
            failed += (failed.empty() ? "" : ", ") + e.preset->name + " (" + checks.back() + ")";
    }
    if (a.json) {
        nlohmann::json j = nlohmann::json::array();
        for (size_t i = 0; i < zoo.size(); ++i) j.push_back(entry_json(zoo[i], checks[i]));
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        print_table(a.dir, zoo, checks);
    }
    if (!failed.empty()) {
        std::fprintf(stderr, "quantlab: zoo: not as in %s/SHA256SUMS: %s\n", a.dir.c_str(),
                     failed.c_str());
        return 1;
    }
    return 0;
}

}  // namespace

void register_zoo(CLI::App& app, int& status) {
    auto args = std::make_shared<ZooArgs>();
    auto* cmd = app.add_subcommand(
        "zoo", "List the trained model zoo: sizes, tokens seen, held-out loss (see docs/ZOO.md)");
    cmd->add_option("--dir", args->dir, "Zoo directory (default: zoo)");
    cmd->add_flag("--verify", args->verify,
                  "Check every trained model against DIR/SHA256SUMS (exit 1 on a mismatch)");
    cmd->add_flag("--json", args->json, "Print JSON instead of a table");
    cmd->callback([args, &status] { status = run_zoo(*args); });
}

}  // namespace ql::cli
