// Rollback journal files.
#include "snapshot/journal.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace vecgate {

using Json = nlohmann::json;

std::string JournalJson(const RollbackJournal& j) {
  Json collections = Json::array();
  for (const auto& c : j.collections) {
    collections.push_back(Json{{"name", c.name},
                               {"phase", c.phase},
                               {"aside_name", c.aside_name},
                               {"restore", c.restore},
                               {"pages_done", c.pages_done}});
  }
  return Json{{"snapshot_id", j.snapshot_id},
              {"target_store", j.target_store},
              {"type", j.type},
              {"stamp", j.stamp},
              {"started_at", j.started_at},
              {"finished_at", j.finished_at},
              {"attempts", j.attempts},
              {"requested", j.requested},
              {"collections", collections},
              {"asides_removed", j.asides_removed}}
             .dump(2) +
         "\n";
}

Result<RollbackJournal> ParseJournal(const std::string& text,
                                     const std::string& where) {
  try {
    Json j = Json::parse(text);
    RollbackJournal r;
    r.snapshot_id = j.at("snapshot_id").get<std::string>();
    r.target_store = j.at("target_store").get<std::string>();
    r.type = j.at("type").get<std::string>();
    r.stamp = j.at("stamp").get<std::string>();
    r.started_at = j.at("started_at").get<std::string>();
    r.finished_at = j.value("finished_at", "");
    r.attempts = j.value("attempts", 0);
    r.requested = j.at("requested").get<std::vector<std::string>>();
    r.asides_removed = j.value("asides_removed", false);
    for (const auto& c : j.at("collections")) {
      JournalCollection jc;
      jc.name = c.at("name").get<std::string>();
      jc.phase = c.at("phase").get<std::string>();
      jc.aside_name = c.at("aside_name").get<std::string>();
      jc.restore = c.at("restore").get<bool>();
      jc.pages_done = c.at("pages_done").get<int64_t>();
      RETURN_IF_ERROR(ValidateCollectionName(jc.name));
      if (!jc.aside_name.empty()) RETURN_IF_ERROR(ValidateCollectionName(jc.aside_name));
      static const char* kPhases[] = {"pending", "renamed_aside", "created",
                                      "restored", "verified"};
      if (std::find(std::begin(kPhases), std::end(kPhases), jc.phase) ==
          std::end(kPhases)) {
        return Corruption(where + ": unknown phase '" + jc.phase + "'");
      }
      r.collections.push_back(std::move(jc));
    }
    RETURN_IF_ERROR(ValidateSnapshotId(r.snapshot_id));
    return r;
  } catch (const Json::exception& e) {
    return Corruption(where + ": not a rollback journal (" + e.what() +
                      "); move it away to start the rollback afresh");
  }
}

std::string ActiveJournalPath(const SnapshotPaths& paths, const std::string& id) {
  return paths.LogsDir() + "/rollback_" + id + ".journal.json";
}

std::string DoneJournalPath(const SnapshotPaths& paths, const std::string& id,
                            const std::string& stamp) {
  return paths.LogsDir() + "/rollback_" + id + "_" + stamp + ".done.json";
}

Result<std::vector<std::pair<std::string, RollbackJournal>>> ListDoneJournals(
    Env* env, const SnapshotPaths& paths) {
  std::vector<std::pair<std::string, RollbackJournal>> out;
  if (!env->FileExists(paths.LogsDir())) return out;
  ASSIGN_OR_RETURN(auto names, env->ListDir(paths.LogsDir()));
  std::sort(names.begin(), names.end());
  const std::string suffix = ".done.json";
  for (const auto& name : names) {
    if (name.rfind("rollback_", 0) != 0 || name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string path = paths.LogsDir() + "/" + name;
    auto text = env->ReadFile(path);
    if (!text.ok()) continue;
    auto journal = ParseJournal(*text, path);
    if (!journal.ok()) continue;
    out.emplace_back(path, std::move(*journal));
  }
  return out;
}

}  // namespace vecgate
