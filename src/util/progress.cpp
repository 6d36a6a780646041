#include "util/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace ql {

namespace {
bool progress_enabled() {
    if (const char* env = std::getenv("QL_PROGRESS")) return env[0] == '1';
    return isatty(STDERR_FILENO) != 0;
}

std::string format_eta(double seconds) {
    if (seconds < 0 || seconds > 1e7) return "--:--";
    int s = static_cast<int>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    return fmt::format("{:02}:{:02}", s / 60, s % 60);
}
}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), enabled_(progress_enabled()) {}

ProgressBar::~ProgressBar() {
    finish();
}

void ProgressBar::advance(int64_t items, double bytes) {
    done_ += items;
    bytes_ += bytes;
    draw(false);
}

void ProgressBar::finish() {
    if (finished_) return;
    finished_ = true;
    if (!enabled_) return;
    draw(true);
    std::fputc('\n', stderr);
}

void ProgressBar::draw(bool force) {
    if (!enabled_) return;
    double t = timer_.seconds();
    if (!force && t - last_draw_ < 0.1 && done_ < total_) return;
    last_draw_ = t;
    const int width = 30;
    double frac = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
    int filled = static_cast<int>(frac * width);
    std::string bar(filled, '#');
    bar.resize(width, '.');
    double rate = t > 0 ? bytes_ / t / 1e6 : 0;
    const auto done_now = static_cast<double>(done_ - start_);
    double eta = done_now > 0 ? t * static_cast<double>(total_ - done_) / done_now : -1;
    // (the rate only when bytes are counted)
    const std::string rate_text = bytes_ > 0 ? fmt::format("  {:.1f} MB/s", rate) : "";
    std::fprintf(stderr, "\r%s [%s] %lld/%lld%s  ETA %s  %s ", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_), rate_text.c_str(),
                 format_eta(eta).c_str(), detail_.c_str());
    std::fflush(stderr);
}

}  // namespace ql
