// The audit log: DIR/logs/rollback_audit.jsonl, one JSON object a line per
// operation (snapshot create / verify / cleanup, rollback, dry runs):
//
//   {"timestamp":"2026-11-21T23:57:17Z","action":"rollback",
//    "snapshot_id":"snapshot_20261121_235700","status":"ok",
//    "type":"full","duration_seconds":12.5,"collections":["a","b"],
//    "success":true,"message":"...","store":"chroma://host:8000/t/d"}
//
// `status` is "ok", "failed" or "cancelled" (a rollback that was not
// confirmed: nothing changed); older logs said "completed" / "planned", which
// read back as "ok". `type` is full | partial | dry_run for rollbacks
// and the action's kind for the others. `trigger` (automatic rollbacks
// only) says what started it: the gate's verdict, its rollback reason and
// the failed checks. Lines are appended and synced through the Env; a line never
// holds credentials (stores appear as Describe()).
#ifndef VECGATE_SNAPSHOT_AUDIT_LOG_H_
#define VECGATE_SNAPSHOT_AUDIT_LOG_H_

#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace vecgate {

struct AuditEntry {
  std::string timestamp;  // filled in by AppendAudit when empty
  std::string action;     // "snapshot_create", "rollback", ...
  std::string snapshot_id;
  std::string status;     // "ok" | "failed" | "cancelled"
  std::string type;
  double duration_seconds = 0;
  std::vector<std::string> collections;
  bool success = false;
  std::string message;
  std::string store;  // Describe(), may be empty
  std::string trigger;  // why an automatic rollback ran; "" otherwise
};

// Appends one line to `log_path` (creating its directory). IoError naming
// the file.
Status AppendAudit(Env* env, const std::string& log_path, AuditEntry entry);

// The last `limit` entries (all when limit <= 0), oldest first. A missing
// file is an empty log; a line that does not parse is returned with action
// "unreadable", status "failed" and a Corruption message naming the file and
// the line, rather than hiding the rest.
Result<std::vector<AuditEntry>> ReadAudit(Env* env, const std::string& log_path,
                                          int limit);

std::string AuditEntryJson(const AuditEntry& entry);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_AUDIT_LOG_H_
