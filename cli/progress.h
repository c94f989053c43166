// Progress on stderr for long steps: a redrawn bar with counts, rate and ETA
// when stderr is a terminal; without a terminal, one plain line when each
// step (a collection) ends, plus one every few seconds while a long step
// runs; nothing when quiet. Rates appear only after half a second of a
// step, so that a step that took microseconds shows no absurd rate.
#ifndef VECGATE_CLI_PROGRESS_H_
#define VECGATE_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace vecgate::cli {

class Progress {
 public:
  explicit Progress(bool quiet);
  ~Progress();

  // Reports `done` of `total` (0 = unknown) `unit` ("records", "queries")
  // for `stage`. A new stage name finishes the previous one.
  void Update(const std::string& stage, int64_t done, int64_t total,
              const std::string& unit = "records");
  // Ends the current line.
  void Finish();

  bool is_terminal() const { return terminal_; }
  bool color() const { return color_; }

 private:
  using Clock = std::chrono::steady_clock;
  void Draw(bool final_line);

  bool quiet_;
  bool terminal_;
  bool color_;
  std::string stage_;      // printable
  std::string stage_raw_;  // as given
  std::string unit_ = "records";
  int64_t done_ = 0;
  int64_t total_ = 0;
  Clock::time_point stage_start_;
  Clock::time_point last_draw_;
  bool drawn_ = false;
  int64_t drawn_done_ = -1;  // `done_` of the last plain line
};

// True when `fd` is a terminal and NO_COLOR is not set (https://no-color.org).
bool UseColor(int fd);

// 1234567 -> "1,234,567"
std::string WithThousands(int64_t n);

}  // namespace vecgate::cli

#endif  // VECGATE_CLI_PROGRESS_H_
