// Rollback: restores collections of a store from a verified snapshot
// (docs/snapshot-format.md), as plan -> confirm -> phases.
//
// All under the snapshot directory's lock:
//   1. plan: the archive's SHA-256 is checked against the manifest (a
//      damaged snapshot is refused before anything is touched), every
//      collection to restore is checked restorable (Store::CheckRestorable),
//      the pending
//      journal is resumed or a new one planned, and the RollbackPlan says
//      what will be restored and what set aside; the target is only read;
//   2. confirm: the caller's callback sees the plan (the command line prints
//      it and asks; a dry run stops before);
//   3. phases, per collection, each a function resuming from the journal
//      (journal.h), which is saved after each: the target's collection is
//      renamed aside (NAME_failed_STAMP; never deleted), recreated with the
//      snapshot's metadata and configuration, refilled page by page with
//      Store::Add, then checked: the count and a sample of records compared
//      bit for bit (ids, documents, metadata, embedding bytes) with the
//      snapshot -- except that in cosine collections, which Chroma
//      re-normalises on add, embedding components may differ by at most 4
//      ulps, and metadata doubles, which Chroma parses with about an ulp of
//      error, by 4 ulps (see rollback.cc). A store that swaps restored
//      collections in (Store::can_swap_in_restored: PostgreSQL tables)
//      instead builds each under a staging name, refills and checks it
//      there, and then sets the live one aside and renames the copy into
//      place in one transaction: until then the live one is untouched;
//   4. the manifest's status becomes "restored", the journal is closed and
//      one line goes to the audit log (also on failure).
// A full rollback leaves target collections the snapshot never held (made
// after it) untouched; with include_new_collections it sets them aside too,
// so the store ends up holding exactly the snapshot (plus the aside
// collections). Each aside collection is stamped in the same request that
// renames it: its metadata gains kAsideStamp*Key (snapshot id, rollback
// time, original name). `snapshot cleanup` deletes an aside collection only
// when its name has the aside form AND its stamp matches the rollback.
// Killed at any point, the same rollback run again resumes from the journal
// and finishes. A page whose add may have happened before the journal
// recorded it (the first page a resumed refill sends) is first looked up by
// id in the target and only its missing records are added, so a resumed
// rollback ends with exactly the snapshot's records even in a store that
// keeps duplicate ids (jsonl:).
//
// Thread safety: one rollback per snapshot directory at a time (the lock).
#ifndef VECGATE_SNAPSHOT_ROLLBACK_H_
#define VECGATE_SNAPSHOT_ROLLBACK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "core/store.h"
#include "snapshot/journal.h"
#include "snapshot/snapshot.h"

namespace vecgate {

// What a rollback will do to one collection.
struct RollbackPlanStep {
  std::string collection;
  bool restore = true;        // false: only set aside (not in the snapshot)
  bool exists_in_target = false;
  std::string aside_name;     // "" when there is nothing to set aside
  JournalPhase phase = JournalPhase::kPending;  // where a resumed run starts
  int64_t records = 0;        // to restore
  int64_t pages = 0;
};

// The plan step's answer, made before anything changes: what will be
// restored and what set aside, for the confirmation prompt and --dry-run.
struct RollbackPlan {
  std::string snapshot_id;
  std::string snapshot_timestamp;
  std::string source_store;
  std::string target_store;
  RollbackType type = RollbackType::kFull;
  bool resuming = false;
  std::vector<RollbackPlanStep> steps;
  // Target collections the snapshot never held, left as they are.
  std::vector<std::string> untouched;

  // Human-readable, one line per step.
  std::string ToText() const;
};

struct RollbackOptions {
  std::string snapshot_dir;
  std::string snapshot_id;
  std::vector<std::string> collections;  // empty: every collection (full)
  // Full rollback: also set aside target collections the snapshot never
  // held. Off by default: they were made after the snapshot.
  bool include_new_collections = false;
  bool dry_run = false;
  // The target was not named by the user but taken from the manifest's
  // source_store: refused (FailedPrecondition, asking for --store) when the
  // archive holds no copy of the manifest to check that store against.
  bool target_from_manifest = false;
  // Records compared bit for bit per collection after restoring; 0: all.
  size_t verify_sample = 1000;
  double lock_wait_seconds = kDefaultLockWaitSeconds;
  Env* env = Env::Default();
  // Called with the plan before anything changes (not for dry runs);
  // returning false cancels the rollback (Aborted). Empty: proceed.
  std::function<bool(const RollbackPlan&)> confirm;
  // Why the rollback runs, for the audit log (the gate's verdict and failed
  // checks); "" for a rollback by hand.
  std::string trigger;
  // Progress lines ("restoring a: 3000/9832"); may be empty.
  std::function<void(const std::string&)> log;
};

struct RollbackResult {
  RollbackPlan plan;
  bool dry_run = false;
  std::vector<std::string> restored;       // collections restored
  std::vector<std::string> aside_names;    // collections set aside
  int64_t records_restored = 0;            // records sent this run
  double elapsed_seconds = 0;
};

// Rolls `target` back to snapshot options.snapshot_id in three steps:
//   plan     checks the snapshot (manifest status, archive checksum), then
//            resumes the pending journal (CheckResumable) or plans a new one
//            (PlanNewJournal) from the target's collection list, and makes
//            the RollbackPlan; the target is only read. A dry run stops here.
//   confirm  options.confirm with the plan; false cancels (Aborted).
//   phases   each collection is moved by one function per journal phase
//            (set aside, recreate, refill, verify), the journal saved after
//            each; a collection resumes at the phase its journal records.
// Errors (each also recorded in the audit log once the manifest is read):
// InvalidArgument for unsafe ids/names, NotFound for a missing snapshot or a
// --collections name it lacks, Corruption for a damaged snapshot or journal
// or a restored collection that differs from it, FailedPrecondition for a
// read-only target or a pending journal of a different rollback, Aborted for
// a busy directory or a cancelled confirmation, and the store's errors.
// After an error, the same call resumes where it stopped.
Result<RollbackResult> RunRollback(Store& target, const RollbackOptions& options);

// The plan step's decisions, without I/O (rollback_phases_test.cc tests
// them with made-up manifests and target listings).

// The journal of a new rollback of `manifest` into the store `target_store`
// whose collections are `target_collections`: an entry per snapshot
// collection (only those in `requested`, sorted, when it is not empty),
// with an aside name for each the target holds; with
// `include_new_collections` (full rollbacks only) also an entry that only
// sets aside each target collection the snapshot never held, which
// otherwise are appended to `untouched`. Aside names are made with the
// stamp of `now`, fit `max_name_bytes` (the target's Store::max_name_bytes)
// and never reuse a name the target or the snapshot holds; collections
// already set aside by an earlier rollback are left out.
RollbackJournal PlanNewJournal(const Manifest& manifest,
                               const std::vector<CollectionInfo>& target_collections,
                               const std::string& target_store,
                               const std::vector<std::string>& requested,
                               bool include_new_collections, int64_t now,
                               std::vector<std::string>* untouched,
                               size_t max_name_bytes = kDefaultMaxNameBytes);

// OK when the pending journal read from `path` can be resumed by a rollback
// of `manifest` into `target_store` for `requested` (sorted). Otherwise,
// before anything is touched: FailedPrecondition when it is another
// rollback's (other store, other --collections), saying how to finish that
// one; Corruption, saying to move the journal away, when it records another
// snapshot, restores a collection the snapshot lacks, counts more pages done
// than the snapshot has, or names as an aside collection something that is
// not an aside name or is a collection the rollback restores.
Status CheckResumable(const RollbackJournal& journal, const std::string& path,
                      const Manifest& manifest, const std::string& target_store,
                      const std::vector<std::string>& requested);

// The plan a journal describes: its steps with the records and pages each
// restore will add.
RollbackPlan MakeRollbackPlan(const Manifest& manifest, const RollbackJournal& journal,
                              bool resuming, std::vector<std::string> untouched);

// The set-aside stamp's metadata keys are kAsideStamp*Key (core/store.h).

// OK when `info` is an aside collection vecgate made for the rollback of
// `snapshot_id` with journal stamp `stamp` of collection `original`: its
// name has the aside form and its metadata carries that stamp.
// FailedPrecondition saying what is missing otherwise.
Status CheckAsideStamp(const CollectionInfo& info, const std::string& snapshot_id,
                       const std::string& stamp, const std::string& original);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_ROLLBACK_H_
