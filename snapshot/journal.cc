// Rollback journal files.
#include "snapshot/journal.h"

#include <algorithm>
#include <climits>
#include <set>

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace vecgate {

using Json = nlohmann::json;

namespace {

// The one mapping between phases and their on-disk names.
constexpr std::pair<JournalPhase, std::string_view> kPhaseNames[] = {
    {JournalPhase::kPending, "pending"},
    {JournalPhase::kRenamedAside, "renamed_aside"},
    {JournalPhase::kCreated, "created"},
    {JournalPhase::kRestored, "restored"},
    {JournalPhase::kVerified, "verified"},
};

constexpr std::pair<RollbackType, std::string_view> kTypeNames[] = {
    {RollbackType::kFull, "full"},
    {RollbackType::kPartial, "partial"},
};

template <typename E, size_t N>
std::string_view NameIn(const std::pair<E, std::string_view> (&table)[N], E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";  // unreachable: every enumerator is in its table
}

template <typename E, size_t N>
std::optional<E> ValueIn(const std::pair<E, std::string_view> (&table)[N],
                         std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string NameList(const std::pair<E, std::string_view> (&table)[N]) {
  std::string out;
  for (const auto& entry : table) {
    out += (out.empty() ? "" : ", ") + std::string(entry.second);
  }
  return out;
}

bool IsDoneJournal(const std::string& path) {
  const std::string suffix = ".done.json";
  return path.size() > suffix.size() &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Reads typed fields of the journal, recording the first problem with its
// JSON path; later reads after a problem return defaults.
class FieldReader {
 public:
  const Json* Get(const Json& object, const std::string& path, const char* key,
                  bool (Json::*is_type)() const noexcept, const char* type_name,
                  bool required) {
    if (!problem_.empty()) return nullptr;
    auto it = object.find(key);
    if (it == object.end()) {
      if (required) problem_ = path + "." + key + " is missing";
      return nullptr;
    }
    if (!((*it).*is_type)()) {
      problem_ = path + "." + key + " is not " + type_name;
      return nullptr;
    }
    return &*it;
  }
  std::string String(const Json& o, const std::string& p, const char* k,
                     bool required = true) {
    const Json* j = Get(o, p, k, &Json::is_string, "a string", required);
    return j ? j->get<std::string>() : "";
  }
  bool Bool(const Json& o, const std::string& p, const char* k, bool required = true) {
    const Json* j = Get(o, p, k, &Json::is_boolean, "true or false", required);
    return j ? j->get<bool>() : false;
  }
  // A whole number from 0 to `max`: JSON numbers with a fraction or out of
  // range are refused before any conversion.
  int64_t Count(const Json& o, const std::string& p, const char* k, int64_t max,
                bool required = true) {
    const Json* j = Get(o, p, k, &Json::is_number_integer, "a whole number", required);
    if (j == nullptr) return 0;
    const bool in_range = j->is_number_unsigned()
                              ? j->get<uint64_t>() <= static_cast<uint64_t>(max)
                              : j->get<int64_t>() >= 0 && j->get<int64_t>() <= max;
    if (!in_range) {
      problem_ = p + "." + k + " is not between 0 and " + std::to_string(max);
      return 0;
    }
    return j->get<int64_t>();
  }
  const Json* Array(const Json& o, const std::string& p, const char* k,
                    bool required = true) {
    return Get(o, p, k, &Json::is_array, "an array", required);
  }
  void Fail(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
  }
  const std::string& problem() const { return problem_; }

 private:
  std::string problem_;
};

Status ValidateStamp(const std::string& stamp) {
  const bool safe =
      !stamp.empty() && stamp.size() <= kMaxJournalStampBytes &&
      std::all_of(stamp.begin(), stamp.end(),
                  [](char c) { return (c >= '0' && c <= '9') || c == '_'; });
  if (safe) return Status::Ok();
  return InvalidArgument("$.stamp '" + Printable(stamp, true) + "' is not 1 to " +
                         std::to_string(kMaxJournalStampBytes) + " digits and '_'");
}

std::string TooLarge(uint64_t bytes) {
  return ": it holds " + std::to_string(bytes) + " bytes, more than the " +
         std::to_string(kMaxJournalBytes) + " a journal can take";
}

}  // namespace

Status JournalCorruption(const std::string& where, const std::string& problem) {
  const std::string fix =
      IsDoneJournal(where)
          ? "; cleanup skips this finished rollback and leaves the aside collections it "
            "names alone: restore the file, or delete those collections by hand"
          : "; move it away to start the rollback afresh (the aside collections it "
            "names are kept)";
  return Corruption("rollback journal '" + where + "'" + problem + fix);
}

std::string_view JournalPhaseName(JournalPhase phase) { return NameIn(kPhaseNames, phase); }

std::optional<JournalPhase> JournalPhaseFromName(std::string_view name) {
  return ValueIn(kPhaseNames, name);
}

std::string_view RollbackTypeName(RollbackType type) { return NameIn(kTypeNames, type); }

std::optional<RollbackType> RollbackTypeFromName(std::string_view name) {
  return ValueIn(kTypeNames, name);
}

std::string JournalJson(const RollbackJournal& j) {
  Json collections = Json::array();
  for (const auto& c : j.collections) {
    Json entry{{"name", c.name},
               {"phase", JournalPhaseName(c.phase)},
               {"aside_name", c.aside_name},
               {"restore", c.restore},
               {"pages_done", c.pages_done}};
    if (c.create_attempted) entry["create_attempted"] = true;
    if (!c.staging_name.empty()) entry["staging_name"] = c.staging_name;
    collections.push_back(std::move(entry));
  }
  Json out{{"snapshot_id", j.snapshot_id},
           {"target_store", RedactCredentials(j.target_store)},
           {"type", RollbackTypeName(j.type)},
           {"stamp", j.stamp},
           {"started_at", j.started_at},
           {"finished_at", j.finished_at},
           {"attempts", j.attempts},
           {"requested", j.requested},
           {"include_new_collections", j.include_new_collections},
           {"collections", collections},
           {"asides_removed", j.asides_removed}};
  return DumpJson(out, 2) + "\n";
}

Result<RollbackJournal> ParseJournal(const std::string& text, const std::string& where) {
  auto corrupt = [&](const std::string& problem) {
    return JournalCorruption(where, ": " + problem);
  };
  if (text.size() > kMaxJournalBytes) return JournalCorruption(where, TooLarge(text.size()));
  auto parsed = ParseJsonBounded(text, "JSON");
  if (!parsed.ok()) {
    return JournalCorruption(where, " does not parse (" + parsed.status().message() + ")");
  }
  Json j = std::move(*parsed);
  if (!j.is_object()) return corrupt("not a JSON object");

  FieldReader r;
  RollbackJournal out;
  out.snapshot_id = r.String(j, "$", "snapshot_id");
  out.target_store = r.String(j, "$", "target_store");
  const std::string type = r.String(j, "$", "type");
  out.stamp = r.String(j, "$", "stamp");
  out.started_at = r.String(j, "$", "started_at");
  out.finished_at = r.String(j, "$", "finished_at", false);
  out.attempts = static_cast<int>(r.Count(j, "$", "attempts", INT_MAX, false));
  out.include_new_collections = r.Bool(j, "$", "include_new_collections", false);
  out.asides_removed = r.Bool(j, "$", "asides_removed", false);
  const Json* requested = r.Array(j, "$", "requested");
  const Json* collections = r.Array(j, "$", "collections");
  if (!r.problem().empty()) return corrupt(r.problem());

  if (auto t = RollbackTypeFromName(type)) {
    out.type = *t;
  } else {
    return corrupt("$.type '" + Printable(type, true) + "' is not " + NameList(kTypeNames));
  }
  if (Status s = ValidateSnapshotId(out.snapshot_id); !s.ok()) {
    return corrupt("$.snapshot_id: " + s.message());
  }
  if (Status s = ValidateStamp(out.stamp); !s.ok()) return corrupt(s.message());
  for (size_t k = 0; k < requested->size(); ++k) {
    const Json& name = (*requested)[k];
    const std::string path = "$.requested[" + std::to_string(k) + "]";
    if (!name.is_string()) return corrupt(path + " is not a string");
    if (Status s = ValidateCollectionName(name.get<std::string>()); !s.ok()) {
      return corrupt(path + ": " + s.message());
    }
    out.requested.push_back(name.get<std::string>());
  }

  std::set<std::string> names;  // each collection has one entry
  for (size_t k = 0; k < collections->size(); ++k) {
    const Json& c = (*collections)[k];
    const std::string path = "$.collections[" + std::to_string(k) + "]";
    if (!c.is_object()) return corrupt(path + " is not an object");
    JournalCollection jc;
    jc.name = r.String(c, path, "name");
    const std::string phase = r.String(c, path, "phase");
    jc.aside_name = r.String(c, path, "aside_name");
    jc.restore = r.Bool(c, path, "restore");
    jc.pages_done = r.Count(c, path, "pages_done", INT64_MAX);
    jc.create_attempted = r.Bool(c, path, "create_attempted", false);
    jc.staging_name = r.String(c, path, "staging_name", /*required=*/false);
    if (!r.problem().empty()) return corrupt(r.problem());
    if (auto p = JournalPhaseFromName(phase)) {
      jc.phase = *p;
    } else {
      return corrupt(path + ".phase '" + Printable(phase, true) + "' is not " +
                     NameList(kPhaseNames));
    }
    Status valid = ValidateCollectionName(jc.name);
    if (valid.ok() && !jc.aside_name.empty()) valid = ValidateCollectionName(jc.aside_name);
    if (valid.ok() && !jc.staging_name.empty()) valid = ValidateCollectionName(jc.staging_name);
    if (!valid.ok()) return corrupt(path + ": " + valid.message());
    if (!names.insert(jc.name).second) {
      return corrupt(path + " names collection '" + jc.name +
                     "' a second time; vecgate journals each collection once");
    }
    out.collections.push_back(std::move(jc));
  }
  return out;
}

Result<RollbackJournal> ReadJournal(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(const uint64_t size, env->FileSize(path));
  if (size > kMaxJournalBytes) return JournalCorruption(path, TooLarge(size));
  ASSIGN_OR_RETURN(const std::string text, env->ReadFile(path));
  return ParseJournal(text, path);
}

Status WriteJournal(Env* env, const std::string& path, const RollbackJournal& journal) {
  return WriteFileAtomically(env, path, JournalJson(journal));
}

std::string ActiveJournalPath(const SnapshotPaths& paths, const std::string& id) {
  return paths.LogsDir() + "/rollback_" + id + ".journal.json";
}

std::string DoneJournalPath(const SnapshotPaths& paths, const std::string& id,
                            const std::string& stamp) {
  return paths.LogsDir() + "/rollback_" + id + "_" + stamp + ".done.json";
}

Result<std::vector<std::pair<std::string, RollbackJournal>>> ListDoneJournals(
    Env* env, const SnapshotPaths& paths, std::vector<std::string>* unreadable) {
  std::vector<std::pair<std::string, RollbackJournal>> out;
  if (!env->FileExists(paths.LogsDir())) return out;
  ASSIGN_OR_RETURN(auto names, env->ListDir(paths.LogsDir()));
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (name.rfind("rollback_", 0) != 0 || !IsDoneJournal(name)) continue;
    const std::string path = paths.LogsDir() + "/" + name;
    auto journal = ReadJournal(env, path);
    if (journal.ok()) {
      out.emplace_back(path, std::move(*journal));
    } else if (unreadable != nullptr) {
      unreadable->push_back(journal.status().message());
    }
  }
  return out;
}

}  // namespace vecgate
