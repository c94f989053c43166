// The gate's rollback hook.
#include "gate/gate_rollback.h"


namespace vecgate {

std::string RollbackTrigger(const ValidationReport& report) {
  std::string failed;
  for (const auto& c : report.checks) {
    if (c.status != CheckStatus::kFail) continue;
    failed += (failed.empty() ? "" : ", ") + c.name;
    if (!c.rollback_reason.empty()) failed += " (" + c.rollback_reason + ")";
  }
  std::string out = "gate FAILED";
  if (!report.rollback_reason.empty()) out += ": " + report.rollback_reason;
  if (!failed.empty()) out += "; failed checks: " + failed;
  return out;
}

RollbackHook MakeGateRollbackHook(const GateRollbackOptions& options) {
  return [options](const ValidationReport& report,
                   const std::vector<std::string>& collections) {
    RollbackOutcome outcome;
    outcome.snapshot_id = options.snapshot_id;
    const std::string dir =
        options.snapshot_dir.empty() ? DefaultSnapshotDir() : options.snapshot_dir;
    // "latest" or a unique prefix names one snapshot.
    auto id = ResolveSnapshotId(options.env, dir, options.snapshot_id);
    if (!id.ok()) {
      outcome.message = id.status().message();
      return outcome;
    }
    outcome.snapshot_id = *id;
    auto store = OpenStore(options.store_uri, options.open_options);
    if (!store.ok()) {
      outcome.message = "rollback could not open the store to restore into: " +
                        store.status().message();
      return outcome;
    }
    RollbackOptions ro;
    ro.snapshot_dir = dir;
    ro.snapshot_id = *id;
    ro.trigger = RollbackTrigger(report);
    ro.collections = collections;
    ro.lock_wait_seconds = options.lock_wait_seconds;
    ro.verify_sample = options.verify_sample;
    ro.env = options.env;
    const bool full = collections.empty();
    ro.confirm = [&options, full](const RollbackPlan& plan) {
      if (!full || options.yes) return true;
      return options.confirm_full && options.confirm_full(plan);
    };
    auto result = RunRollback(**store, ro);
    if (!result.ok()) {
      outcome.message = result.status().message();
      if (result.status().code() == StatusCode::kAborted && full && !options.yes) {
        outcome.message +=
            " (a full rollback needs --yes when stdin is not a terminal)";
      }
      return outcome;
    }
    outcome.succeeded = true;
    outcome.collections = result->restored;
    outcome.elapsed_seconds = result->elapsed_seconds;
    outcome.message = "restored " + std::to_string(result->restored.size()) +
                      " collections from " + *id +
                      " and verified them";
    if (!result->aside_names.empty()) {
      outcome.message += "; the failed migration's collections are kept as";
      for (const auto& n : result->aside_names) outcome.message += " " + n;
    }
    return outcome;
  };
}

}  // namespace vecgate
