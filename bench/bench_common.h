// What every benchmark program shares: its command line (CLI11, with --out
// and --reps), alternating repetitions and their medians, the results file,
// and a time ratio judged against its target as the result tables print it
// and the JSON records it.
#ifndef VECGATE_BENCH_BENCH_COMMON_H_
#define VECGATE_BENCH_BENCH_COMMON_H_

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace vecgate::bench {

// Checks for numeric flags, with messages that read well ("--reps: must
// be at least 1, not 0"): CLI11 2.1's PositiveNumber prints DBL_MAX in full.
inline CLI::Validator NumberCheck(std::string name, std::function<bool(double)> ok,
                                  std::string requirement) {
  return CLI::Validator(
      [ok, requirement](std::string& input) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(input, value)) return "'" + input + "' is not a number";
        return ok(value) ? std::string() : "must be " + requirement + ", not " + input;
      },
      std::move(name));
}
inline CLI::Validator AtLeast(int64_t min) {
  const std::string bound = std::to_string(min);
  return NumberCheck("AT LEAST " + bound, [min](double v) { return v >= double(min); },
                     "at least " + bound);
}
inline CLI::Validator Positive() {
  return NumberCheck("POSITIVE", [](double v) { return v > 0; }, "positive");
}

// Declares the flags every benchmark has, --out FILE (its JSON results;
// default: what `*out` holds) and, unless `reps` is null, --reps N (N >= 1),
// and makes --help show every flag's default. Call before adding the
// program's own flags.
inline void AddCommonFlags(CLI::App& app, std::string* out, int* reps) {
  app.option_defaults()->always_capture_default();
  app.add_option("--out", *out, "where to write the results as JSON")->type_name("FILE");
  if (reps != nullptr) {
    app.add_option("--reps", *reps, "repetitions; medians are reported")
        ->type_name("N")
        ->check(AtLeast(1));
  }
}

// The flags of the benchmarks that load the fixture corpus
// (fixtures/generator.h): --scale S and --dim D.
inline void AddCorpusFlags(CLI::App& app, double* scale, int* dim) {
  app.add_option("--scale", *scale, "scale of the fixture corpus (1 = 9,832 records)")
      ->type_name("S")
      ->check(Positive());
  app.add_option("--dim", *dim, "dimensions of each embedding")
      ->type_name("D")
      ->check(AtLeast(1));
}

// Parses the command line into `app`'s options. Returns the exit status to
// end the program with, or nullopt to go on: 0 after --help (the flags on
// stdout), 2 after an unknown flag or a bad value (what was wrong and the
// flags on stderr). 2 rather than CLI11's own codes: every benchmark exits
// 1 for a missed target and 2 for "could not run", which a bad command
// line is.
inline std::optional<int> ParseFlags(CLI::App& app, int argc, char** argv) {
  app.failure_message(CLI::FailureMessage::help);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return std::nullopt;
}

inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The index of the repetition whose time is nearest the median (the first
// of equals), to report that run's details; 0 when `seconds` is empty.
inline size_t MedianIndex(const std::vector<double>& seconds) {
  const double median = Median(seconds);
  size_t best = 0;
  for (size_t i = 1; i < seconds.size(); ++i) {
    if (std::fabs(seconds[i] - median) < std::fabs(seconds[best] - median)) best = i;
  }
  return best;
}

// Runs `a` then `b` in even repetitions and `b` then `a` in odd ones, so
// that neither side always runs second, on caches (the server's, the
// page cache) the other warmed.
template <typename A, typename B>
void RunAlternating(int rep, A&& a, B&& b) {
  if (rep % 2 == 0) {
    a();
    b();
  } else {
    b();
    a();
  }
}

// Writes `results` (JSON, indented) to `path`, creating its folder, and
// says where on stdout. False, said on stderr, when it could not be written.
inline bool WriteResults(const std::string& path, const nlohmann::json& results) {
  const std::filesystem::path out(path);
  if (out.has_parent_path()) {
    std::error_code ignored;  // the open below reports what matters
    std::filesystem::create_directories(out.parent_path(), ignored);
  }
  std::ofstream file(out);
  file << results.dump(2) << "\n";
  file.close();
  if (!file) {
    std::fprintf(stderr, "bench: could not write the results to %s\n", path.c_str());
    return false;
  }
  std::printf("\nresults written to %s\n", path.c_str());
  return true;
}

// vecgate's median time over its baseline's, judged against a target (at
// most). `pass` also requires `also_required` (a PASSED verdict, say).
struct TimeRatio {
  TimeRatio(double seconds, double baseline_seconds, double target, bool also_required = true)
      : seconds(seconds),
        value(seconds / baseline_seconds),
        target(target),
        pass(value <= target && also_required) {}

  // The fields every results file gives a judged ratio.
  nlohmann::json Json() const {
    return {{"ratio", value}, {"target_ratio", target}, {"pass", pass}};
  }

  // Prints the result-table line
  //   LABEL                SECONDS  ratio R, target <= T: PASS|FAIL NOTE
  // with LABEL padded to `label_width` columns.
  void Print(int label_width, const std::string& label, const std::string& note = "") const {
    std::printf("%-*s %10.3f  ratio %.3f, target <= %.1f: %s%s%s\n", label_width, label.c_str(),
                seconds, value, target, pass ? "PASS" : "FAIL", note.empty() ? "" : " ",
                note.c_str());
  }

  double seconds;  // vecgate's median
  double value;    // seconds / the baseline's median
  double target;
  bool pass;
};

}  // namespace vecgate::bench

#endif  // VECGATE_BENCH_BENCH_COMMON_H_
