// Manifest JSON, snapshot names and the directory layout.
#include "snapshot/manifest.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>

#include "codec/record_json.h"
#include "core/text.h"
#include "snapshot/record_codec.h"
#include "snapshot/tar_format.h"

namespace vecgate {

using Json = nlohmann::json;

namespace {

Json MemberToJson(const MemberEntry& m) {
  return Json{{"name", m.name},
              {"size", m.size},
              {"sha256", m.sha256},
              {"offset", m.offset},
              {"compressed_size", m.compressed_size}};
}

// The codec's collection info plus the archive's own keys (nlohmann objects
// keep keys sorted, so the text does not depend on the order added).
Json CollectionToJson(const ManifestCollection& c) {
  Json pages = Json::array();
  for (const ManifestPage& p : c.pages) {
    pages.push_back(Json{{"rows", p.rows},
                         {"records", MemberToJson(p.records)},
                         {"embeddings", MemberToJson(p.embeddings)}});
  }
  Json out = CollectionInfoToJson(c.info);
  out["count"] = c.count;
  out["info_member"] = MemberToJson(c.info_member);
  out["pages"] = std::move(pages);
  return out;
}

Json IndexToJson(const Manifest& m) {
  Json collections = Json::array();
  for (const auto& c : m.collections) collections.push_back(CollectionToJson(c));
  return Json{{"format", "vecgate-snapshot"},
              {"format_version", kManifestFormatVersion},
              {"snapshot_id", m.snapshot_id},
              {"name", m.name},
              {"timestamp", m.timestamp},
              {"source_store", RedactCredentials(m.source_store)},
              {"tool_version", m.tool_version},
              {"total_chunks", m.total_chunks},
              {"collections", collections}};
}

// Typed field access that reports the JSON path.
class Reader {
 public:
  explicit Reader(std::string where) : where_(std::move(where)) {}
  Status status() const { return status_; }

  const Json* Field(const Json& obj, const std::string& path, const char* key,
                    Json::value_t type, bool required = true) {
    if (!status_.ok()) return nullptr;
    auto it = obj.find(key);
    bool type_ok = it != obj.end() &&
                   (it->type() == type ||
                    (type == Json::value_t::number_float && it->is_number()) ||
                    (type == Json::value_t::number_unsigned &&
                     it->is_number_integer() && it->get<int64_t>() >= 0) ||
                    (type == Json::value_t::number_integer &&
                     it->is_number_integer()));
    if (!type_ok) {
      if (it == obj.end() && !required) return nullptr;
      status_ = Corruption(where_ + ": " + path + "." + key +
                           (it == obj.end() ? " is missing" : " has the wrong type"));
      return nullptr;
    }
    return &*it;
  }
  std::string String(const Json& o, const std::string& p, const char* k,
                     bool required = true) {
    const Json* j = Field(o, p, k, Json::value_t::string, required);
    return j ? j->get<std::string>() : "";
  }
  int64_t Int(const Json& o, const std::string& p, const char* k,
              bool required = true) {
    const Json* j = Field(o, p, k, Json::value_t::number_integer, required);
    return j ? j->get<int64_t>() : 0;
  }
  uint64_t UInt(const Json& o, const std::string& p, const char* k,
                bool required = true) {
    const Json* j = Field(o, p, k, Json::value_t::number_unsigned, required);
    return j ? j->get<uint64_t>() : 0;
  }
  double Double(const Json& o, const std::string& p, const char* k,
                bool required = true) {
    const Json* j = Field(o, p, k, Json::value_t::number_float, required);
    return j ? j->get<double>() : 0;
  }
  MemberEntry Member(const Json& o, const std::string& p, const char* k,
                     bool required = true) {
    MemberEntry m;
    const Json* j = Field(o, p, k, Json::value_t::object, required);
    if (j == nullptr) return m;
    const std::string path = p + "." + k;
    m.name = String(*j, path, "name");
    m.size = UInt(*j, path, "size");
    m.sha256 = String(*j, path, "sha256");
    m.offset = UInt(*j, path, "offset");
    m.compressed_size = UInt(*j, path, "compressed_size");
    if (status_.ok()) {
      Status valid = ValidateMemberName(m.name);
      if (!valid.ok()) status_ = Corruption(where_ + ": " + path + ": " + valid.message());
    }
    return m;
  }
  void Fail(const std::string& message) {
    if (status_.ok()) status_ = Corruption(where_ + ": " + message);
  }

 private:
  std::string where_;
  Status status_;
};

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

std::string Padded(size_t value, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*zu", width, value);
  return buf;
}

}  // namespace

const ManifestCollection* Manifest::Find(const std::string& collection) const {
  for (const auto& c : collections) {
    if (c.info.name == collection) return &c;
  }
  return nullptr;
}

std::string ManifestIndexJson(const Manifest& manifest) {
  return DumpJson(IndexToJson(manifest), 1);
}

std::string ManifestJson(const Manifest& m) {
  Json j = IndexToJson(m);
  // The same number as total_chunks, under the name the reports use; the
  // manifest keeps total_chunks for the scripts that read it.
  j["total_records"] = m.total_chunks;
  j["checksum_sha256"] = m.checksum_sha256;
  j["archive_bytes"] = m.archive_bytes;
  j["uncompressed_bytes"] = m.uncompressed_bytes;
  j["embedding_bytes"] = m.embedding_bytes;
  j["compression_ratio"] = m.compression_ratio;
  j["status"] = m.status;
  j["retention_until"] = m.retention_until;
  if (!m.verified_at.empty()) j["verified_at"] = m.verified_at;
  if (!m.restored_at.empty()) j["restored_at"] = m.restored_at;
  j["index_member"] = MemberToJson(m.index_member);
  return DumpJson(j, 2) + "\n";
}

Result<Manifest> ParseManifest(const std::string& text, const std::string& where) {
  ASSIGN_OR_RETURN(
      Json j, ParseJsonBounded(text, where,
                               "it is not a manifest vecgate wrote: 'vecgate snapshot "
                               "cleanup' rebuilds a manifest from its archive"));
  if (!j.is_object()) return Corruption(where + ": not a JSON object");
  Reader r(where);
  Manifest m;
  if (r.String(j, "$", "format") != "vecgate-snapshot") {
    r.Fail("$.format is not \"vecgate-snapshot\"");
  }
  const int64_t version = r.Int(j, "$", "format_version");
  if (r.status().ok() && version != kManifestFormatVersion) {
    r.Fail("format_version " + std::to_string(version) +
           " is not supported by vecgate " VECGATE_VERSION);
  }
  m.snapshot_id = r.String(j, "$", "snapshot_id");
  m.name = r.String(j, "$", "name", false);
  m.timestamp = r.String(j, "$", "timestamp");
  m.source_store = r.String(j, "$", "source_store");
  m.tool_version = r.String(j, "$", "tool_version");
  m.total_chunks = r.Int(j, "$", "total_chunks");
  m.checksum_sha256 = r.String(j, "$", "checksum_sha256", false);
  m.archive_bytes = r.UInt(j, "$", "archive_bytes", false);
  m.uncompressed_bytes = r.UInt(j, "$", "uncompressed_bytes", false);
  m.embedding_bytes = r.UInt(j, "$", "embedding_bytes", false);
  m.compression_ratio = r.Double(j, "$", "compression_ratio", false);
  if (j.contains("status")) m.status = r.String(j, "$", "status");
  m.retention_until = r.String(j, "$", "retention_until", false);
  m.verified_at = r.String(j, "$", "verified_at", false);
  m.restored_at = r.String(j, "$", "restored_at", false);
  // A manifest file names the archive's index member (its checksum and
  // offset are what verify reads last); the index member itself cannot.
  m.index_member = r.Member(j, "$", "index_member", !m.checksum_sha256.empty());
  RETURN_IF_ERROR(r.status());
  if (m.status != "created" && m.status != "verified" &&
      m.status != "restored" && m.status != "failed") {
    return Corruption(where + ": $.status '" + m.status +
                      "' is not created, verified, restored or failed");
  }
  Status id_ok = ValidateSnapshotId(m.snapshot_id);
  if (!id_ok.ok()) return Corruption(where + ": $.snapshot_id: " + id_ok.message());
  const Json* collections = r.Field(j, "$", "collections", Json::value_t::array);
  RETURN_IF_ERROR(r.status());
  size_t members = 1;  // the index
  for (const Json& c : *collections) {
    members += 1;
    if (c.is_object() && c.contains("pages") && c["pages"].is_array()) {
      members += 2 * c["pages"].size();
    }
  }
  if (members > kMaxArchiveMembers) {
    return Corruption(where + ": lists " + std::to_string(members) +
                      " archive members; more than " + std::to_string(kMaxArchiveMembers) +
                      " is refused (vecgate never writes that many)");
  }
  for (size_t k = 0; k < collections->size(); ++k) {
    const Json& c = (*collections)[k];
    const std::string path = "$.collections[" + std::to_string(k) + "]";
    if (!c.is_object()) return Corruption(where + ": " + path + " is not an object");
    ManifestCollection mc;
    mc.info.name = r.String(c, path, "name");
    const Json* metadata = r.Field(c, path, "metadata", Json::value_t::object);
    const Json* configuration = r.Field(c, path, "configuration", Json::value_t::object);
    const std::string space = r.String(c, path, "space");
    mc.info.dimension = r.Int(c, path, "dimension");
    mc.count = r.Int(c, path, "count");
    mc.info_member = r.Member(c, path, "info_member");
    const Json* pages = r.Field(c, path, "pages", Json::value_t::array);
    RETURN_IF_ERROR(r.status());
    Status name_ok = ValidateCollectionName(mc.info.name);
    if (!name_ok.ok()) return Corruption(where + ": " + path + ".name: " + name_ok.message());
    ASSIGN_OR_RETURN(mc.info.metadata, JsonToMetadata(*metadata, where + ": " + path + ".metadata"));
    mc.info.configuration_json = DumpJson(*configuration);
    auto parsed_space = ParseDistanceSpace(space);
    if (!parsed_space) {
      return Corruption(where + ": " + path + ".space '" + space +
                        "' is not cosine, l2 or ip");
    }
    mc.info.space = *parsed_space;
    int64_t rows = 0;
    for (size_t p = 0; p < pages->size(); ++p) {
      const std::string page_path = path + ".pages[" + std::to_string(p) + "]";
      const Json& pj = (*pages)[p];
      if (!pj.is_object()) return Corruption(where + ": " + page_path + " is not an object");
      ManifestPage page;
      page.rows = r.Int(pj, page_path, "rows");
      page.records = r.Member(pj, page_path, "records");
      page.embeddings = r.Member(pj, page_path, "embeddings");
      RETURN_IF_ERROR(r.status());
      rows += page.rows;
      mc.pages.push_back(std::move(page));
    }
    if (rows != mc.count || mc.count < 0) {
      return Corruption(where + ": " + path + " counts " + std::to_string(mc.count) +
                        " records but its pages hold " + std::to_string(rows));
    }
    m.collections.push_back(std::move(mc));
  }
  return m;
}

Status ValidateSnapshotId(const std::string& id) {
  auto bad = [&](const std::string& why) {
    std::string shown;
    for (char c : id) {
      unsigned char u = static_cast<unsigned char>(c);
      shown += (u < 0x20 || u == 0x7f) ? '?' : c;
    }
    return InvalidArgument("invalid snapshot id '" + shown + "': " + why +
                           " (ids look like snapshot_20261121_235717; run "
                           "'vecgate snapshot list')");
  };
  if (id.empty()) return bad("empty");
  if (id.size() > 128) return bad("longer than 128 characters");
  if (id.front() == '/') return bad("an absolute path is not an id");
  if (id.find("..") != std::string::npos) return bad("'..' is not allowed");
  if (id.front() == '.') return bad("must not start with '.'");
  for (char c : id) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return bad("control character");
    if (c == '/') return bad("'/' is not allowed");
    if (!IsIdChar(c)) return bad(std::string("character '") + c + "' is not allowed");
  }
  return Status::Ok();
}

Status ValidateCollectionName(const std::string& name) {
  auto bad = [&](const std::string& why) {
    std::string shown;
    for (char c : name) {
      unsigned char u = static_cast<unsigned char>(c);
      shown += (u < 0x20 || u == 0x7f) ? '?' : c;
    }
    return InvalidArgument("invalid collection name '" + shown + "': " + why);
  };
  if (name.empty()) return bad("empty");
  if (name.find('/') != std::string::npos) return bad("'/' is not allowed");
  if (name.find("..") != std::string::npos) return bad("'..' is not allowed");
  if (name.find('\\') != std::string::npos) return bad("'\\' is not allowed");
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return bad("control character");
  }
  return Status::Ok();
}

std::string DefaultSnapshotDir() {
  const char* dir = std::getenv("SNAPSHOT_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return "./vecgate_snapshots";
}

std::string CollectionMemberPrefix(const std::string& id, size_t position) {
  return id + "/collections/" + Padded(position, 4) + "/";
}
std::string RecordsMemberName(const std::string& id, size_t position, size_t page) {
  return CollectionMemberPrefix(id, position) + "records_" + Padded(page, 6) + ".jsonl";
}
std::string EmbeddingsMemberName(const std::string& id, size_t position, size_t page) {
  return CollectionMemberPrefix(id, position) + "embeddings_" + Padded(page, 6) + ".f32";
}
std::string InfoMemberName(const std::string& id, size_t position) {
  return CollectionMemberPrefix(id, position) + "info.json";
}
std::string IndexMemberName(const std::string& id) { return id + "/index.json"; }

std::string FormatIso8601(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t ParseIso8601(const std::string& text) {
  std::tm tm = {};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year,
                  &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                  &consumed) != 6 ||
      static_cast<size_t>(consumed) != text.size()) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

std::string FormatCompact(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d_%H%M%S", &tm);
  return buf;
}

}  // namespace vecgate
