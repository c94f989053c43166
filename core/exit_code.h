// The process exit codes of every vecgate command, after Soda Core's
// convention for data-quality gates. Reports print the code and its meaning.
#ifndef VECGATE_CORE_EXIT_CODE_H_
#define VECGATE_CORE_EXIT_CODE_H_

namespace vecgate {

enum ExitCode : int {
  kExitPassed = 0,
  kExitWarning = 1,
  kExitFailed = 2,
  kExitError = 3,           // could not complete: bad input, unreachable store, I/O
  kExitRollbackFailed = 4,  // failed, and the rollback failed too
};

// "passed", "warnings only", ... for reports and the terminal summary.
inline const char* ExitCodeMeaning(int code) {
  switch (code) {
    case kExitPassed: return "passed";
    case kExitWarning: return "warnings only";
    case kExitFailed: return "failed";
    case kExitError: return "could not complete";
    case kExitRollbackFailed:
      return "failed and the rollback failed: manual intervention needed";
  }
  return "unknown exit code";
}

}  // namespace vecgate

#endif  // VECGATE_CORE_EXIT_CODE_H_
