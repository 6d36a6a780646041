// A one-line progress bar on stderr: items done, throughput and ETA.
// Drawn only when stderr is a terminal (or QL_PROGRESS=1), at most ~10 times a second.
#pragma once

#include <cstdint>
#include <string>

#include "util/timer.hpp"

namespace ql {

class ProgressBar {
  public:
    // `total` items; `unit_bytes_label` names what `bytes` counts in the rate ("MB/s").
    ProgressBar(std::string label, int64_t total);
    ~ProgressBar();
    // Advance by `items`, having processed `bytes` more input bytes (for the rate).
    void advance(int64_t items, double bytes = 0);
    // Start counting at `done` items already finished earlier (a resumed run):
    // the bar shows them, the ETA extrapolates from the items of this run only.
    void start_at(int64_t done) { done_ = start_ = done; }
    // Text shown after the ETA (e.g. "loss 3.21  5400 tok/s").
    void set_detail(std::string detail) { detail_ = std::move(detail); }
    void finish();

  private:
    void draw(bool force);
    std::string label_, detail_;
    int64_t total_, done_ = 0, start_ = 0;
    double bytes_ = 0, last_draw_ = -1;
    bool enabled_, finished_ = false;
    Timer timer_;
};

}  // namespace ql
