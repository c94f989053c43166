// The audit log of snapshot operations.
#include "snapshot/audit_log.h"

#include <nlohmann/json.hpp>

#include "core/text.h"
#include "snapshot/manifest.h"

namespace vecgate {

using Json = nlohmann::json;

namespace {

// Older logs wrote "completed" and "planned"; one vocabulary now.
std::string NormalStatus(const std::string& status, bool success) {
  if (status == "ok" || status == "completed" || status == "planned") return "ok";
  if (status == "failed" || status == "cancelled") return status;
  return success ? "ok" : "failed";
}

}  // namespace

std::string AuditEntryJson(const AuditEntry& e) {
  Json j{{"timestamp", e.timestamp},
         {"action", e.action},
         {"snapshot_id", e.snapshot_id},
         {"status", NormalStatus(e.status, e.success)},
         {"type", e.type},
         {"duration_seconds", e.duration_seconds},
         {"collections", e.collections},
         {"success", e.success},
         {"message", RedactCredentials(e.message)}};
  if (!e.store.empty()) j["store"] = RedactCredentials(e.store);
  if (!e.trigger.empty()) j["trigger"] = RedactCredentials(e.trigger);
  return DumpJson(j);
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
  size_t line_no = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.empty()) continue;
    AuditEntry e;
    std::string problem;
    auto parsed = ParseJsonBounded(line, "JSON");
    if (!parsed.ok()) problem = parsed.status().message();
    if (parsed.ok()) try {
      Json& j = *parsed;
      if (!j.is_object()) j = Json::object({{"not_an_object", true}});
      auto str = [&](const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      e.timestamp = str("timestamp");
      e.action = str("action");
      e.snapshot_id = str("snapshot_id");
      e.type = str("type");
      e.message = str("message");
      e.store = str("store");
      e.trigger = str("trigger");
      if (j.contains("duration_seconds") && j["duration_seconds"].is_number()) {
        e.duration_seconds = j["duration_seconds"].get<double>();
      }
      if (j.contains("collections") && j["collections"].is_array()) {
        for (const auto& c : j["collections"]) {
          if (c.is_string()) e.collections.push_back(c.get<std::string>());
        }
      }
      e.success = j.contains("success") && j["success"].is_boolean() && j["success"].get<bool>();
      e.status = NormalStatus(str("status"), e.success);
      if (e.action.empty()) problem = "no \"action\" string";
    } catch (const Json::exception& ex) {
      problem = ToValidUtf8(ex.what());
    }
    if (!problem.empty()) {
      // A line cut short by a crash, or edited: shown as what it is rather
      // than hiding the rest of the log.
      e = AuditEntry();
      e.action = "unreadable";
      e.status = "failed";
      e.message = "Corruption: audit log '" + log_path + "' line " +
                  std::to_string(line_no) + " does not parse (" + problem +
                  "): " + Printable(line.substr(0, 200), true);
    }
    entries.push_back(std::move(e));
  }
  if (limit > 0 && entries.size() > static_cast<size_t>(limit)) {
    entries.erase(entries.begin(), entries.end() - limit);
  }
  return entries;
}

}  // namespace vecgate
