// Rollback journal files.
#include "snapshot/journal.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/text.h"

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
  Json out{{"snapshot_id", j.snapshot_id},
           {"target_store", j.target_store},
           {"type", j.type},
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

Result<RollbackJournal> ParseJournal(const std::string& text,
                                     const std::string& where) {
  const std::string what = "rollback journal '" + where + "'";
  const std::string fix =
      "; move it away to start the rollback afresh (the aside collections it "
      "names are kept)";
  try {
    Json j = Json::parse(text);
    if (!j.is_object()) return Corruption(what + ": not a JSON object" + fix);
    RollbackJournal r;
    r.snapshot_id = j.at("snapshot_id").get<std::string>();
    r.target_store = j.at("target_store").get<std::string>();
    r.type = j.at("type").get<std::string>();
    r.stamp = j.at("stamp").get<std::string>();
    r.started_at = j.at("started_at").get<std::string>();
    r.finished_at = j.value("finished_at", "");
    r.attempts = j.value("attempts", 0);
    r.requested = j.at("requested").get<std::vector<std::string>>();
    r.include_new_collections = j.value("include_new_collections", false);
    r.asides_removed = j.value("asides_removed", false);
    if (r.type != "full" && r.type != "partial") {
      return Corruption(what + ": type '" + Printable(r.type, true) +
                        "' is not full or partial" + fix);
    }
    for (const auto& c : j.at("collections")) {
      JournalCollection jc;
      jc.name = c.at("name").get<std::string>();
      jc.phase = c.at("phase").get<std::string>();
      jc.aside_name = c.at("aside_name").get<std::string>();
      jc.restore = c.at("restore").get<bool>();
      jc.pages_done = c.at("pages_done").get<int64_t>();
      Status valid = ValidateCollectionName(jc.name);
      if (valid.ok() && !jc.aside_name.empty()) {
        valid = ValidateCollectionName(jc.aside_name);
      }
      if (!valid.ok()) return Corruption(what + ": " + valid.message() + fix);
      if (jc.pages_done < 0) {
        return Corruption(what + ": collection '" + jc.name +
                          "' has a negative pages_done" + fix);
      }
      static const char* kPhases[] = {"pending", "renamed_aside", "created",
                                      "restored", "verified"};
      if (std::find(std::begin(kPhases), std::end(kPhases), jc.phase) ==
          std::end(kPhases)) {
        return Corruption(what + ": unknown phase '" + Printable(jc.phase, true) +
                          "'" + fix);
      }
      r.collections.push_back(std::move(jc));
    }
    Status id_ok = ValidateSnapshotId(r.snapshot_id);
    if (!id_ok.ok()) return Corruption(what + ": " + id_ok.message() + fix);
    return r;
  } catch (const Json::exception& e) {
    return Corruption(what + " does not parse (" + ToValidUtf8(e.what()) + ")" + fix);
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
    Env* env, const SnapshotPaths& paths, std::vector<std::string>* unreadable) {
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
    Status problem = text.status();
    if (text.ok()) {
      auto journal = ParseJournal(*text, path);
      if (journal.ok()) {
        out.emplace_back(path, std::move(*journal));
        continue;
      }
      problem = journal.status();
    }
    if (unreadable != nullptr) unreadable->push_back(problem.message());
  }
  return out;
}

}  // namespace vecgate
