// The gate's rollback hook: what `vecgate validate --on-fail rollback
// --snapshot ID` runs when the verdict is FAILED (harness/runner.h).
//
// The hook opens the NEW store, rolls the blamed collections back from the
// snapshot (all of them when the runner blames none), re-verifies what it
// restored (count and sampled records, bit for bit; see rollback.h) and
// reports a RollbackOutcome. It never throws: any failure (damaged
// snapshot, unreachable store, missing confirmation, a collection the
// snapshot lacks) gives succeeded = false and a message saying what to do.
#ifndef VECGATE_GATE_GATE_ROLLBACK_H_
#define VECGATE_GATE_GATE_ROLLBACK_H_

#include <functional>
#include <string>

#include "core/env.h"
#include "core/store.h"
#include "harness/runner.h"
#include "snapshot/rollback.h"
#include "snapshot/snapshot.h"

namespace vecgate {

struct GateRollbackOptions {
  std::string snapshot_dir;  // "" -> DefaultSnapshotDir()
  std::string snapshot_id;
  std::string store_uri;     // the NEW store, to restore into
  OpenOptions open_options;
  // A full rollback (no blamed collections) needs `yes`, or `confirm_full`
  // (the command line's prompt) saying yes to the plan.
  bool yes = false;
  std::function<bool(const RollbackPlan&)> confirm_full;
  double lock_wait_seconds = kDefaultLockWaitSeconds;
  size_t verify_sample = 1000;
  Env* env = Env::Default();
};

// The collections the hook receives are OLD collection names; with the
// default identity mapping they are the same names in the new store.
// The audit log records why: the gate's verdict, its rollback reason and
// the failed checks (RollbackTrigger). `snapshot_id` may be "latest" or a
// unique prefix (ResolveSnapshotId).
RollbackHook MakeGateRollbackHook(const GateRollbackOptions& options);

// "gate FAILED: Data Loss Detected; failed checks: count (Data Loss
// Detected), embedding_integrity".
std::string RollbackTrigger(const ValidationReport& report);

}  // namespace vecgate

#endif  // VECGATE_GATE_GATE_ROLLBACK_H_
