// Rollback as plan -> confirm -> phases, with a journal that makes each
// phase resumable.
#include "snapshot/rollback.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <set>
#include <sstream>

#include "core/text.h"
#include "snapshot/audit_log.h"
#include "snapshot/journal.h"
#include "snapshot/snapshot_store.h"

namespace vecgate {

namespace {

using Clock = std::chrono::steady_clock;


double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t NowSeconds(Env* env) { return static_cast<int64_t>(env->NowMicros() / 1000000); }

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Result<bool> Exists(Store& store, const std::string& name) {
  auto info = store.GetCollection(name);
  if (info.ok()) return true;
  if (info.status().code() == StatusCode::kNotFound) return false;
  return info.status();
}

// Units in the last place between two floats of the same sign (large when
// the signs differ).
int64_t UlpDistance(float x, float y) {
  int32_t a, b;
  std::memcpy(&a, &x, sizeof(a));
  std::memcpy(&b, &y, sizeof(b));
  if ((a < 0) != (b < 0)) return (x == y) ? 0 : INT64_MAX;  // +0 == -0
  return std::abs(static_cast<int64_t>(a) - static_cast<int64_t>(b));
}

// Bit for bit, except in cosine collections: Chroma normalises cosine
// vectors on add (measured: about 1 record in 8 of a restored collection
// comes back with components 1 ulp away, because normalising a vector that
// is already unit length is not exact). There every component must be
// within kCosineUlpTolerance ulps; anything more is real damage.
constexpr int64_t kCosineUlpTolerance = 4;

bool SameEmbedding(const RecordBatch& a, size_t i, const RecordBatch& b, size_t j,
                   DistanceSpace space) {
  if (a.embedding_size(i) != b.embedding_size(j)) return false;
  if (std::memcmp(a.embedding(i), b.embedding(j),
                  a.embedding_size(i) * sizeof(float)) == 0) {
    return true;
  }
  if (space != DistanceSpace::kCosine) return false;
  for (size_t k = 0; k < a.embedding_size(i); ++k) {
    if (UlpDistance(a.embedding(i)[k], b.embedding(j)[k]) > kCosineUlpTolerance) {
      return false;
    }
  }
  return true;
}

// Metadata equal key for key and type for type; doubles may differ by 4
// ulps, because Chroma 1.0 parses JSON doubles with about one ulp of error
// (bench/chroma_bench.cc measured it), so a double that went through Chroma
// twice need not come back bit for bit.
bool NearlySameDouble(double u, double v) {
  return u == v || std::fabs(u - v) <= 4 * std::numeric_limits<double>::epsilon() * std::fabs(u);
}

// List elements: as above, and an int equal to a double (Chroma 1.5 keeps
// a list with an int and a double as doubles: [1, 2.5] -> [1.0, 2.5]).
bool SameElement(const MetadataScalar& x, const MetadataScalar& y) {
  const auto* u = std::get_if<double>(&x);
  const auto* v = std::get_if<double>(&y);
  const auto* i = std::get_if<int64_t>(&x);
  const auto* j = std::get_if<int64_t>(&y);
  if (u && v) return NearlySameDouble(*u, *v);
  if (u && j) return *u == static_cast<double>(*j);
  if (i && v) return static_cast<double>(*i) == *v;
  return x == y;
}

bool SameMetadata(const std::optional<Metadata>& a, const std::optional<Metadata>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  if (a->size() != b->size()) return false;
  for (auto x = a->begin(), y = b->begin(); x != a->end(); ++x, ++y) {
    if (x->first != y->first || x->second.index() != y->second.index()) return false;
    if (const double* u = std::get_if<double>(&x->second)) {
      if (!NearlySameDouble(*u, std::get<double>(y->second))) return false;
    } else if (const auto* list = std::get_if<MetadataArray>(&x->second)) {
      const MetadataArray& other = std::get<MetadataArray>(y->second);
      if (list->size() != other.size()) return false;
      for (size_t k = 0; k < list->size(); ++k) {
        if (!SameElement((*list)[k], other[k])) return false;
      }
    } else if (x->second != y->second) {
      return false;
    }
  }
  return true;
}

// Compares the target's collection with the snapshot's: count, collection
// metadata, and the sampled records bit for bit.
Status VerifyRestored(Store& target, const SnapshotStore& snapshot,
                      const ManifestCollection& mc, size_t sample, const std::string& name) {
  ASSIGN_OR_RETURN(const int64_t count, target.Count(name));
  if (count != mc.count) {
    return Corruption("restored collection '" + name + "' holds " +
                      std::to_string(count) + " records but the snapshot has " +
                      std::to_string(mc.count));
  }
  ASSIGN_OR_RETURN(CollectionInfo info, target.GetCollection(name));
  if (info.metadata != mc.info.metadata || info.space != mc.info.space) {
    return Corruption("restored collection '" + name +
                      "' has different collection metadata or distance space "
                      "than the snapshot");
  }
  // Sample rows: evenly spaced over the collection (all when sample is 0).
  const int64_t n = mc.count;
  const int64_t want = (sample == 0 || static_cast<int64_t>(sample) >= n)
                           ? n
                           : static_cast<int64_t>(sample);
  std::set<int64_t> rows;
  for (int64_t k = 0; k < want; ++k) rows.insert(k * n / std::max<int64_t>(want, 1));
  int64_t page_start = 0;
  RecordBatch page, chosen;
  for (size_t p = 0; p < mc.pages.size(); ++p) {
    const int64_t page_end = page_start + mc.pages[p].rows;
    auto first = rows.lower_bound(page_start);
    if (first != rows.end() && *first < page_end) {
      page.Clear();
      chosen.Clear();
      RETURN_IF_ERROR(snapshot.ReadPage(mc, p, Include(), &page));
      std::vector<std::string> ids;
      for (auto it = first; it != rows.end() && *it < page_end; ++it) {
        const size_t i = static_cast<size_t>(*it - page_start);
        chosen.AddFrom(page, i);
        ids.push_back(page.id(i));
      }
      ASSIGN_OR_RETURN(RecordBatch got, target.Get(name, ids, Include()));
      std::map<std::string, size_t> by_id;
      for (size_t i = 0; i < got.size(); ++i) by_id[got.id(i)] = i;
      for (size_t i = 0; i < chosen.size(); ++i) {
        const std::string where = "restored collection '" + name + "', record '" +
                                  chosen.id(i) + "'";
        auto it = by_id.find(chosen.id(i));
        if (it == by_id.end()) return Corruption(where + " is missing");
        const size_t j = it->second;
        if (chosen.document(i) != got.document(j)) {
          return Corruption(where + ": document differs from the snapshot");
        }
        if (!SameMetadata(chosen.metadata(i), got.metadata(j))) {
          return Corruption(where + ": metadata differs from the snapshot");
        }
        if (!SameEmbedding(chosen, i, got, j, mc.info.space)) {
          return Corruption(where + ": embedding differs from the snapshot");
        }
      }
    }
    page_start = page_end;
  }
  return Status::Ok();
}

}  // namespace


Status CheckAsideStamp(const CollectionInfo& info, const std::string& snapshot_id,
                       const std::string& stamp, const std::string& original) {
  const std::string what = "collection '" + info.name + "'";
  if (!IsRollbackAsideName(info.name)) {
    return FailedPrecondition(what + " is not named like a vecgate aside collection "
                              "(NAME_failed_YYYYMMDDHHMMSS)");
  }
  auto value = [&](const char* key) -> std::string {
    auto it = info.metadata.find(key);
    if (it == info.metadata.end()) return "";
    const std::string* s = std::get_if<std::string>(&it->second);
    return s ? *s : "";
  };
  if (value(kAsideStampSnapshotKey).empty()) {
    return FailedPrecondition(what + " carries no vecgate set-aside stamp (metadata " +
                              kAsideStampSnapshotKey + "); vecgate did not set it aside");
  }
  if (value(kAsideStampSnapshotKey) != snapshot_id || value(kAsideStampTimeKey) != stamp ||
      value(kAsideStampOriginalKey) != original) {
    return FailedPrecondition(what + "'s set-aside stamp (snapshot " +
                              value(kAsideStampSnapshotKey) + ", " +
                              value(kAsideStampTimeKey) + ", of '" +
                              value(kAsideStampOriginalKey) +
                              "') is not the rollback's (snapshot " + snapshot_id + ", " +
                              stamp + ", of '" + original + "')");
  }
  return Status::Ok();
}

std::string RollbackPlan::ToText() const {
  std::ostringstream out;
  // Every name here came from a store or a file: shown printable, so no
  // ESC or BEL byte of a collection name reaches the terminal.
  auto show = [](const std::string& text) { return Printable(text, /*one_line=*/true); };
  out << "Rollback plan: snapshot " << show(snapshot_id) << " (taken "
      << show(snapshot_timestamp) << " from " << show(source_store) << ") into "
      << show(target_store) << ", " << RollbackTypeName(type) << (resuming ? ", resuming an interrupted rollback" : "")
      << "\n";
  for (const auto& s : steps) {
    out << "  " << show(s.collection) << ": ";
    if (s.phase != JournalPhase::kPending) out << "[" << JournalPhaseName(s.phase) << "] ";
    if (!s.aside_name.empty()) {
      out << "rename the current collection to " << show(s.aside_name) << " (kept); ";
    } else if (s.restore) {
      out << "not in the target; ";
    }
    if (s.restore) {
      out << "recreate it and restore " << s.records << " records in " << s.pages
          << " batches; verify the count and sampled records bit for bit";
    } else {
      out << "not in the snapshot: only set aside";
    }
    out << "\n";
  }
  for (const auto& name : untouched) {
    out << "  " << show(name) << ": not in the snapshot (made after it): left untouched "
        << "(--include-new-collections would set it aside)\n";
  }
  return out.str();
}

RollbackJournal PlanNewJournal(const Manifest& manifest,
                               const std::vector<CollectionInfo>& target_collections,
                               const std::string& target_store,
                               const std::vector<std::string>& requested,
                               bool include_new_collections, int64_t now,
                               std::vector<std::string>* untouched,
                               size_t max_name_bytes) {
  RollbackJournal journal;
  journal.snapshot_id = manifest.snapshot_id;
  journal.target_store = target_store;
  journal.type = requested.empty() ? RollbackType::kFull : RollbackType::kPartial;
  journal.stamp = FormatCompact(now);
  journal.started_at = FormatIso8601(now);
  journal.requested = requested;
  journal.include_new_collections = requested.empty() && include_new_collections;
  // Aside names must not be names the target holds or the rollback is about
  // to recreate.
  std::set<std::string> taken, in_snapshot;
  for (const auto& c : target_collections) taken.insert(c.name);
  for (const auto& mc : manifest.collections) {
    in_snapshot.insert(mc.info.name);
    taken.insert(mc.info.name);
  }
  auto set_aside = [&](JournalCollection& jc) {
    jc.aside_name = RollbackAsideName(jc.name, journal.stamp, taken, max_name_bytes);
    taken.insert(jc.aside_name);
  };
  std::set<std::string> in_target;
  for (const auto& c : target_collections) in_target.insert(c.name);
  for (const auto& mc : manifest.collections) {
    if (!requested.empty() &&
        !std::binary_search(requested.begin(), requested.end(), mc.info.name)) {
      continue;
    }
    JournalCollection jc;
    jc.name = mc.info.name;
    if (in_target.count(jc.name)) set_aside(jc);
    journal.collections.push_back(std::move(jc));
  }
  // Collections the snapshot never held (created after it) stay as they
  // are unless asked for: setting them aside would hand them to cleanup.
  if (!requested.empty()) return journal;
  for (const auto& c : target_collections) {
    if (in_snapshot.count(c.name) || IsRollbackAsideName(c.name)) continue;
    if (!journal.include_new_collections) {
      if (untouched != nullptr) untouched->push_back(c.name);
      continue;
    }
    JournalCollection jc;
    jc.name = c.name;
    jc.restore = false;
    set_aside(jc);
    journal.collections.push_back(std::move(jc));
  }
  return journal;
}

Status CheckResumable(const RollbackJournal& journal, const std::string& path,
                      const Manifest& manifest, const std::string& target_store,
                      const std::vector<std::string>& requested) {
  const std::string& id = manifest.snapshot_id;
  if (journal.target_store != target_store) {
    const std::string other = Printable(journal.target_store, true);
    return FailedPrecondition("an interrupted rollback of " + id + " into " + other +
                              " is pending (" + path + "); run it again with --store " +
                              other +
                              " to finish it before rolling back into another store");
  }
  if (journal.requested != requested) {
    return FailedPrecondition("an interrupted rollback of " + id + " with --collections '" +
                              Join(journal.requested) + "' is pending (" + path +
                              "); run it again with the same --collections to finish it");
  }
  if (journal.snapshot_id != id) {
    return JournalCorruption(path, " records snapshot '" + journal.snapshot_id + "', not '" +
                                       id + "'");
  }
  // Every collection the journal restores must be one the snapshot holds; a
  // journal edited by hand, or one of another snapshot, is refused before
  // anything is touched.
  std::set<std::string> restored;
  for (const auto& jc : journal.collections) {
    const ManifestCollection* mc = manifest.Find(jc.name);
    if (jc.restore && mc == nullptr) {
      return JournalCorruption(path, " restores collection '" + jc.name +
                                         "', which snapshot " + id +
                                         " does not hold; the journal is damaged or edited");
    }
    if (mc != nullptr && jc.pages_done > static_cast<int64_t>(mc->pages.size())) {
      return JournalCorruption(path, " says " + std::to_string(jc.pages_done) +
                                         " pages of '" + jc.name +
                                         "' are done but the snapshot has " +
                                         std::to_string(mc->pages.size()));
    }
    if (jc.restore) restored.insert(jc.name);
  }
  // A rollback renames the target's collection to its aside name, or takes
  // an existing collection of that name as already set aside: a name that
  // vecgate would not have chosen could make it restore into, or keep, the
  // wrong collection.
  for (const auto& jc : journal.collections) {
    if (jc.aside_name.empty()) continue;
    if (!IsRollbackAsideName(jc.aside_name) || restored.count(jc.aside_name)) {
      return JournalCorruption(path, " sets '" + jc.name + "' aside as '" + jc.aside_name +
                                         "', which is not a name vecgate gives aside "
                                         "collections; the journal is damaged or edited");
    }
  }
  return Status::Ok();
}

RollbackPlan MakeRollbackPlan(const Manifest& manifest, const RollbackJournal& journal,
                              bool resuming, std::vector<std::string> untouched) {
  RollbackPlan plan;
  plan.snapshot_id = manifest.snapshot_id;
  plan.snapshot_timestamp = manifest.timestamp;
  plan.source_store = manifest.source_store;
  plan.target_store = journal.target_store;
  plan.type = journal.type;
  plan.resuming = resuming;
  plan.untouched = std::move(untouched);
  for (const auto& jc : journal.collections) {
    RollbackPlanStep step;
    step.collection = jc.name;
    step.restore = jc.restore;
    step.aside_name = jc.aside_name;
    step.exists_in_target = !jc.aside_name.empty();
    step.phase = jc.phase;
    if (const ManifestCollection* mc = manifest.Find(jc.name); mc && jc.restore) {
      step.records = mc->count;
      step.pages = static_cast<int64_t>(mc->pages.size());
    }
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

namespace {

// One run of RunRollback: the plan step, then the phases, each recording a
// failure in the audit log once the manifest has been read.
class Rollback {
 public:
  Rollback(Store& target, const RollbackOptions& options)
      : target_(target), o_(options), env_(options.env), paths_{options.snapshot_dir} {}

  Result<RollbackResult> Run();

 private:
  // The plan step: reads, never changes the target.
  Status Plan();
  // Moves `jc` one phase on and saves the journal.
  Status RunPhase(JournalCollection& jc);
  // The phases, each resuming from what the journal and the target hold.
  Status SetAside(JournalCollection& jc);  // pending -> renamed_aside
  Status Recreate(JournalCollection& jc);  // renamed_aside -> created
  Status Refill(JournalCollection& jc);    // created -> restored
  Status Verify(JournalCollection& jc);    // restored -> verified
  // Stores that swap in (jc.staging_name set): verify the staging
  // collection, then swap it in, the live one set aside (restored ->
  // verified).
  Status VerifyAndSwap(JournalCollection& jc);
  // The collection the records go into: the staging collection when there
  // is one, else the collection itself.
  static const std::string& Into(const JournalCollection& jc) {
    return jc.staging_name.empty() ? jc.name : jc.staging_name;
  }
  // The snapshot's collection info, named Into(jc).
  CollectionInfo InfoFor(const JournalCollection& jc) const {
    CollectionInfo info = manifest_.Find(jc.name)->info;
    info.name = Into(jc);
    return info;
  }
  // The stamped metadata of `jc`'s live collection, for setting it aside.
  Result<Metadata> AsideStamp(const JournalCollection& jc);
  // The records of `page` whose ids the target's Into(jc) lacks.
  Result<RecordBatch> MissingFrom(const JournalCollection& jc, const RecordBatch& page);
  // Marks the snapshot restored and turns the journal into a done journal.
  Status Close();

  Status Save() { return WriteJournal(env_, journal_path_, journal_); }
  void Log(const std::string& line) {
    if (o_.log) o_.log(Printable(line, /*one_line=*/true));
  }
  // Records `s` in the audit log when the manifest has been read; returns it.
  Status Fail(Status s);
  // A rollback that was not confirmed: nothing changed, audited "cancelled".
  Status Cancel(Status s);
  void AuditOk(std::string message);

  Store& target_;
  RollbackOptions o_;
  Env* env_;
  SnapshotPaths paths_;
  Clock::time_point started_ = Clock::now();
  AuditEntry audit_;
  bool audit_ready_ = false;
  std::unique_ptr<FileLock> lock_;
  Manifest manifest_;
  std::unique_ptr<SnapshotStore> snapshot_;
  std::string journal_path_;
  RollbackJournal journal_;
  RollbackResult result_;
  std::set<std::string> created_this_run_;  // created empty by this run's Recreate
};

Result<RollbackResult> Rollback::Run() {
  // "latest" or a unique prefix of an id names one snapshot.
  if (o_.snapshot_id == "latest" ||
      (ValidateSnapshotId(o_.snapshot_id).ok() &&
       !env_->FileExists(paths_.Manifest(o_.snapshot_id)))) {
    auto resolved = ResolveSnapshotId(env_, o_.snapshot_dir, o_.snapshot_id);
    if (resolved.ok()) o_.snapshot_id = *resolved;
    if (!resolved.ok() && resolved.status().code() != StatusCode::kNotFound) {
      return resolved.status();
    }
  }
  result_.dry_run = o_.dry_run;
  audit_.action = "rollback";
  audit_.snapshot_id = o_.snapshot_id;
  audit_.type = o_.dry_run ? "dry_run" : (o_.collections.empty() ? "full" : "partial");
  audit_.store = target_.Describe();
  audit_.collections = o_.collections;
  audit_.trigger = o_.trigger;

  if (Status s = Plan(); !s.ok()) return Fail(s);
  if (o_.dry_run) {
    AuditOk("dry run: nothing changed");
    return std::move(result_);
  }
  if (o_.confirm && !o_.confirm(result_.plan)) {
    return Cancel(Aborted("rollback of " + o_.snapshot_id +
                          " cancelled: it was not confirmed with 'yes'; nothing changed"));
  }
  journal_.attempts += 1;
  if (Status s = Save(); !s.ok()) return Fail(s);
  for (JournalCollection& jc : journal_.collections) {
    while (!jc.finished()) {
      if (Status s = RunPhase(jc); !s.ok()) return Fail(s);
    }
  }
  if (Status s = Close(); !s.ok()) return Fail(s);
  AuditOk("restored " + Join(result_.restored) +
          (result_.aside_names.empty() ? std::string()
                                       : "; set aside " + Join(result_.aside_names)) +
          (result_.plan.resuming ? " (resumed)" : ""));
  return std::move(result_);
}

Status Rollback::Plan() {
  RETURN_IF_ERROR(ValidateSnapshotId(o_.snapshot_id));
  for (const auto& name : o_.collections) RETURN_IF_ERROR(ValidateCollectionName(name));
  if (!o_.dry_run && !target_.writable()) {
    return FailedPrecondition(target_.Describe() +
                              " is read-only; roll back into a writable store "
                              "such as chroma://HOST:PORT");
  }
  if (!o_.dry_run) {
    ASSIGN_OR_RETURN(lock_, LockSnapshotDir(env_, paths_.dir, o_.lock_wait_seconds));
  }
  ASSIGN_OR_RETURN(manifest_, LoadManifest(env_, paths_.dir, o_.snapshot_id));
  audit_ready_ = true;
  if (manifest_.status == "failed") {
    return Corruption("snapshot " + o_.snapshot_id +
                      " failed its last verification; refusing to roll back from "
                      "it. Run 'vecgate snapshot verify " + o_.snapshot_id +
                      "' again: if the archive reads correctly now it becomes usable");
  }
  const std::string archive = paths_.Archive(o_.snapshot_id);
  Status check = CheckArchive(env_, manifest_, archive, /*deep=*/false);
  if (!check.ok()) {
    return check.WithContext("refusing to roll back from snapshot " + o_.snapshot_id);
  }
  if (o_.target_from_manifest && manifest_.index_member.name.empty()) {
    return FailedPrecondition("snapshot " + o_.snapshot_id +
                              " has no copy of its manifest inside its archive (an older "
                              "vecgate wrote it), so the store its manifest names cannot "
                              "be checked; give the store to restore into with --store");
  }
  for (const auto& name : o_.collections) {
    if (manifest_.Find(name) == nullptr) {
      std::vector<std::string> have;
      for (const auto& c : manifest_.collections) have.push_back(c.info.name);
      return NotFound("collection '" + name + "' is not in snapshot " + o_.snapshot_id +
                      " (it has: " + Join(have) + ")");
    }
  }
  ASSIGN_OR_RETURN(snapshot_, SnapshotStore::OpenVerified(env_, archive, manifest_));

  // The journal: resume it, or plan one.
  journal_path_ = ActiveJournalPath(paths_, o_.snapshot_id);
  std::vector<std::string> requested = o_.collections;
  std::sort(requested.begin(), requested.end());
  requested.erase(std::unique(requested.begin(), requested.end()), requested.end());
  std::vector<std::string> untouched;
  const bool resuming = env_->FileExists(journal_path_);
  if (resuming) {
    ASSIGN_OR_RETURN(journal_, ReadJournal(env_, journal_path_));
    RETURN_IF_ERROR(CheckResumable(journal_, journal_path_, manifest_, target_.Describe(),
                                   requested));
  } else {
    ASSIGN_OR_RETURN(const auto listed, target_.ListCollections());
    journal_ = PlanNewJournal(manifest_, listed, target_.Describe(), requested,
                              o_.include_new_collections, NowSeconds(env_), &untouched,
                              target_.max_name_bytes());
    if (target_.can_swap_in_restored()) {
      // Each restored collection is built under a staging name and swapped
      // in: the live one is not touched until its replacement is verified.
      std::set<std::string> taken;
      for (const auto& c : listed) taken.insert(c.name);
      for (const auto& c : manifest_.collections) taken.insert(c.info.name);
      for (const auto& jc : journal_.collections) taken.insert(jc.aside_name);
      for (auto& jc : journal_.collections) {
        if (!jc.restore) continue;
        jc.staging_name = RollbackStagingName(jc.name, journal_.stamp, taken,
                                              target_.max_name_bytes());
        taken.insert(jc.staging_name);
      }
    }
  }
  // What the target cannot put back as the snapshot holds it (an archive
  // written before snapshots refused such collections) is refused here,
  // before anything changes.
  for (const auto& jc : journal_.collections) {
    const ManifestCollection* mc = manifest_.Find(jc.name);
    if (!jc.restore || mc == nullptr) continue;
    if (Status s = target_.CheckRestorable(mc->info); !s.ok()) {
      return s.WithContext("refusing to roll back collection '" + jc.name + "' from snapshot " +
                           o_.snapshot_id + "; nothing was changed");
    }
  }
  result_.plan = MakeRollbackPlan(manifest_, journal_, resuming, std::move(untouched));
  audit_.collections.clear();
  for (const auto& jc : journal_.collections) {
    if (jc.restore) audit_.collections.push_back(jc.name);
  }
  return Status::Ok();
}

Status Rollback::RunPhase(JournalCollection& jc) {
  if (!jc.staging_name.empty()) {
    // Built aside, swapped in: the live collection is only touched by the
    // swap, one transaction.
    switch (jc.phase) {
      case JournalPhase::kPending:
      case JournalPhase::kRenamedAside:
        RETURN_IF_ERROR(Recreate(jc));
        jc.phase = JournalPhase::kCreated;
        break;
      case JournalPhase::kCreated:
        RETURN_IF_ERROR(Refill(jc));
        jc.phase = JournalPhase::kRestored;
        break;
      case JournalPhase::kRestored:
        RETURN_IF_ERROR(VerifyAndSwap(jc));
        jc.phase = JournalPhase::kVerified;
        break;
      case JournalPhase::kVerified:
        return Status::Ok();
    }
    return Save();
  }
  switch (jc.phase) {
    case JournalPhase::kPending:
      RETURN_IF_ERROR(SetAside(jc));
      jc.phase = JournalPhase::kRenamedAside;
      break;
    case JournalPhase::kRenamedAside:
      RETURN_IF_ERROR(Recreate(jc));
      jc.phase = JournalPhase::kCreated;
      break;
    case JournalPhase::kCreated:
      RETURN_IF_ERROR(Refill(jc));
      jc.phase = JournalPhase::kRestored;
      break;
    case JournalPhase::kRestored:
      RETURN_IF_ERROR(Verify(jc));
      jc.phase = JournalPhase::kVerified;
      break;
    case JournalPhase::kVerified:
      return Status::Ok();
  }
  return Save();
}

Status Rollback::SetAside(JournalCollection& jc) {
  if (jc.aside_name.empty()) return Status::Ok();
  // Already renamed by an interrupted run (the journal was not saved after).
  ASSIGN_OR_RETURN(const bool aside_exists, Exists(target_, jc.aside_name));
  if (aside_exists) return Status::Ok();
  ASSIGN_OR_RETURN(const bool original_exists, Exists(target_, jc.name));
  if (!original_exists) {
    jc.aside_name.clear();  // it vanished meanwhile: nothing to keep
    return Status::Ok();
  }
  // Rename and stamp in one request: cleanup deletes an aside collection
  // only when it carries this stamp.
  ASSIGN_OR_RETURN(Metadata stamped, AsideStamp(jc));
  Status s = target_.RenameCollectionWithMetadata(jc.name, jc.aside_name, &stamped);
  if (s.code() == StatusCode::kUnimplemented) {
    s = target_.RenameCollection(jc.name, jc.aside_name);
    Log("note: " + target_.Describe() + " cannot stamp " + jc.aside_name +
        "; cleanup will never delete it, remove it by hand when done");
  }
  if (!s.ok()) return s.WithContext("setting collection '" + jc.name + "' aside");
  Log("renamed " + jc.name + " -> " + jc.aside_name);
  return Status::Ok();
}

Result<Metadata> Rollback::AsideStamp(const JournalCollection& jc) {
  ASSIGN_OR_RETURN(const CollectionInfo info, target_.GetCollection(jc.name));
  Metadata stamped = info.metadata;
  stamped[kAsideStampSnapshotKey] = o_.snapshot_id;
  stamped[kAsideStampTimeKey] = journal_.stamp;
  stamped[kAsideStampOriginalKey] = jc.name;
  return stamped;
}

Status Rollback::VerifyAndSwap(JournalCollection& jc) {
  const ManifestCollection& mc = *manifest_.Find(jc.name);
  ASSIGN_OR_RETURN(const bool staged, Exists(target_, jc.staging_name));
  if (!staged) {
    // Swapped by an interrupted run (the swap is one transaction): the
    // collection holds the restored records now.
    ASSIGN_OR_RETURN(const bool live, Exists(target_, jc.name));
    if (!live) {
      return FailedPrecondition("neither collection '" + jc.name + "' nor its restored copy '" +
                                jc.staging_name + "' exists in " + target_.Describe() +
                                "; run the rollback again from a new journal");
    }
    Log("verified " + jc.name + " (swapped in by the interrupted run)");
    return Status::Ok();
  }
  Status verified = VerifyRestored(target_, *snapshot_, mc, o_.verify_sample, jc.staging_name);
  if (!verified.ok()) {
    return verified.WithContext("verification of the restored copy '" + jc.staging_name +
                                "' of '" + jc.name + "' failed; '" + jc.name +
                                "' is untouched");
  }
  ASSIGN_OR_RETURN(const bool live, Exists(target_, jc.name));
  if (live && jc.aside_name.empty()) {
    return FailedPrecondition("collection '" + jc.name + "' was made in " + target_.Describe() +
                              " after the rollback was planned; nothing was swapped in. Move "
                              "it away, then run the rollback again");
  }
  Metadata stamped;
  if (live) {
    ASSIGN_OR_RETURN(stamped, AsideStamp(jc));
  }
  Status s = target_.SwapInRestored(jc.staging_name, jc.name, jc.aside_name,
                                    live ? &stamped : nullptr);
  if (!s.ok()) {
    return s.WithContext("swapping the restored copy '" + jc.staging_name + "' in for '" +
                         jc.name + "'; '" + jc.name + "' is untouched");
  }
  Log("verified " + jc.name + " and swapped it in" +
      (live ? "; the previous one is aside as " + jc.aside_name : std::string()));
  if (!live) jc.aside_name.clear();  // nothing was set aside
  return Status::Ok();
}

Status Rollback::Recreate(JournalCollection& jc) {
  // Whether a run before this one began to create it: only then can a
  // collection of that name be this rollback's own.
  const bool attempted_before = jc.create_attempted;
  if (!attempted_before) {
    jc.create_attempted = true;
    RETURN_IF_ERROR(Save());
  }
  Status s = target_.CreateCollection(InfoFor(jc));
  if (s.ok()) created_this_run_.insert(Into(jc));
  if (s.code() == StatusCode::kAlreadyExists && !attempted_before) {
    // Made by someone else after the original was set aside: restoring
    // into it would mix the snapshot with their records.
    return FailedPrecondition(
        "collection '" + Into(jc) + "' exists in " + target_.Describe() +
        " but this rollback did not create it (it was made after '" + jc.name + "' was set " +
        "aside" + (jc.aside_name.empty() ? std::string() : " as '" + jc.aside_name + "'") +
        "); nothing was restored into it. Move it away, then run the rollback again");
  }
  // AlreadyExists after an attempt: made by the interrupted run.
  if (!s.ok() && s.code() != StatusCode::kAlreadyExists) {
    return s.WithContext("recreating collection '" + jc.name + "'");
  }
  return Status::Ok();
}

Status Rollback::Refill(JournalCollection& jc) {
  const ManifestCollection& mc = *manifest_.Find(jc.name);
  const SnapshotStore& snapshot = *snapshot_;
  const size_t pages = mc.pages.size();
  auto read = [&snapshot, &mc](size_t p) {
    auto batch = std::make_unique<RecordBatch>();
    Status st = snapshot.ReadPage(mc, p, Include(), batch.get());
    return std::make_pair(st, std::move(batch));
  };
  std::future<std::pair<Status, std::unique_ptr<RecordBatch>>> next;
  // Waits for the page being decoded before an early return, which would
  // otherwise leave it running against this frame.
  auto abandon = [&next](Status s) {
    if (next.valid()) next.wait();
    return s;
  };
  size_t p = static_cast<size_t>(jc.pages_done);
  // Only a collection this run did not create itself can hold records an
  // interrupted run added.
  bool first_page_may_be_added = created_this_run_.count(Into(jc)) == 0;
  if (p < pages) next = std::async(std::launch::async, read, p);
  int64_t done_records = 0;
  for (size_t q = 0; q < p; ++q) done_records += mc.pages[q].rows;
  while (p < pages) {
    auto [st, batch] = next.get();
    if (!st.ok()) return st;
    // Decode the following page while this one is being posted.
    if (p + 1 < pages) next = std::async(std::launch::async, read, p + 1);
    if (first_page_may_be_added) {
      // An interrupted run may have added this page (all of it, or part)
      // before its journal recorded it: add only what the target lacks.
      first_page_may_be_added = false;
      auto missing = MissingFrom(jc, *batch);
      if (!missing.ok()) return abandon(missing.status());
      if (missing->size() != batch->size()) {
        Log(jc.name + ": " + std::to_string(batch->size() - missing->size()) + " of " +
            std::to_string(batch->size()) +
            " records of the interrupted page were already added; adding the rest");
        *batch = std::move(*missing);
      }
    }
    Status s = batch->empty() ? Status::Ok() : target_.Add(Into(jc), *batch);
    if (!s.ok()) return abandon(s.WithContext("restoring collection '" + jc.name + "'"));
    result_.records_restored += static_cast<int64_t>(batch->size());
    done_records += static_cast<int64_t>(batch->size());
    jc.pages_done = static_cast<int64_t>(++p);
    if (Status saved = Save(); !saved.ok()) return abandon(saved);
    Log("restoring " + jc.name + ": " + std::to_string(done_records) + "/" +
        std::to_string(mc.count));
  }
  return Status::Ok();
}

Result<RecordBatch> Rollback::MissingFrom(const JournalCollection& jc,
                                          const RecordBatch& page) {
  const std::string& collection = Into(jc);
  std::vector<std::string> ids;
  ids.reserve(page.size());
  for (size_t i = 0; i < page.size(); ++i) ids.push_back(page.id(i));
  Include ids_only;
  ids_only.documents = false;
  ids_only.metadatas = false;
  ids_only.embeddings = false;
  auto held = target_.Get(collection, ids, ids_only);
  if (held.status().code() == StatusCode::kNotFound) {
    // The journal says created, but the store lost the collection (a
    // jsonl: file killed before its buffered header was written): make it
    // again; none of the page is there.
    Status created = target_.CreateCollection(InfoFor(jc));
    if (!created.ok() && created.code() != StatusCode::kAlreadyExists) {
      return created.WithContext("recreating collection '" + collection + "'");
    }
    return page;
  }
  if (!held.ok()) {
    return held.status().WithContext("checking which records of an interrupted page '" +
                                     collection + "' already holds");
  }
  std::set<std::string> present;
  for (size_t i = 0; i < held->size(); ++i) present.insert(held->id(i));
  RecordBatch missing;
  for (size_t i = 0; i < page.size(); ++i) {
    if (!present.count(page.id(i))) missing.AddFrom(page, i);
  }
  return missing;
}

Status Rollback::Verify(JournalCollection& jc) {
  Status s = VerifyRestored(target_, *snapshot_, *manifest_.Find(jc.name), o_.verify_sample,
                            jc.name);
  if (!s.ok()) {
    return s.WithContext("verification after restoring '" + jc.name +
                         "' failed; the aside collection " +
                         (jc.aside_name.empty() ? "(none)" : jc.aside_name) +
                         " is untouched");
  }
  Log("verified " + jc.name);
  return Status::Ok();
}

Status Rollback::Close() {
  const int64_t now = NowSeconds(env_);
  RETURN_IF_ERROR(
      UpdateManifestStatus(env_, paths_.dir, o_.snapshot_id, "restored", FormatIso8601(now)));
  journal_.finished_at = FormatIso8601(now);
  RETURN_IF_ERROR(
      WriteJournal(env_, DoneJournalPath(paths_, o_.snapshot_id, journal_.stamp), journal_));
  RETURN_IF_ERROR(env_->RemoveFile(journal_path_));
  RETURN_IF_ERROR(env_->SyncDir(paths_.LogsDir()));
  for (const auto& jc : journal_.collections) {
    if (jc.restore) result_.restored.push_back(jc.name);
    if (!jc.aside_name.empty()) result_.aside_names.push_back(jc.aside_name);
  }
  return Status::Ok();
}

Status Rollback::Fail(Status s) {
  // Messages name collections of the target and the snapshot: no control
  // byte of one may reach the terminal or the log, nor a credential.
  s = ShowableStatus(s);
  if (audit_ready_) {
    audit_.status = "failed";
    audit_.success = false;
    audit_.message = s.ToString();
    audit_.duration_seconds = Since(started_);
    (void)AppendAudit(env_, paths_.AuditLog(), audit_);
  }
  return s;
}

Status Rollback::Cancel(Status s) {
  if (audit_ready_) {
    audit_.status = "cancelled";
    audit_.success = false;
    audit_.message = s.ToString();
    audit_.duration_seconds = Since(started_);
    (void)AppendAudit(env_, paths_.AuditLog(), audit_);
  }
  return s;
}

void Rollback::AuditOk(std::string message) {
  result_.elapsed_seconds = Since(started_);
  audit_.status = "ok";
  audit_.success = true;
  audit_.message = std::move(message);
  audit_.duration_seconds = result_.elapsed_seconds;
  (void)AppendAudit(env_, paths_.AuditLog(), audit_);
}

}  // namespace

Result<RollbackResult> RunRollback(Store& target, const RollbackOptions& options) {
  return Rollback(target, options).Run();
}

}  // namespace vecgate
