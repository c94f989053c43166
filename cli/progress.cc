// Progress bar and plain progress lines.
#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/text.h"

namespace vecgate::cli {

bool UseColor(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

std::string WithThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0) out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
    ++count;
  }
  return n < 0 ? "-" + out : out;
}

namespace {

// Below this elapsed time a step shows no rate.
constexpr double kMinRateSeconds = 0.5;

std::string FormatDuration(double seconds) {
  if (seconds < 0 || seconds > 359999) return "--:--";
  int s = static_cast<int>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%d:%02d", s / 60, s % 60);
  }
  return buf;
}

}  // namespace

Progress::Progress(bool quiet)
    : quiet_(quiet), terminal_(::isatty(2) == 1), color_(UseColor(2)) {}

Progress::~Progress() { Finish(); }

void Progress::Update(const std::string& stage, int64_t done, int64_t total,
                      const std::string& unit) {
  if (quiet_) return;
  auto now = Clock::now();
  if (stage != stage_raw_ || stage_.empty()) {
    Finish();
    stage_ = Printable(stage, /*one_line=*/true);  // names come from stores
    stage_raw_ = stage;
    unit_ = unit;
    stage_start_ = now;
    // A bar is drawn at once; plain lines only when the step ends or has
    // run for a while, never a "0/N" line before each step.
    last_draw_ = terminal_ ? Clock::time_point() : now;
    drawn_ = false;
  }
  done_ = done;
  total_ = total;
  bool complete = total > 0 && done >= total;
  double since = std::chrono::duration<double>(now - last_draw_).count();
  double min_interval = terminal_ ? 0.1 : 5.0;
  if (since >= min_interval || (complete && !terminal_)) {
    Draw(complete && !terminal_);
    last_draw_ = now;
  }
}

void Progress::Finish() {
  if (quiet_ || stage_.empty()) return;
  Draw(true);
  if (terminal_) std::fputc('\n', stderr);
  std::fflush(stderr);
  stage_.clear();
  stage_raw_.clear();
  drawn_ = false;
}

void Progress::Draw(bool final_line) {
  double elapsed = std::chrono::duration<double>(Clock::now() - stage_start_).count();
  // A rate over a near-zero time is noise (a page read in 2 us is not
  // "751,173,708 rec/s"): shown only after kMinRateSeconds.
  const bool have_rate = elapsed >= kMinRateSeconds && done_ > 0;
  double rate = have_rate ? done_ / elapsed : 0;
  std::string counts = WithThousands(done_) + (total_ > 0 ? "/" + WithThousands(total_) : "");
  const std::string unit_short = unit_ == "records" ? "rec" : unit_;
  std::string rate_text =
      have_rate ? WithThousands(static_cast<int64_t>(rate)) + " " + unit_short + "/s" : "";
  std::string eta = total_ > 0 && rate > 0 ? FormatDuration((total_ - done_) / rate) : "--:--";
  if (!terminal_) {
    // A plain line when a step ends, and one every few seconds while a long
    // one runs.
    if (final_line && drawn_ && done_ == drawn_done_) return;
    const bool ended = final_line || (total_ > 0 && done_ >= total_);
    std::string tail = ended ? "took " + FormatDuration(elapsed) : "ETA " + eta;
    if (!rate_text.empty()) tail = rate_text + ", " + tail;
    std::fprintf(stderr, "vecgate: %s: %s %s (%s)\n", stage_.c_str(), counts.c_str(),
                 unit_.c_str(), tail.c_str());
    drawn_ = true;
    drawn_done_ = done_;
    return;
  }
  const int width = 28;
  double fraction = total_ > 0 ? static_cast<double>(done_) / total_ : 0;
  if (fraction > 1) fraction = 1;
  int filled = static_cast<int>(fraction * width);
  std::string bar;
  for (int i = 0; i < width; ++i) bar += i < filled ? "\u2588" : "\u2591";
  const char* on = color_ ? "\033[36m" : "";
  const char* off = color_ ? "\033[0m" : "";
  std::fprintf(stderr, "\r\033[K%-28s %s%s%s %3d%% %s  %s  %s %s", stage_.c_str(), on,
               bar.c_str(), off, static_cast<int>(fraction * 100), counts.c_str(),
               rate_text.c_str(), final_line ? "took" : "ETA",
               final_line ? FormatDuration(elapsed).c_str() : eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace vecgate::cli
