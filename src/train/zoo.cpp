#include "train/zoo.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

namespace ql::train {

namespace {

namespace fs = std::filesystem;

std::string read_whole(const std::string& path) {
    std::optional<std::string> text = read_file(path);
    if (!text) fail("zoo: cannot read {}: {}", path, std::strerror(errno));
    return std::move(*text);
}

nlohmann::json parse_json(const std::string& text, const std::string& path) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        fail_input("zoo: {} is not a JSON object (a summary of quantlab train --json)", path);
    return j;
}

template <typename T>
T field(const nlohmann::json& j, const char* key, const std::string& path) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number()) fail_input("zoo: {} has no number '{}'", path, key);
    return it->get<T>();
}

// DIR/<name>.json: the summary `quantlab train --json` printed.
void read_summary(const std::string& path, ZooEntry& e) {
    const nlohmann::json j = parse_json(read_whole(path), path);
    e.steps_done = field<int64_t>(j, "steps", path);
    e.tokens = field<int64_t>(j, "tokens", path);
    e.val_loss = field<double>(j, "val_loss", path);
    e.initial_val_loss = field<double>(j, "initial_val_loss", path);
    e.seconds = field<double>(j, "seconds", path);
    const auto domains = j.find("val_loss_by_domain");
    if (domains == j.end() || !domains->is_object())
        fail_input("zoo: {} has no object 'val_loss_by_domain'", path);
    for (const auto& [name, loss] : domains->items()) {
        if (!loss.is_number())
            fail_input("zoo: {}: loss of domain '{}' is not a number", path, name);
        e.val_by_domain.push_back({name, loss.get<double>()});
    }
}

// The last line of DIR/<name>.gguf.log.jsonl: step, tokens, val_loss, val_<domain>.
void read_curve_end(const std::string& path, ZooEntry& e) {
    std::istringstream lines(read_whole(path));
    std::string line, last;
    while (std::getline(lines, line))
        if (!line.empty()) last = line;
    if (last.empty()) return;  // started, not evaluated yet
    const nlohmann::json j = parse_json(last, path);
    e.steps_done = field<int64_t>(j, "step", path);
    e.tokens = field<int64_t>(j, "tokens", path);
    e.val_loss = field<double>(j, "val_loss", path);
    for (const auto& [key, value] : j.items())
        if (key.rfind("val_", 0) == 0 && key != "val_loss" && value.is_number())
            e.val_by_domain.push_back({key.substr(4), value.get<double>()});
}

// "<hex>  <path>" lines; the entry whose path ends in `file_name`.
std::string listed_sha256(const std::string& sums_path, const std::string& file_name) {
    std::error_code ec;
    if (!fs::exists(sums_path, ec)) return "";
    std::istringstream lines(read_whole(sums_path));
    std::string line, found;
    while (std::getline(lines, line)) {
        const size_t space = line.find(' ');
        if (space != 64) continue;
        const std::string path = line.substr(line.find_first_not_of(" *", space));
        if (fs::path(path).filename() == file_name) found = line.substr(0, 64);
    }
    return found;
}

}  // namespace

const char* zoo_state_name(ZooState s) {
    switch (s) {
        case ZooState::Trained:
            return "trained";
        case ZooState::Training:
            return "training";
        case ZooState::Missing:
            break;
    }
    return "missing";
}

std::vector<ZooEntry> scan_zoo(const std::string& dir) {
    std::error_code dir_ec;
    if (!fs::is_directory(dir, dir_ec))
        fail("zoo: no directory {} (scripts/train_zoo.sh trains the zoo into zoo/)", dir);
    std::vector<ZooEntry> zoo;
    for (const Preset& p : presets()) {
        if (p.name == "demo") continue;
        ZooEntry e;
        e.preset = &p;
        e.model = (fs::path(dir) / (p.name + ".gguf")).string();
        const std::string summary = (fs::path(dir) / (p.name + ".json")).string();
        std::error_code ec;
        if (fs::exists(summary, ec) && fs::exists(e.model, ec)) {
            e.state = ZooState::Trained;
            read_summary(summary, e);
            e.sha256 = listed_sha256((fs::path(dir) / "SHA256SUMS").string(), p.name + ".gguf");
        } else if (fs::exists(e.model + ".ckpt", ec) || fs::exists(e.model + ".ckpt.zst", ec)) {
            e.state = ZooState::Training;
            if (fs::exists(e.model + ".log.jsonl", ec)) read_curve_end(e.model + ".log.jsonl", e);
        }
        zoo.push_back(std::move(e));
    }
    return zoo;
}

std::string file_sha256(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) fail("zoo: cannot read {}: {}", path, std::strerror(errno));
    Sha256 h;
    std::vector<char> buf(1 << 20);
    while (f) {
        f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        h.update(buf.data(), static_cast<size_t>(f.gcount()));
    }
    if (f.bad()) fail("zoo: error reading {}", path);
    return h.finish_hex();
}

}  // namespace ql::train
