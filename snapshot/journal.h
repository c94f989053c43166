// The rollback journal: what an unfinished rollback has done so far, so that
// running the same rollback again after a crash (even SIGKILL) finishes it.
//
// DIR/logs/rollback_ID.journal.json is written atomically (temporary file,
// fsync, rename) before and after every step that changes the target store.
// Each collection moves through the phases
//
//   pending -> renamed_aside -> created -> restored -> verified
//
// (collections of the target that are not in the snapshot, in a full
// rollback, stop at renamed_aside). The aside name is chosen and journaled
// before the rename, so a crash between the rename and the next journal
// write is recognised by the aside collection existing. When the rollback
// finishes the journal is renamed to DIR/logs/rollback_ID_STAMP.done.json;
// `snapshot cleanup --store` reads those to delete aside collections whose
// retention has passed.
#ifndef VECGATE_SNAPSHOT_JOURNAL_H_
#define VECGATE_SNAPSHOT_JOURNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "snapshot/manifest.h"

namespace vecgate {

struct JournalCollection {
  std::string name;
  std::string phase = "pending";
  std::string aside_name;  // "" when the target had no such collection
  bool restore = true;     // false: only set aside (not in the snapshot)
  int64_t pages_done = 0;  // pages restored so far
};

struct RollbackJournal {
  std::string snapshot_id;
  std::string target_store;  // Describe(): no credentials
  std::string type;          // full | partial
  std::string stamp;         // compact UTC time of the first attempt
  std::string started_at;
  std::string finished_at;   // "" until done
  int attempts = 0;
  std::vector<std::string> requested;  // --collections (empty: all)
  // Full rollback only: also set aside target collections the snapshot
  // never held (--include-new-collections).
  bool include_new_collections = false;
  std::vector<JournalCollection> collections;
  bool asides_removed = false;  // cleanup deleted the aside collections
};

std::string JournalJson(const RollbackJournal& journal);
// Corruption naming the file `where` when the journal does not parse or
// holds an unsafe name, an unknown phase or type.
Result<RollbackJournal> ParseJournal(const std::string& text,
                                     const std::string& where);

std::string ActiveJournalPath(const SnapshotPaths& paths, const std::string& id);
std::string DoneJournalPath(const SnapshotPaths& paths, const std::string& id,
                            const std::string& stamp);

// Finished journals in DIR/logs (path, journal), oldest first. Unreadable
// ones are skipped and, when `unreadable` is given, their problem (naming
// the file) appended to it.
Result<std::vector<std::pair<std::string, RollbackJournal>>> ListDoneJournals(
    Env* env, const SnapshotPaths& paths,
    std::vector<std::string>* unreadable = nullptr);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_JOURNAL_H_
