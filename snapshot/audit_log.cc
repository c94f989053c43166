// The audit log of snapshot operations.
#include "snapshot/audit_log.h"

#include <nlohmann/json.hpp>

#include "snapshot/manifest.h"

namespace vecgate {

using Json = nlohmann::json;

std::string AuditEntryJson(const AuditEntry& e) {
  Json j{{"timestamp", e.timestamp},
         {"action", e.action},
         {"snapshot_id", e.snapshot_id},
         {"status", e.status},
         {"type", e.type},
         {"duration_seconds", e.duration_seconds},
         {"collections", e.collections},
         {"success", e.success},
         {"message", e.message}};
  if (!e.store.empty()) j["store"] = e.store;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Status AppendAudit(Env* env, const std::string& log_path, AuditEntry entry) {
  if (entry.timestamp.empty()) {
    entry.timestamp = FormatIso8601(static_cast<int64_t>(env->NowMicros() / 1000000));
  }
  size_t slash = log_path.rfind('/');
  if (slash != std::string::npos) RETURN_IF_ERROR(env->CreateDirs(log_path.substr(0, slash)));
  ASSIGN_OR_RETURN(auto file, env->NewAppendableFile(log_path));
  RETURN_IF_ERROR(file->Append(AuditEntryJson(entry) + "\n"));
  RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

Result<std::vector<AuditEntry>> ReadAudit(Env* env, const std::string& log_path,
                                          int limit) {
  std::vector<AuditEntry> entries;
  if (!env->FileExists(log_path)) return entries;
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(log_path));
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    AuditEntry e;
    try {
      Json j = Json::parse(line);
      e.timestamp = j.value("timestamp", "");
      e.action = j.value("action", "");
      e.snapshot_id = j.value("snapshot_id", "");
      e.status = j.value("status", "");
      e.type = j.value("type", "");
      e.duration_seconds = j.value("duration_seconds", 0.0);
      if (j.contains("collections") && j["collections"].is_array()) {
        for (const auto& c : j["collections"]) {
          if (c.is_string()) e.collections.push_back(c.get<std::string>());
        }
      }
      e.success = j.value("success", false);
      e.message = j.value("message", "");
      e.store = j.value("store", "");
    } catch (const Json::exception&) {
      e = AuditEntry();
      e.action = "unreadable";
      e.message = line;  // e.g. a line cut short by a crash
    }
    entries.push_back(std::move(e));
  }
  if (limit > 0 && entries.size() > static_cast<size_t>(limit)) {
    entries.erase(entries.begin(), entries.end() - limit);
  }
  return entries;
}

}  // namespace vecgate
