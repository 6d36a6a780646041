// The trained model zoo on disk (scripts/train_zoo.sh writes it): for each zoo
// preset, DIR/<name>.gguf (F16), its training summary DIR/<name>.json (what
// `quantlab train --json` printed), its curve DIR/<name>.gguf.log.jsonl, a
// checkpoint DIR/<name>.gguf.ckpt while it trains (or DIR/<name>.gguf.ckpt.zst,
// packed to go on in a later session), and DIR/SHA256SUMS with the checksums of
// the finished models. scan_zoo reads what is there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "train/presets.hpp"
#include "train/trainer.hpp"

namespace ql::train {

enum class ZooState { Missing, Training, Trained };

struct ZooEntry {
    const Preset* preset = nullptr;
    ZooState state = ZooState::Missing;
    std::string model;  // DIR/<name>.gguf
    // Trained: from the summary; training: from the last line of the curve.
    int64_t steps_done = 0;
    int64_t tokens = 0;
    std::optional<double> val_loss;  // mean over the domains
    std::vector<DomainLoss> val_by_domain;
    std::optional<double> initial_val_loss;  // trained only
    double seconds = 0;                      // trained only: training time
    std::string sha256;                      // the model's line in SHA256SUMS ("" when it has none)
};

// The zoo presets (all but demo), in size order, as found in `dir`. A summary
// or curve that is not what train wrote fails with one line naming the file,
// and so does a missing directory.
std::vector<ZooEntry> scan_zoo(const std::string& dir);

// Lower-case hex SHA-256 of a file's bytes.
std::string file_sha256(const std::string& path);

const char* zoo_state_name(ZooState s);

}  // namespace ql::train
