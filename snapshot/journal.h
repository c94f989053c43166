// The rollback journal: what an unfinished rollback has done so far, so that
// running the same rollback again after a crash (even SIGKILL) finishes it.
//
// DIR/logs/rollback_ID.journal.json is written atomically (temporary file,
// fsync, rename) before and after every step that changes the target store.
// Each collection moves through the phases (JournalPhase)
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
//
// The file is JSON (docs/snapshot-format.md). Its phase and type strings are
// the format: a journal left by any earlier vecgate must still resume, so
// the names below never change. Everything read from the file is checked
// before it is used (types, sizes, names that become collection or file
// names); a damaged or edited journal is a Corruption naming the file and
// what to do, never a crash.
#ifndef VECGATE_SNAPSHOT_JOURNAL_H_
#define VECGATE_SNAPSHOT_JOURNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "snapshot/manifest.h"

namespace vecgate {

// Where one collection stands, in the order a rollback moves it.
enum class JournalPhase {
  kPending,       // nothing done yet
  kRenamedAside,  // the target's collection (if any) is set aside
  kCreated,       // the collection is recreated, empty
  kRestored,      // every page is added
  kVerified,      // count and sampled records match the snapshot
};

// "pending", "renamed_aside", "created", "restored", "verified".
std::string_view JournalPhaseName(JournalPhase phase);
// The phase of that on-disk name; nullopt for any other text.
std::optional<JournalPhase> JournalPhaseFromName(std::string_view name);

enum class RollbackType {
  kFull,     // every collection of the snapshot
  kPartial,  // only --collections
};

// "full", "partial".
std::string_view RollbackTypeName(RollbackType type);
std::optional<RollbackType> RollbackTypeFromName(std::string_view name);

struct JournalCollection {
  std::string name;
  JournalPhase phase = JournalPhase::kPending;
  std::string aside_name;  // "" when the target had no such collection
  bool restore = true;     // false: only set aside (not in the snapshot)
  int64_t pages_done = 0;  // pages restored so far
  // Saved before the collection is created: a collection of its name found
  // later is taken for this rollback's own only when a run had begun to
  // create it ("create_attempted": true, written only when true).
  bool create_attempted = false;
  // Stores that swap a restored collection in (Store::can_swap_in_restored):
  // the name it is built under, "" otherwise ("staging_name", written only
  // when set). Such a collection goes pending -> created (the staging
  // collection) -> restored -> verified (checked, then swapped in; the
  // live one set aside in the same transaction).
  std::string staging_name;

  // The phase this collection ends in: verified, or renamed_aside for one
  // that is only set aside.
  JournalPhase final_phase() const {
    return restore ? JournalPhase::kVerified : JournalPhase::kRenamedAside;
  }
  bool finished() const { return phase >= final_phase(); }
};

struct RollbackJournal {
  std::string snapshot_id;
  std::string target_store;  // Describe(): no credentials
  RollbackType type = RollbackType::kFull;
  std::string stamp;         // compact UTC time of the first attempt
  std::string started_at;
  std::string finished_at;   // "" until done
  int attempts = 0;
  std::vector<std::string> requested;  // --collections, sorted (empty: all)
  // Full rollback only: also set aside target collections the snapshot
  // never held (--include-new-collections).
  bool include_new_collections = false;
  std::vector<JournalCollection> collections;
  bool asides_removed = false;  // cleanup deleted the aside collections
};

// A journal holds one entry of at most about 1.2 KiB per collection (two
// names of at most 512 bytes); 64 MiB is over 50,000 collections of the
// longest names. A larger file is not one vecgate wrote, and is refused
// before it is read into memory.
inline constexpr uint64_t kMaxJournalBytes = uint64_t{64} << 20;
// A stamp is FormatCompact's "YYYYMMDD_HHMMSS"; it becomes part of the
// finished journal's file name and of aside names, so only digits and '_'
// are accepted, and at most this many.
inline constexpr size_t kMaxJournalStampBytes = 32;

std::string JournalJson(const RollbackJournal& journal);
// Corruption naming the file `where` and what to do when the journal does
// not parse, is larger than kMaxJournalBytes, has a field of the wrong type,
// an unsafe snapshot id, collection or aside name, a stamp that is not
// digits and '_', an unknown phase or type, a negative count, or names a
// collection twice; worded by JournalCorruption.
Result<RollbackJournal> ParseJournal(const std::string& text,
                                     const std::string& where);

// Corruption "rollback journal 'WHERE'PROBLEM; WHAT TO DO": an active
// journal is moved away to start afresh (its aside collections are kept); a
// finished one (.done.json) only matters to cleanup, which then skips it.
Status JournalCorruption(const std::string& where, const std::string& problem);

// Reads and parses the journal at `path`, refusing (Corruption) a file
// larger than kMaxJournalBytes before reading it. NotFound / IoError when it
// cannot be read.
Result<RollbackJournal> ReadJournal(Env* env, const std::string& path);
// Writes the journal atomically (WriteFileAtomically).
Status WriteJournal(Env* env, const std::string& path, const RollbackJournal& journal);

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
