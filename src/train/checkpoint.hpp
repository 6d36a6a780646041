// Training checkpoints: everything a run needs to continue bit-exactly
// (parameters, Adam moments, the step, the seed — batches depend only on
// seed and step), in one file with a checksum, written atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ql::train {

struct Checkpoint {
    std::string preset;
    uint64_t seed = 0;
    int64_t total_steps = 0;
    int64_t step = 0;    // the next step to run
    int64_t adam_t = 0;  // Adam updates done
    int32_t threads = 0;
    double initial_val_loss = 0;
    double last_train_loss = 0;
    double seconds = 0;  // training time so far
    int64_t tokens = 0;  // training tokens seen so far
    std::vector<float> params, m, v;
};

// Writes path (via a temporary file and a rename).
void save_checkpoint(const std::string& path, const Checkpoint& c);
// Throws ql::InputError naming the file if it is not a checkpoint, is
// truncated or its checksum does not match.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace ql::train
