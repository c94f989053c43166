// The validation runner: groups, one streaming pass per store, verdict.
#include "harness/runner.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <unordered_set>

#include "core/text.h"
#include "harness/mapped_store.h"
#include "harness/read_consistency.h"
#include "suites/checks.h"
#include "validators/topk.h"
#include "validators/validator.h"

namespace vecgate {

namespace {

using Clock = std::chrono::steady_clock;

// Memory for old vectors per group before they go to a temporary file:
// large enough that the fixture corpus (9,832 x 1,536 float32, 60 MB) stays in
// memory, small enough that a million-record store keeps RSS under 1 GB.
// The per-field metadata digests (8 bytes a field) share that headroom:
// at 1,000,000 x 768 with the realistic corpus's 12 fields a 192 MiB budget
// peaked at 988.5 MiB (bench/validate_scale_bench), too close to the line.
constexpr size_t kOldVectorBudgetBytes = 128u << 20;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

OldRecordDigest DigestRow(const RecordBatch& page, size_t i,
                          const std::string& citation_field, uint32_t source,
                          FieldDigests* fields) {
  OldRecordDigest d;
  d.source_index = source;
  if (page.has_embedding(i)) {
    d.embedding_hash = HashBytes(page.embedding(i), page.embedding_size(i) * sizeof(float));
    d.dimension = static_cast<uint32_t>(page.embedding_size(i));
  }
  if (page.document(i)) {
    const std::string& doc = *page.document(i);
    d.document_hash = HashBytes(doc.data(), doc.size());
    d.document_chars = CountChars(doc);
    d.document_prefix_hash = HashBytes(doc.data(), std::min(doc.size(), kDocumentPrefixBytes));
  }
  if (page.metadata(i)) {
    d.metadata_hash = HashMetadata(*page.metadata(i));
    fields->Append(*page.metadata(i), &d.fields_begin, &d.fields_count);
    auto it = page.metadata(i)->find(citation_field);
    if (it != page.metadata(i)->end()) d.citation_hash = CitationHash(it->second);
  }
  return d;
}

// Groups from the suite's mapping, or identity by name.
Result<std::vector<GroupContext>> BuildGroups(const Suite& suite,
                                              const std::vector<CollectionInfo>& old_cols,
                                              const std::vector<CollectionInfo>& new_cols,
                                              const std::string& old_desc,
                                              std::vector<std::string>* notes) {
  std::map<std::string, const CollectionInfo*> old_by_name, new_by_name;
  for (const auto& c : old_cols) old_by_name[c.name] = &c;
  for (const auto& c : new_cols) new_by_name[c.name] = &c;
  std::vector<CollectionMapping> mappings = suite.mappings;
  if (mappings.empty()) {
    for (const auto& c : old_cols) {
      // A failed migration a rollback kept aside: only when the collection
      // proves it (aside name AND vecgate's stamp); a collection merely
      // named like one is validated like any other.
      if (IsStampedRollbackAside(c)) {
        notes->push_back("old collection '" + Printable(c.name, true) +
                         "' was left out: it is a failed migration that a vecgate rollback "
                         "set aside (its metadata carries the rollback's stamp)");
        continue;
      }
      mappings.push_back({{c.name}, c.name, std::nullopt});
    }
  }
  std::vector<GroupContext> groups;
  for (const auto& m : mappings) {
    GroupContext g;
    g.target = m.target;
    g.sources = m.sources;
    g.expected_count = m.expected_count.value_or(-1);
    for (const auto& s : m.sources) {
      auto it = old_by_name.find(s);
      if (it == old_by_name.end()) {
        std::string names;
        for (const auto& c : old_cols) names += (names.empty() ? "" : ", ") + c.name;
        return InvalidArgument("the suite maps old collection '" + s + "' to '" + m.target +
                               "', but " + old_desc + " has no such collection (it has: " +
                               (names.empty() ? "none" : names) +
                               "); fix the mapping in the suite");
      }
      g.old_info.push_back(*it->second);
    }
    auto nit = new_by_name.find(m.target);
    g.new_exists = nit != new_by_name.end();
    if (g.new_exists) {
      g.new_info = *nit->second;
    } else {
      g.new_info.name = m.target;
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

// Time spent in each check's hooks, so the report can show it per check.
class TimedChecks {
 public:
  explicit TimedChecks(std::vector<std::unique_ptr<Validator>> checks)
      : checks_(std::move(checks)), seconds_(checks_.size(), 0.0) {}

  template <typename F>
  Status ForEach(F&& f) {
    for (size_t i = 0; i < checks_.size(); ++i) {
      auto start = Clock::now();
      Status s = f(*checks_[i]);
      seconds_[i] += SecondsSince(start);
      if (!s.ok()) return s.WithContext(std::string("check ") + checks_[i]->name());
    }
    return Status::Ok();
  }

  Result<std::vector<CheckResult>> Finish() {
    std::vector<CheckResult> results;
    for (size_t i = 0; i < checks_.size(); ++i) {
      auto start = Clock::now();
      auto r = checks_[i]->Finish();
      if (!r.ok()) return r.status().WithContext(std::string("check ") + checks_[i]->name());
      r->name = checks_[i]->name();
      if (r->title.empty()) r->title = checks_[i]->title();
      r->elapsed_seconds = seconds_[i] + SecondsSince(start);
      results.push_back(std::move(r).value());
    }
    return results;
  }

 private:
  std::vector<std::unique_ptr<Validator>> checks_;
  std::vector<double> seconds_;
};

// Scans one collection, reporting progress per page.
Status ScanWithProgress(Store& store, const std::string& collection, int64_t expected,
                        const std::string& stage, const RunOptions& options,
                        const std::function<Status(RecordBatch&)>& sink) {
  ScanOptions scan;
  scan.page_size = options.page_size;
  int64_t done = 0;
  if (options.progress) options.progress(stage, 0, expected);
  Status s = store.Scan(collection, scan, [&](RecordBatch& page) {
    RETURN_IF_ERROR(sink(page));
    done += static_cast<int64_t>(page.size());
    if (options.progress) options.progress(stage, done, expected);
    return Status::Ok();
  });
  if (!s.ok()) {
    return s.WithContext("reading " + collection + " from " + store.Describe() +
                         " stopped after " + std::to_string(done) + " records");
  }
  return Status::Ok();
}

// When few ids match, what would: a metadata key of the new store that
// holds the old ids, or a uuid5 of them under one of RFC 4122's namespaces.
// Costs nothing while ids match: only new records without an old
// counterpart are looked at.
class MappingHints {
 public:
  void OnUnmatched(const RecordBatch& page, size_t i, const OldIndex& index) {
    const std::string& id = page.id(i);
    unmatched_.push_back(HashBytes(id.data(), id.size()));
    if (!page.metadata(i)) return;
    for (const auto& [key, value] : *page.metadata(i)) {
      const auto* text = std::get_if<std::string>(&value);
      if (text != nullptr && index.count(*text)) ++key_hits_[key];
    }
  }

  // A note for the report, or "" when the ids match well enough or nothing
  // would match better.
  std::string Suggest(const GroupContext& group, const OldIndex& index, int64_t matched) {
    std::string out;
    if (group.old_count == 0 || matched * 2 >= group.old_count) return out;
    const std::string head = group.target + ": only " + std::to_string(matched) + " of " +
                             std::to_string(group.old_count) +
                             " old ids are ids of the new store; ";
    for (const auto& [key, hits] : key_hits_) {
      if (hits * 100 >= group.old_count * 99) {
        return head + "its metadata key '" + key + "' holds " + std::to_string(hits) +
               " of them: add --new-id metadata." + key +
               " (or \"id_mapping\": {\"new\": \"metadata." + key + "\"} in the suite)";
      }
    }
    std::sort(unmatched_.begin(), unmatched_.end());
    static const char* kNamespaces[] = {"dns", "url", "oid", "x500"};
    for (const char* name : kNamespaces) {
      auto ns = ParseIdMapping(std::string("uuid5:") + name);
      if (!ns.ok()) continue;
      int64_t tried = 0, found = 0;
      for (const auto& [old_id, digest] : index) {
        if (tried == 1000) break;
        ++tried;
        const std::string u = Uuid5(ns->ns, old_id);
        found += std::binary_search(unmatched_.begin(), unmatched_.end(),
                                    HashBytes(u.data(), u.size()));
      }
      if (tried > 0 && found * 100 >= tried * 99) {
        return head + "its ids are uuid5 of the old ids in the " + std::string(name) +
               " namespace: add --new-id uuid5:" + name;
      }
    }
    return out;
  }

 private:
  std::map<std::string, int64_t> key_hits_;
  std::vector<uint64_t> unmatched_;
};

double MetricOr(const CheckResult& r, const char* key, double fallback) {
  auto it = r.metrics.find(key);
  if (it == r.metrics.end() || !it->is_number()) return fallback;
  return it->get<double>();
}

}  // namespace

std::string NowIso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// One read of both stores and the checks' results: a verdict when every
// read in it was consistent (harness/read_consistency.h).
struct Attempt {
  ValidationReport report;
  std::vector<CollectionRead> reads;
};

Status ReadBefore(Store& store, const std::string& side, const std::string& collection,
                  int64_t count, CollectionRead* read) {
  read->side = side;
  read->collection = collection;
  read->count_before = count;
  ASSIGN_OR_RETURN(read->marker_before, store.ChangeMarker(collection));
  return Status::Ok();
}

Status ReadAfter(Store& store, CollectionRead* read) {
  auto count = store.Count(read->collection);
  if (!count.ok()) return count.status().WithContext("counting " + read->collection + " again");
  read->count_after = *count;
  ASSIGN_OR_RETURN(read->marker_after, store.ChangeMarker(read->collection));
  return Status::Ok();
}

// Second looks at one group's discrepancies: ids the new scan did not see,
// ids only the new scan saw, ids a scan read twice.
// Ids the scan of `collection` did not read, that `store` holds when asked
// by id: each refutes the read.
Status ConfirmAbsent(Store& store, const std::string& collection,
                     const std::vector<std::string>& ids, CollectionRead* read) {
  if (ids.empty()) return Status::Ok();
  size_t asked = 0;
  ASSIGN_OR_RETURN(auto held, LookAgain(store, collection, ids, &asked));
  read->looked_again += static_cast<int64_t>(asked);
  for (size_t i = 0; i < asked; ++i) {
    if (!held.count(ids[i])) continue;
    ++read->refuted;
    read->AddExample(ids[i] + ": not in the scan, present by id");
  }
  return Status::Ok();
}

// Ids the scan read twice: each the store holds fewer than twice refutes it.
Status ConfirmRepeated(Store& store, const std::string& collection,
                       const std::vector<std::string>& ids, CollectionRead* read) {
  if (ids.empty()) return Status::Ok();
  size_t asked = 0;
  ASSIGN_OR_RETURN(auto held, LookAgain(store, collection, ids, &asked));
  read->looked_again += static_cast<int64_t>(asked);
  for (size_t i = 0; i < asked; ++i) {
    auto it = held.find(ids[i]);
    const int times = it == held.end() ? 0 : it->second;
    if (times >= 2) continue;
    ++read->refuted;
    read->AddExample(ids[i] + ": read twice, held " + std::to_string(times) + " time(s)");
  }
  return Status::Ok();
}

Status ConfirmGroup(Store& old_store, Store& new_store, const GroupContext& group,
                    const OldIndex& index, const std::vector<std::string>& extras,
                    const std::vector<std::vector<std::string>>& old_repeated,
                    const std::vector<std::string>& new_repeated,
                    std::vector<CollectionRead*> old_reads, CollectionRead* new_read) {
  if (new_read != nullptr) {
    std::vector<std::string> missing;
    for (const auto& [id, digest] : index) {
      if (!digest.seen_in_new) missing.push_back(id);
    }
    RETURN_IF_ERROR(ConfirmAbsent(new_store, group.target, missing, new_read));
    RETURN_IF_ERROR(ConfirmRepeated(new_store, group.target, new_repeated, new_read));
  }
  for (size_t s = 0; s < group.sources.size(); ++s) {
    RETURN_IF_ERROR(ConfirmAbsent(old_store, group.sources[s], extras, old_reads[s]));
    RETURN_IF_ERROR(ConfirmRepeated(old_store, group.sources[s], old_repeated[s], old_reads[s]));
  }
  return Status::Ok();
}

// One read of one target group: its old collections, then its new one,
// then second looks at what the two disagree on.
class GroupPass {
 public:
  GroupPass(Store& old_store, Store& new_store, MappedStore& new_view, const Suite& suite,
            const RunOptions& options, TimedChecks& checks, Attempt& attempt)
      : old_store_(old_store),
        new_store_(new_store),
        new_view_(new_view),
        suite_(suite),
        options_(options),
        checks_(checks),
        attempt_(attempt) {}

  Status Run(GroupContext& group) {
    OldIndex index;
    group.old_index = &index;
    FieldDigests fields;
    group.old_fields = &fields;
    dim_ = 0;
    for (const auto& info : group.old_info) {
      if (info.dimension > 0) {
        dim_ = static_cast<size_t>(info.dimension);
        break;
      }
    }
    old_vectors_.reset();
    if (dim_ > 0) {
      old_vectors_ = std::make_unique<VectorSpool>(dim_, kOldVectorBudgetBytes);
      group.old_vectors = old_vectors_.get();
    }
    RETURN_IF_ERROR(checks_.ForEach([&](Validator& v) { return v.BeginGroup(group); }));
    const size_t first_read = attempt_.reads.size();
    std::vector<std::vector<std::string>> old_repeated(group.sources.size());
    for (size_t s = 0; s < group.sources.size(); ++s) {
      RETURN_IF_ERROR(ScanOld(group, s, index, fields, &old_repeated[s]));
    }
    std::vector<std::string> extras, new_repeated;
    const bool new_scanned = group.new_exists && options_.scan_new_store;
    if (new_scanned) RETURN_IF_ERROR(ScanNew(group, index, &extras, &new_repeated));
    std::vector<CollectionRead*> old_reads;
    for (size_t s = 0; s < group.sources.size(); ++s) {
      old_reads.push_back(&attempt_.reads[first_read + s]);
    }
    RETURN_IF_ERROR(ConfirmGroup(old_store_, new_store_, group, index, extras, old_repeated,
                                 new_repeated, old_reads,
                                 new_scanned ? &attempt_.reads.back() : nullptr));
    RETURN_IF_ERROR(checks_.ForEach([&](Validator& v) { return v.EndGroup(group); }));
    group.old_index = nullptr;
    group.old_vectors = nullptr;
    group.old_fields = nullptr;
    attempt_.report.old_records += group.old_count;
    attempt_.report.new_records += group.new_count;
    return Status::Ok();
  }

 private:
  // Ids read twice in one scan are kept up to this many per collection for
  // the second look; beyond it they are only counted.
  static constexpr size_t kMaxRepeatedKept = kMaxLookAgain;

  // Old collection `s` of the group: digests into `index`, vectors into the
  // spool, every page to the checks.
  Status ScanOld(GroupContext& group, size_t s, OldIndex& index, FieldDigests& fields,
                 std::vector<std::string>* repeated) {
    const std::string& source = group.sources[s];
    auto expected = old_store_.Count(source);
    if (!expected.ok()) return expected.status().WithContext("counting old " + source);
    CollectionRead read;
    RETURN_IF_ERROR(ReadBefore(old_store_, "old", source, *expected, &read));
    const bool learn_old_ids = suite_.new_id.kind == IdMapping::Kind::kUuid5;
    const std::string& citation_field = suite_.citations.field;
    RETURN_IF_ERROR(ScanWithProgress(
        old_store_, source, *expected, "old " + source, options_, [&](RecordBatch& page) {
          for (size_t i = 0; i < page.size(); ++i) {
            OldRecordDigest digest =
                DigestRow(page, i, citation_field, static_cast<uint32_t>(s), &fields);
            RETURN_IF_ERROR(KeepVector(group, page, i, &digest));
            auto [it, inserted] = index.try_emplace(page.id(i), digest);
            if (!inserted) {
              // The later record wins, as before; the id is looked at again.
              it->second = digest;
              ++read.repeated;
              if (repeated->size() < kMaxRepeatedKept) repeated->push_back(page.id(i));
            }
            if (learn_old_ids) new_view_.Learn(page.id(i));
          }
          group.old_count += static_cast<int64_t>(page.size());
          read.records_read += static_cast<int64_t>(page.size());
          return checks_.ForEach([&](Validator& v) { return v.OnOldPage(group, page, s); });
        }));
    RETURN_IF_ERROR(ReadAfter(old_store_, &read));
    attempt_.reads.push_back(std::move(read));
    return Status::Ok();
  }

  // Keeps row i's embedding in the group's spool when it has the group's
  // dimension (a store that does not know its dimension: the first row's).
  Status KeepVector(GroupContext& group, const RecordBatch& page, size_t i,
                    OldRecordDigest* digest) {
    if (dim_ == 0 && page.has_embedding(i)) {
      dim_ = page.embedding_size(i);
      old_vectors_ = std::make_unique<VectorSpool>(dim_, kOldVectorBudgetBytes);
      group.old_vectors = old_vectors_.get();
    }
    if (old_vectors_ && page.embedding_size(i) == dim_) {
      digest->vector_row = static_cast<int64_t>(old_vectors_->rows());
      RETURN_IF_ERROR(old_vectors_->Append(page.embedding(i), 1, &page.id(i)));
    }
    return Status::Ok();
  }

  // The group's new collection, joined page by page with the old digests.
  Status ScanNew(GroupContext& group, OldIndex& index, std::vector<std::string>* extras,
                 std::vector<std::string>* repeated) {
    auto expected = new_store_.Count(group.target);
    if (!expected.ok()) return expected.status().WithContext("counting new " + group.target);
    CollectionRead read;
    RETURN_IF_ERROR(ReadBefore(new_store_, "new", group.target, *expected, &read));
    JoinedPage joined;
    MappingHints hints;
    int64_t matched = 0;
    const bool hint = suite_.new_id.identity();
    std::unordered_set<std::string> extra_set;
    RETURN_IF_ERROR(ScanWithProgress(
        new_store_, group.target, *expected, "new " + group.target, options_,
        [&](RecordBatch& page) {
          joined.old.assign(page.size(), nullptr);
          for (size_t i = 0; i < page.size(); ++i) {
            auto it = index.find(page.id(i));
            bool seen_before = false;
            if (it != index.end()) {
              seen_before = it->second.seen_in_new;
              matched += !it->second.seen_in_new;
              it->second.seen_in_new = true;
              joined.old[i] = &it->second;
            } else {
              seen_before = !extra_set.insert(page.id(i)).second;
              if (!seen_before) extras->push_back(page.id(i));
              if (hint) hints.OnUnmatched(page, i, index);
            }
            if (seen_before) {
              ++read.repeated;
              if (repeated->size() < kMaxRepeatedKept) repeated->push_back(page.id(i));
            }
          }
          group.new_count += static_cast<int64_t>(page.size());
          read.records_read += static_cast<int64_t>(page.size());
          return checks_.ForEach([&](Validator& v) { return v.OnNewPage(group, page, joined); });
        }));
    RETURN_IF_ERROR(ReadAfter(new_store_, &read));
    attempt_.reads.push_back(std::move(read));
    if (hint) {
      std::string suggestion = hints.Suggest(group, index, matched);
      if (!suggestion.empty()) attempt_.report.notes.push_back(suggestion);
    }
    return Status::Ok();
  }

  Store& old_store_;
  Store& new_store_;
  MappedStore& new_view_;
  const Suite& suite_;
  const RunOptions& options_;
  TimedChecks& checks_;
  Attempt& attempt_;
  size_t dim_ = 0;
  std::unique_ptr<VectorSpool> old_vectors_;
};

// Notes for the keys a store's layout owns, and the set of them.
std::set<std::string> OwnedKeys(Store& old_raw, Store& new_raw, std::vector<std::string>* notes) {
  std::set<std::string> owned;
  for (Store* store : {&old_raw, &new_raw}) {
    Store::OwnedKeys keys = store->LayoutOwnedKeys();
    if (keys.keys.empty()) continue;
    std::string list;
    for (const auto& k : keys.keys) {
      owned.insert(k);
      list += (list.empty() ? "" : ", ") + k;
    }
    notes->push_back("not compared: " + list + ", written by " + keys.layout + " (" +
                     store->Describe() + ")");
  }
  return owned;
}

void AddMappingNotes(const MappedStore& old_view, const MappedStore& new_view,
                     std::vector<std::string>* notes) {
  for (const MappedStore* view : {&old_view, &new_view}) {
    if (view->mapping().identity()) continue;
    notes->push_back(std::string("records of ") + view->Describe() + " are known by " +
                     view->mapping().spec +
                     (view->mapping().kind == IdMapping::Kind::kMetadata
                          ? " (that key is the identity, not compared as content)"
                          : ""));
  }
}

void AddWithoutKeyNotes(const MappedStore& old_view, const MappedStore& new_view,
                        std::vector<std::string>* notes) {
  for (const MappedStore* view : {&old_view, &new_view}) {
    if (view->records_without_key() == 0) continue;
    notes->push_back(std::to_string(view->records_without_key()) + " records of " +
                     view->Describe() + " have no " + view->mapping().spec +
                     ": they keep their store id, marked \"(no " + view->mapping().spec +
                     ")\", and match no record of the other store");
  }
}

Result<Attempt> RunOnce(Store& old_raw, Store& new_raw, const Suite& suite,
                        const RunOptions& options) {
  auto start = Clock::now();
  Attempt attempt;
  ValidationReport& report = attempt.report;
  // Every check sees records by their mapped identity, without the keys a
  // store's layout writes itself.
  const std::set<std::string> owned = OwnedKeys(old_raw, new_raw, &report.notes);
  MappedStore old_view(old_raw, suite.old_id, owned);
  MappedStore new_view(new_raw, suite.new_id, owned);
  Store& old_store = old_view.active() ? static_cast<Store&>(old_view) : old_raw;
  Store& new_store = new_view.active() ? static_cast<Store&>(new_view) : new_raw;
  report.tool_version = VECGATE_VERSION;
  report.started_at = NowIso8601();
  report.old_store = old_store.Describe();
  report.new_store = new_store.Describe();
  report.suite_name = suite.name;
  report.suite_path = suite.path;
  AddMappingNotes(old_view, new_view, &report.notes);

  RunContext run;
  run.suite = &suite;
  run.old_store = &old_store;
  run.new_store = &new_store;
  run.old_uri = options.old_uri;
  run.new_uri = options.new_uri;
  run.open_options = options.open_options;
  run.progress = options.progress;
  {
    auto old_cols = old_store.ListCollections();
    if (!old_cols.ok()) return old_cols.status().WithContext("listing " + report.old_store);
    run.old_collections = std::move(old_cols).value();
    auto new_cols = new_store.ListCollections();
    if (!new_cols.ok()) return new_cols.status().WithContext("listing " + report.new_store);
    run.new_collections = std::move(new_cols).value();
  }
  ASSIGN_OR_RETURN(std::vector<GroupContext> groups,
                   BuildGroups(suite, run.old_collections, run.new_collections,
                               report.old_store, &report.notes));
  if (groups.empty()) {
    return InvalidArgument(report.old_store +
                           " has no collections: there is nothing to validate (" +
                           old_store.EmptyStoreHint() + ")");
  }
  run.groups = &groups;

  ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Validator>> enabled, MakeValidators(suite));
  TimedChecks checks(std::move(enabled));
  RETURN_IF_ERROR(checks.ForEach([&](Validator& v) { return v.BeginRun(run); }));
  GroupPass pass(old_store, new_store, new_view, suite, options, checks, attempt);
  for (GroupContext& group : groups) RETURN_IF_ERROR(pass.Run(group));
  AddWithoutKeyNotes(old_view, new_view, &report.notes);
  ASSIGN_OR_RETURN(report.checks, checks.Finish());
  report.elapsed_seconds = SecondsSince(start);
  DecideVerdict(report, options.fail_on_warning);
  return attempt;
}

}  // namespace

Result<ValidationReport> RunValidation(Store& old_store, Store& new_store,
                                       const Suite& suite, const RunOptions& options) {
  auto start = Clock::now();
  const bool live = suite.reads.live;
  std::vector<std::string> earlier;  // why earlier reads were not used
  for (int number = 1;; ++number) {
    ASSIGN_OR_RETURN(Attempt attempt, RunOnce(old_store, new_store, suite, options));
    std::string moved;
    for (const auto& read : attempt.reads) {
      if (read.consistent(live)) continue;
      moved += (moved.empty() ? "" : "; ") + read.side + " " + read.collection + ": " +
               read.Evidence();
    }
    ValidationReport& report = attempt.report;
    if (moved.empty()) {
      for (const auto& read : attempt.reads) report.read_consistency.push_back(read.ToJson());
      for (size_t i = 0; i < earlier.size(); ++i) {
        report.notes.push_back("read " + std::to_string(i + 2) +
                               " times: read " + std::to_string(i + 1) +
                               " saw the stores change (" + earlier[i] +
                               "), so it was not used");
      }
      if (live) {
        report.notes.push_back(
            "live: the application wrote to the stores during the run (reads.live); records "
            "that differed while read were asked for again by id, and only what the second "
            "look confirmed is a finding");
      }
      report.elapsed_seconds = SecondsSince(start);
      return std::move(attempt.report);
    }
    earlier.push_back(moved);
    if (SecondsSince(start) >= suite.reads.settle_seconds) {
      return Unavailable(
          "the store changed while it was read, " + std::to_string(number) +
          " reads in " + std::to_string(static_cast<int>(SecondsSince(start) + 0.5)) + " s" +
          " and none saw one state (" + moved +
          "); nothing was decided. Run the gate when writes pause, raise "
          "reads.settle_seconds in the suite, or, if the application writes to both stores "
          "during the run, say --live");
    }
  }
}

void DecideVerdict(ValidationReport& report, bool fail_on_warning) {
  bool any_fail = false, any_warn = false;
  for (const auto& c : report.checks) {
    any_fail |= c.status == CheckStatus::kFail;
    any_warn |= c.status == CheckStatus::kWarn;
    if (c.name == "count") {
      report.data_loss_percentage = MetricOr(c, "data_loss_percentage", 0);
    } else if (c.name == "semantic_divergence") {
      report.semantic_divergence_percentage =
          MetricOr(c, "semantic_divergence_percentage", 0);
    }
  }
  // One verdict everywhere: with --fail-on warning a warning fails the gate,
  // so the run is FAILED in every report and in the exit code, with a note.
  const bool warnings_fail = fail_on_warning && any_warn && !any_fail;
  report.fail_on_warning = fail_on_warning;
  report.overall_status = any_fail || warnings_fail ? OverallStatus::kFailed
                          : any_warn                ? OverallStatus::kWarning
                                                    : OverallStatus::kPassed;
  report.rollback_triggered = any_fail || warnings_fail;
  const std::string note =
      "warnings fail this gate (--fail-on warning): no check failed, but the "
      "warnings below make the verdict FAILED";
  if (warnings_fail &&
      std::find(report.notes.begin(), report.notes.end(), note) == report.notes.end()) {
    report.notes.push_back(note);
  }
  // Each failed check gives its reason (its own, else the catalogue's), in
  // report order.
  std::vector<std::string> reasons;
  for (auto& c : report.checks) {
    if (c.status != CheckStatus::kFail) continue;
    if (c.rollback_reason.empty()) {
      const CheckInfo* info = FindCheckInfo(c.name);
      c.rollback_reason = info != nullptr ? std::string(info->rollback_reason)
                                          : "Check " + c.name + " Failed";
    }
    reasons.push_back(c.rollback_reason);
  }
  if (warnings_fail) reasons.push_back("Warnings Fail This Gate (--fail-on warning)");
  report.rollback_reason.clear();
  for (const auto& r : reasons) {
    report.rollback_reason += (report.rollback_reason.empty() ? "" : "; ") + r;
  }
  report.exit_code = ExitCodeFor(report.overall_status);
}

std::vector<std::string> CollectionsToRollBack(const ValidationReport& report) {
  std::set<std::string> names;
  for (const auto& c : report.checks) {
    if (c.status != CheckStatus::kFail) continue;
    if (c.failed_collections.empty()) return {};  // a check that blames everything
    names.insert(c.failed_collections.begin(), c.failed_collections.end());
  }
  return {names.begin(), names.end()};
}

Result<ValidationReport> RunGate(Store& old_store, Store& new_store, const Suite& suite,
                                 const RunOptions& options, const RollbackHook& on_fail) {
  ASSIGN_OR_RETURN(ValidationReport report,
                   RunValidation(old_store, new_store, suite, options));
  if (report.overall_status == OverallStatus::kFailed && on_fail) {
    report.rollback = on_fail(report, CollectionsToRollBack(report));
    if (!report.rollback->succeeded) report.exit_code = kExitRollbackFailed;
  }
  return report;
}

}  // namespace vecgate
