// Rollback with a journal that makes it resumable.
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
bool SameMetadata(const std::optional<Metadata>& a, const std::optional<Metadata>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  if (a->size() != b->size()) return false;
  for (auto x = a->begin(), y = b->begin(); x != a->end(); ++x, ++y) {
    if (x->first != y->first || x->second.index() != y->second.index()) return false;
    if (const double* u = std::get_if<double>(&x->second)) {
      const double v = std::get<double>(y->second);
      if (*u != v && std::fabs(*u - v) > 4 * std::numeric_limits<double>::epsilon() *
                                             std::fabs(*u)) {
        return false;
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
                      const ManifestCollection& mc, size_t sample) {
  const std::string& name = mc.info.name;
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
  out << "Rollback plan: snapshot " << snapshot_id << " (taken " << snapshot_timestamp
      << " from " << source_store << ") into " << target_store << ", " << type
      << (resuming ? ", resuming an interrupted rollback" : "") << "\n";
  for (const auto& s : steps) {
    out << "  " << s.collection << ": ";
    if (s.phase != "pending") out << "[" << s.phase << "] ";
    if (!s.aside_name.empty()) {
      out << "rename the current collection to " << s.aside_name << " (kept); ";
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
    out << "  " << name << ": not in the snapshot (made after it): left untouched "
        << "(--include-new-collections would set it aside)\n";
  }
  return out.str();
}

Result<RollbackResult> RunRollback(Store& target, const RollbackOptions& given) {
  Clock::time_point started = Clock::now();
  RollbackOptions o = given;
  Env* env = o.env;
  // "latest" or a unique prefix of an id names one snapshot.
  if (o.snapshot_id == "latest" || (ValidateSnapshotId(o.snapshot_id).ok() &&
                                    !env->FileExists(SnapshotPaths{o.snapshot_dir}.Manifest(
                                        o.snapshot_id)))) {
    auto resolved = ResolveSnapshotId(env, o.snapshot_dir, o.snapshot_id);
    if (resolved.ok()) o.snapshot_id = *resolved;
    if (!resolved.ok() && resolved.status().code() != StatusCode::kNotFound) {
      return resolved.status();
    }
  }
  const SnapshotPaths paths{o.snapshot_dir};
  RollbackResult result;
  result.dry_run = o.dry_run;
  auto log = [&](const std::string& line) {
    if (o.log) o.log(line);
  };

  AuditEntry audit;
  audit.action = "rollback";
  audit.snapshot_id = o.snapshot_id;
  audit.type = o.dry_run ? "dry_run" : (o.collections.empty() ? "full" : "partial");
  audit.store = target.Describe();
  audit.collections = o.collections;
  audit.trigger = o.trigger;
  // Records a failure in the audit log (once the id is known to be safe).
  bool audit_ok = false;
  auto fail = [&](Status s) -> Status {
    if (audit_ok) {
      audit.status = "failed";
      audit.success = false;
      audit.message = s.ToString();
      audit.duration_seconds = Since(started);
      (void)AppendAudit(env, paths.AuditLog(), audit);
    }
    return s;
  };

  RETURN_IF_ERROR(ValidateSnapshotId(o.snapshot_id));
  for (const auto& name : o.collections) RETURN_IF_ERROR(ValidateCollectionName(name));
  if (!o.dry_run && !target.writable()) {
    return FailedPrecondition(target.Describe() +
                              " is read-only; roll back into a writable store "
                              "such as chroma://HOST:PORT");
  }
  std::unique_ptr<FileLock> lock;
  if (!o.dry_run) {
    ASSIGN_OR_RETURN(lock, LockSnapshotDir(env, paths.dir, o.lock_wait_seconds));
  }
  ASSIGN_OR_RETURN(Manifest manifest, LoadManifest(env, paths.dir, o.snapshot_id));
  audit_ok = true;
  if (manifest.status == "failed") {
    return fail(Corruption("snapshot " + o.snapshot_id +
                           " failed its last verification; refusing to roll back from "
                           "it. Run 'vecgate snapshot verify " + o.snapshot_id +
                           "' again: if the archive reads correctly now it becomes usable"));
  }
  const std::string archive = paths.Archive(o.snapshot_id);
  Status check = CheckArchive(env, manifest, archive, /*deep=*/false);
  if (!check.ok()) {
    return fail(check.WithContext("refusing to roll back from snapshot " +
                                  o.snapshot_id));
  }
  for (const auto& name : o.collections) {
    if (manifest.Find(name) == nullptr) {
      std::vector<std::string> have;
      for (const auto& c : manifest.collections) have.push_back(c.info.name);
      return fail(NotFound("collection '" + name + "' is not in snapshot " +
                           o.snapshot_id + " (it has: " + Join(have) + ")"));
    }
  }
  auto snapshot_or = SnapshotStore::OpenVerified(env, archive, manifest);
  if (!snapshot_or.ok()) return fail(snapshot_or.status());
  const SnapshotStore& snapshot = **snapshot_or;

  // The journal: resume it, or start one.
  const std::string journal_path = ActiveJournalPath(paths, o.snapshot_id);
  RollbackJournal journal;
  bool resuming = false;
  std::vector<std::string> requested = o.collections;
  std::sort(requested.begin(), requested.end());
  requested.erase(std::unique(requested.begin(), requested.end()), requested.end());
  if (env->FileExists(journal_path)) {
    auto text = env->ReadFile(journal_path);
    if (!text.ok()) return fail(text.status());
    auto parsed = ParseJournal(*text, journal_path);
    if (!parsed.ok()) return fail(parsed.status());
    journal = std::move(*parsed);
    if (journal.target_store != target.Describe()) {
      return fail(FailedPrecondition(
          "an interrupted rollback of " + o.snapshot_id + " into " +
          journal.target_store + " is pending (" + journal_path +
          "); run it again with --store " + journal.target_store +
          " to finish it before rolling back into another store"));
    }
    if (journal.requested != requested) {
      return fail(FailedPrecondition(
          "an interrupted rollback of " + o.snapshot_id + " with --collections '" +
          Join(journal.requested) + "' is pending (" + journal_path +
          "); run it again with the same --collections to finish it"));
    }
    if (journal.snapshot_id != o.snapshot_id) {
      return fail(Corruption("rollback journal '" + journal_path + "' records snapshot '" +
                             journal.snapshot_id + "', not '" + o.snapshot_id +
                             "'; move it away to start the rollback afresh"));
    }
    // Every collection the journal restores must be one the snapshot holds;
    // a journal edited by hand, or one of another snapshot, is refused before
    // anything is touched.
    for (const auto& jc : journal.collections) {
      if (jc.restore && manifest.Find(jc.name) == nullptr) {
        return fail(Corruption(
            "rollback journal '" + journal_path + "' restores collection '" + jc.name +
            "', which snapshot " + o.snapshot_id +
            " does not hold; the journal is damaged or edited. Move it away to start "
            "the rollback afresh (the aside collections it names are kept)"));
      }
      const ManifestCollection* mc = manifest.Find(jc.name);
      if (mc != nullptr && jc.pages_done > static_cast<int64_t>(mc->pages.size())) {
        return fail(Corruption("rollback journal '" + journal_path + "' says " +
                               std::to_string(jc.pages_done) + " pages of '" + jc.name +
                               "' are done but the snapshot has " +
                               std::to_string(mc->pages.size()) +
                               "; move it away to start the rollback afresh"));
      }
    }
    resuming = true;
  } else {
    auto listed = target.ListCollections();
    if (!listed.ok()) return fail(listed.status());
    std::set<std::string> taken;
    for (const auto& c : *listed) taken.insert(c.name);
    const int64_t now = NowSeconds(env);
    journal.snapshot_id = o.snapshot_id;
    journal.target_store = target.Describe();
    journal.type = o.collections.empty() ? "full" : "partial";
    journal.stamp = FormatCompact(now);
    journal.started_at = FormatIso8601(now);
    journal.requested = requested;
    journal.include_new_collections = requested.empty() && o.include_new_collections;
    std::set<std::string> in_snapshot;
    for (const auto& mc : manifest.collections) {
      in_snapshot.insert(mc.info.name);
      if (!requested.empty() &&
          !std::binary_search(requested.begin(), requested.end(), mc.info.name)) {
        continue;
      }
      JournalCollection jc;
      jc.name = mc.info.name;
      if (taken.count(jc.name)) {
        jc.aside_name = RollbackAsideName(jc.name, journal.stamp, taken);
        taken.insert(jc.aside_name);
      }
      journal.collections.push_back(std::move(jc));
    }
    // Collections the snapshot never held (created after it) stay as they
    // are unless asked for: setting them aside would hand them to cleanup.
    if (journal.include_new_collections) {
      for (const auto& c : *listed) {
        if (in_snapshot.count(c.name) || IsRollbackAsideName(c.name)) continue;
        JournalCollection jc;
        jc.name = c.name;
        jc.restore = false;
        jc.aside_name = RollbackAsideName(c.name, journal.stamp, taken);
        taken.insert(jc.aside_name);
        journal.collections.push_back(std::move(jc));
      }
    } else if (requested.empty()) {
      for (const auto& c : *listed) {
        if (in_snapshot.count(c.name) || IsRollbackAsideName(c.name)) continue;
        result.plan.untouched.push_back(c.name);
      }
    }
  }

  RollbackPlan& plan = result.plan;
  plan.snapshot_id = o.snapshot_id;
  plan.snapshot_timestamp = manifest.timestamp;
  plan.source_store = manifest.source_store;
  plan.target_store = target.Describe();
  plan.type = journal.type;
  plan.resuming = resuming;
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
    plan.steps.push_back(step);
  }
  audit.collections.clear();
  for (const auto& jc : journal.collections) {
    if (jc.restore) audit.collections.push_back(jc.name);
  }

  if (o.dry_run) {
    audit.status = "ok";
    audit.success = true;
    audit.message = "dry run: nothing changed";
    audit.duration_seconds = Since(started);
    (void)AppendAudit(env, paths.AuditLog(), audit);
    result.elapsed_seconds = Since(started);
    return result;
  }
  if (o.confirm && !o.confirm(plan)) {
    return fail(Aborted("rollback of " + o.snapshot_id +
                        " cancelled: it was not confirmed with 'yes'; nothing changed"));
  }

  journal.attempts += 1;
  auto save = [&]() { return WriteFileAtomically(env, journal_path, JournalJson(journal)); };
  Status s = save();
  if (!s.ok()) return fail(s);

  for (JournalCollection& jc : journal.collections) {
    const std::string& name = jc.name;
    if (jc.phase == "pending") {
      if (!jc.aside_name.empty()) {
        auto aside_exists = Exists(target, jc.aside_name);
        if (!aside_exists.ok()) return fail(aside_exists.status());
        if (!*aside_exists) {
          auto original_exists = Exists(target, name);
          if (!original_exists.ok()) return fail(original_exists.status());
          if (*original_exists) {
            // Rename and stamp in one request: cleanup deletes an aside
            // collection only when it carries this stamp.
            auto info = target.GetCollection(name);
            if (!info.ok()) return fail(info.status());
            Metadata stamped = info->metadata;
            stamped[kAsideStampSnapshotKey] = o.snapshot_id;
            stamped[kAsideStampTimeKey] = journal.stamp;
            stamped[kAsideStampOriginalKey] = name;
            s = target.RenameCollectionWithMetadata(name, jc.aside_name, &stamped);
            if (s.code() == StatusCode::kUnimplemented) {
              s = target.RenameCollection(name, jc.aside_name);
              log("note: " + target.Describe() + " cannot stamp " + jc.aside_name +
                  "; cleanup will never delete it, remove it by hand when done");
            }
            if (!s.ok()) return fail(s.WithContext("setting collection '" + name + "' aside"));
            log("renamed " + name + " -> " + jc.aside_name);
          } else {
            jc.aside_name.clear();  // it vanished meanwhile: nothing to keep
          }
        }
        if (!jc.aside_name.empty()) result.aside_names.push_back(jc.aside_name);
      }
      jc.phase = "renamed_aside";
      if (!(s = save()).ok()) return fail(s);
    }
    if (!jc.restore) continue;
    const ManifestCollection& mc = *manifest.Find(name);
    if (jc.phase == "renamed_aside") {
      s = target.CreateCollection(mc.info);
      // AlreadyExists: made by an interrupted run (the original was set
      // aside, or did not exist, before that run created it).
      if (!s.ok() && s.code() != StatusCode::kAlreadyExists) {
        return fail(s.WithContext("recreating collection '" + name + "'"));
      }
      jc.phase = "created";
      if (!(s = save()).ok()) return fail(s);
    }
    if (jc.phase == "created") {
      const size_t pages = mc.pages.size();
      auto read = [&snapshot, &mc](size_t p) {
        auto batch = std::make_unique<RecordBatch>();
        Status st = snapshot.ReadPage(mc, p, Include(), batch.get());
        return std::make_pair(st, std::move(batch));
      };
      std::future<std::pair<Status, std::unique_ptr<RecordBatch>>> next;
      size_t p = static_cast<size_t>(jc.pages_done);
      if (p < pages) next = std::async(std::launch::async, read, p);
      int64_t done_records = 0;
      for (size_t q = 0; q < p; ++q) done_records += mc.pages[q].rows;
      while (p < pages) {
        auto [st, batch] = next.get();
        if (!st.ok()) return fail(st);
        // Decode the following page while this one is being posted.
        if (p + 1 < pages) next = std::async(std::launch::async, read, p + 1);
        s = target.Add(name, *batch);
        if (!s.ok()) {
          if (next.valid()) next.wait();
          return fail(s.WithContext("restoring collection '" + name + "'"));
        }
        result.records_restored += static_cast<int64_t>(batch->size());
        done_records += static_cast<int64_t>(batch->size());
        jc.pages_done = static_cast<int64_t>(++p);
        if (!(s = save()).ok()) {
          if (next.valid()) next.wait();
          return fail(s);
        }
        log("restoring " + name + ": " + std::to_string(done_records) + "/" +
            std::to_string(mc.count));
      }
      jc.phase = "restored";
      if (!(s = save()).ok()) return fail(s);
    }
    if (jc.phase == "restored") {
      s = VerifyRestored(target, snapshot, mc, o.verify_sample);
      if (!s.ok()) {
        return fail(s.WithContext("verification after restoring '" + name +
                                  "' failed; the aside collection " +
                                  (jc.aside_name.empty() ? "(none)" : jc.aside_name) +
                                  " is untouched"));
      }
      jc.phase = "verified";
      if (!(s = save()).ok()) return fail(s);
      log("verified " + name);
    }
    result.restored.push_back(name);
  }

  const int64_t now = NowSeconds(env);
  s = UpdateManifestStatus(env, paths.dir, o.snapshot_id, "restored", FormatIso8601(now));
  if (!s.ok()) return fail(s);
  journal.finished_at = FormatIso8601(now);
  s = WriteFileAtomically(env, DoneJournalPath(paths, o.snapshot_id, journal.stamp),
                          JournalJson(journal));
  if (s.ok()) s = env->RemoveFile(journal_path);
  if (s.ok()) s = env->SyncDir(paths.LogsDir());
  if (!s.ok()) return fail(s);

  result.aside_names.clear();
  for (const auto& jc : journal.collections) {
    if (!jc.aside_name.empty()) result.aside_names.push_back(jc.aside_name);
  }
  result.elapsed_seconds = Since(started);
  audit.status = "ok";
  audit.success = true;
  audit.message = "restored " + Join(result.restored) +
                  (result.aside_names.empty() ? std::string()
                                              : "; set aside " + Join(result.aside_names)) +
                  (resuming ? " (resumed)" : "");
  audit.duration_seconds = result.elapsed_seconds;
  (void)AppendAudit(env, paths.AuditLog(), audit);
  return result;
}

}  // namespace vecgate
