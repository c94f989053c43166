// The postgresql:// adapter; see postgres_store.h.
#include "stores/postgres_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>

#include "codec/record_json.h"
#include "core/text.h"
#include "stores/postgres_binary.h"
#include "stores/postgres_internal.h"

namespace vecgate {
namespace postgres_internal {

constexpr char kExpectedForm[] =
    "expected postgresql://[USER@]HOST[:PORT]/DATABASE[?schema=NAME&layout="
    "tables|langchain|langchain-js|llamaindex|llamaindex-ts], e.g. "
    "postgresql://app@localhost:5432/vectors?schema=public";
// Rows per INSERT statement and its byte budget.
constexpr size_t kInsertRows = 500;
constexpr size_t kInsertBytes = 8u << 20;
// Ids per Get statement.
constexpr size_t kGetChunk = 1000;
// Queries per Query statement.
constexpr size_t kQueryBatch = 100;

Status BadUri(const std::string& uri, const std::string& what) {
  return InvalidArgument("invalid PostgreSQL URI '" + Printable(uri, true) +
                         "': " + what + "; " + kExpectedForm);
}

std::string QuoteIdent(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Percent-decodes a URI component; nullopt for a malformed escape.
std::optional<std::string> PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return std::nullopt;
    }
    out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

std::string PercentEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Metadata goes through the record codec. What differs from the other
// stores, and why:
// - doubles are written in plain decimal (MetadataDoubles::kPlain): jsonb
//   keeps numbers as numeric and prints back the digits it was given without
//   an exponent, so 1e+18 would come back as an int;
// - what is read from json/jsonb columns follows PostgreSQL, not vecgate's
//   own files (kPgMetadata): other tools write these columns, so nested
//   values are kept as their JSON text, a key repeated in a json (not jsonb)
//   column takes its last value as PostgreSQL's operators do, and integers
//   beyond int64 become doubles; a JSON null is no metadata.
const MetadataReadRules kPgMetadata{LargeIntegers::kAsDouble,
                                        NestedValues::kAsJsonText,
                                        RepeatedKeys::kLastWins};

Status AppendPgMetadataJson(const Metadata& metadata, const std::string& where,
                            std::string* out) {
  return AppendMetadataJson(metadata, where, MetadataNulls::kWrite,
                            MetadataDoubles::kPlain, out);
}

// Reads the text of a json/jsonb value (`where` names it in errors).
Result<Metadata> ParseMetadataText(RecordJsonReader& reader, const char* text,
                                   size_t length, const std::string& where) {
  Result<simdjson::dom::element> root =
      reader.Parse(text, length, length, where);
  if (!root.ok()) {
    // simdjson refuses an integer beyond uint64 ("Problem while parsing a
    // number"), which jsonb's numeric holds; nlohmann reads it as the nearest
    // double, as kAsDouble asks. Rare, so only then.
    const Json json = Json::parse(text, text + length, nullptr, false);
    if (json.is_discarded()) return root.status();
    if (json.is_null()) return Metadata();
    return JsonToMetadata(json, where, kPgMetadata);
  }
  if (root->is_null()) return Metadata();
  return MetadataFromDom(*root, where, kPgMetadata);
}

EmbeddingKind KindOfType(const std::string& typname) {
  if (typname == "vector") return EmbeddingKind::kVector;
  if (typname == "halfvec") return EmbeddingKind::kHalfvec;
  if (typname == "_float4") return EmbeddingKind::kReal;
  if (typname == "_float8") return EmbeddingKind::kDouble;
  return EmbeddingKind::kNone;
}

bool IsPgvectorKind(EmbeddingKind k) {
  return k == EmbeddingKind::kVector || k == EmbeddingKind::kHalfvec;
}

std::vector<std::string> Secrets() {
  std::vector<std::string> secrets;
  if (const char* p = std::getenv("PGPASSWORD")) {
    if (*p) secrets.push_back(p);
  }
  return secrets;
}

// Server or libpq text made safe for messages.
std::string Clean(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return Printable(Redact(std::move(text), Secrets()), true);
}


std::optional<DistanceSpace> SpaceOfOpclass(const std::string& opclass) {
  auto ends = [&](const char* suffix) {
    const size_t n = std::strlen(suffix);
    return opclass.size() >= n && opclass.compare(opclass.size() - n, n, suffix) == 0;
  };
  if (ends("_cosine_ops")) return DistanceSpace::kCosine;
  if (ends("_l2_ops")) return DistanceSpace::kL2;
  if (ends("_ip_ops")) return DistanceSpace::kIp;
  return std::nullopt;
}

const char* OpsSuffix(DistanceSpace space) {
  switch (space) {
    case DistanceSpace::kCosine:
      return "_cosine_ops";
    case DistanceSpace::kIp:
      return "_ip_ops";
    case DistanceSpace::kL2:
      break;
  }
  return "_l2_ops";
}

const char* DistanceOperator(DistanceSpace space) {
  switch (space) {
    case DistanceSpace::kCosine:
      return "<=>";
    case DistanceSpace::kIp:
      return "<#>";
    case DistanceSpace::kL2:
      break;
  }
  return "<->";
}

// vecgate's distance (Chroma's convention) from pgvector's operator value.
float ConvertDistance(DistanceSpace space, double d) {
  switch (space) {
    case DistanceSpace::kL2:
      return static_cast<float>(d * d);  // <-> is l2, vecgate uses squared
    case DistanceSpace::kIp:
      return static_cast<float>(1.0 + d);  // <#> is -dot
    case DistanceSpace::kCosine:
      break;
  }
  return static_cast<float>(d);
}

bool IsTextType(const std::string& t) {
  return t == "text" || t == "varchar" || t == "bpchar" || t == "name";
}
bool IsIntType(const std::string& t) {
  return t == "int2" || t == "int4" || t == "int8";
}
bool IsJsonType(const std::string& t) { return t == "json" || t == "jsonb"; }

bool IsUuidText(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

bool IsCanonicalUuid(const std::string& s) {
  return IsUuidText(s) && std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'F'; });
}

bool IsIntText(const std::string& s) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = (s[0] == '-') ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// A PostgreSQL array literal of strings: {"a","b"}.
std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

namespace {

// The metadata and space of one note ({"metadata": {...}, "space": ...}).
CollectionNote NoteFromJson(const Json& v) {
  CollectionNote note;
  auto m = v.find("metadata");
  if (m != v.end() && m->is_object()) {
    Result<Metadata> metadata = JsonToMetadata(*m, "table comment", kPgMetadata);
    if (metadata.ok()) note.metadata = std::move(metadata).value();
  }
  auto s = v.find("space");
  if (s != v.end() && s->is_string()) note.space = ParseDistanceSpace(s->get<std::string>());
  return note;
}

// vecgate's comment as JSON: the comment itself when vecgate wrote it, else
// an object keeping the user's text under "comment".
Json CommentJson(const std::string& comment) {
  Json out = Json::object();
  if (!comment.empty()) {
    Result<Json> bounded = ParseJsonBounded(comment, "table comment");
    Json parsed = bounded.ok() ? std::move(bounded).value() : Json();
    if (parsed.is_object() && parsed.contains("vecgate") && parsed["vecgate"].is_object()) {
      out = std::move(parsed);
    } else {
      out["comment"] = comment;
    }
  }
  return out;
}

}  // namespace

TableComment ParseComment(const std::string& comment) {
  TableComment out;
  if (comment.empty() || comment[0] != '{') return out;
  // Anyone can write a comment: its nesting is bounded before nlohmann
  // (recursive) sees it.
  Result<Json> parsed = ParseJsonBounded(comment, "table comment");
  if (!parsed.ok()) return out;
  const Json& json = *parsed;
  if (!json.is_object()) return out;
  auto v = json.find("vecgate");
  if (v == json.end() || !v->is_object()) return out;
  CollectionNote table = NoteFromJson(*v);
  out.metadata = std::move(table.metadata);
  out.space = table.space;
  auto c = v->find("collections");
  if (c != v->end() && c->is_object()) {
    for (auto it = c->begin(); it != c->end(); ++it) {
      if (it.value().is_object()) out.collections[it.key()] = NoteFromJson(it.value());
    }
  }
  return out;
}

// The comment of a table whose collection metadata becomes `metadata_json`
// (a JSON object): vecgate's comment keeps its space and any other keys; a
// comment vecgate did not write is kept as its text under "comment", so
// renaming a user's table aside loses nothing.
std::string CommentWithMetadata(const std::string& comment, const std::string& metadata_json) {
  Json out = CommentJson(comment);
  out["vecgate"]["metadata"] = Json::parse(metadata_json);
  return DumpJson(out);
}

Result<Json> NoteJson(const Metadata& metadata, std::optional<DistanceSpace> space,
                      const std::string& where) {
  std::string text;
  RETURN_IF_ERROR(AppendPgMetadataJson(metadata, where, &text));
  Json entry = {{"metadata", Json::parse(text)}};
  if (space) entry["space"] = DistanceSpaceName(*space);
  return entry;
}

std::string CommentWithCollection(const std::string& comment, const std::string& name,
                                  const Json* note) {
  Json out = CommentJson(comment);
  Json& collections = out["vecgate"]["collections"];
  if (!collections.is_object()) collections = Json::object();
  if (note == nullptr) {
    collections.erase(name);
  } else {
    collections[name] = *note;
  }
  return DumpJson(out);
}

DistanceSpace DefaultSpace(PostgresLayout layout) {
  // pgvector's <-> for plain tables; LangChain (Python and JS) and
  // LlamaIndex (Python and TS) search with cosine distance by default.
  return layout == PostgresLayout::kTables ? DistanceSpace::kL2 : DistanceSpace::kCosine;
}

const Column* TableDesc::Find(const std::string& column) const {
  for (const Column& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

bool IsNotACollection(const Status& s) {
  const std::string& m = s.message();
  return s.code() == StatusCode::kInvalidArgument &&
         (m.find("not a collection") != std::string::npos ||
          m.find("(from ?embedding=") != std::string::npos ||
          m.find("embedding columns (") != std::string::npos);
}

std::string RowRange(const RecordBatch& batch, size_t begin, size_t end) {
  return "records " + std::to_string(begin) + ".." + std::to_string(end - 1) + " ('" +
         Printable(batch.id(begin), true) + "'..'" + Printable(batch.id(end - 1), true) + "')";
}

// ------------------------------------------------------------------ store


Status PostgresStore::Connect() {
  std::vector<std::string> keys, values;
  auto add = [&](const std::string& k, const std::string& v) {
    keys.push_back(k);
    values.push_back(v);
  };
  add("host", uri_.host);
  if (uri_.port > 0) add("port", std::to_string(uri_.port));
  add("dbname", uri_.database);
  if (!uri_.user.empty()) add("user", uri_.user);
  add("client_encoding", "UTF8");
  bool has_timeout = false, has_app = false;
  for (const auto& [k, v] : uri_.libpq_params) {
    has_timeout |= k == "connect_timeout";
    has_app |= k == "application_name";
    add(k, v);
  }
  if (!has_timeout) {
    add("connect_timeout", std::to_string(std::max(2, static_cast<int>(options_.timeout_seconds))));
  }
  if (!has_app) add("application_name", "vecgate");
  std::vector<const char*> k, v;
  for (size_t i = 0; i < keys.size(); ++i) {
    k.push_back(keys[i].c_str());
    v.push_back(values[i].c_str());
  }
  k.push_back(nullptr);
  v.push_back(nullptr);
  conn_.reset(PQconnectdbParams(k.data(), v.data(), 0));
  if (conn_ == nullptr) return Internal(Prefix() + "libpq could not allocate a connection");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    std::string message = Clean(PQerrorMessage(conn_.get()));
    const std::string where = uri_.host + (uri_.port ? ":" + std::to_string(uri_.port) : "");
    if (message.find("password") != std::string::npos ||
        message.find("authentication") != std::string::npos) {
      return FailedPrecondition(Prefix() + "the server refused the credentials (" + message +
                                "); check the user in the URI and the password in "
                                "PGPASSWORD or ~/.pgpass");
    }
    if (message.find("invalid connection option") != std::string::npos ||
        message.find("invalid sslmode") != std::string::npos) {
      return InvalidArgument(Prefix() + message +
                             ": a URI parameter is neither vecgate's (schema, layout, id, "
                             "document, metadata, embedding) nor a libpq connection parameter");
    }
    if (message.find("does not exist") != std::string::npos) {
      return NotFound(Prefix() + message);
    }
    return Unavailable(Prefix() + "cannot connect (" + message +
                       "); is the PostgreSQL server running at " + where + "?");
  }
  // Server notices ("already exists, skipping") are not for the user.
  PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
  // Shortest exact float text, whatever the server's default.
  ASSIGN_OR_RETURN(PgResult r, Exec("SET extra_float_digits = 1", {}, "setting up the session"));
  // --timeout bounds every statement, as it bounds every HTTP request of
  // the other stores: a server that stalls (a lock held elsewhere, a
  // statement that never ends) fails the job instead of hanging it.
  if (options_.timeout_seconds > 0) {
    const long long ms = std::max<long long>(
        1, static_cast<long long>(std::llround(options_.timeout_seconds * 1000.0)));
    ASSIGN_OR_RETURN(PgResult t, Exec("SET statement_timeout = " + std::to_string(ms), {},
                                      "setting the statement timeout"));
  }
  return CheckVectorExtension();
}

Status PostgresStore::CheckVectorExtension() {
  ASSIGN_OR_RETURN(PgResult r, Exec("SELECT 1 FROM pg_extension WHERE extname = 'vector'", {},
                                    "looking for the pgvector extension"));
  has_pgvector_ = PQntuples(r.get()) > 0;
  return Status::Ok();
}

Status PostgresStore::ErrorFrom(const PGresult* result, const std::string& what) {
  std::string message;
  const char* sqlstate = nullptr;
  if (result != nullptr) {
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
    const char* hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT);
    sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    if (primary) message = primary;
    if (detail) message += std::string(" (") + detail + ")";
    if (hint) message += std::string("; hint: ") + hint;
  }
  if (message.empty()) message = PQerrorMessage(conn_.get());
  message = Prefix() + what + ": " + Clean(message);
  if (PQstatus(conn_.get()) == CONNECTION_BAD) {
    return Unavailable(message + "; the connection to the server was lost (is it still running?)");
  }
  const std::string state = sqlstate ? sqlstate : "";
  if (state == "42P01" || state == "3F000") return NotFound(message);
  if (state == "42P07" || state == "23505" || state == "42710") return AlreadyExists(message);
  if (state.rfind("28", 0) == 0 || state == "42501") {
    return FailedPrecondition(message + " (check the user's privileges and PGPASSWORD / ~/.pgpass)");
  }
  if (state.rfind("08", 0) == 0 || state.rfind("57", 0) == 0 || state.rfind("53", 0) == 0) {
    return Unavailable(message);
  }
  return InvalidArgument(message);
}

Result<PgResult> PostgresStore::Exec(const std::string& sql, const Params& params,
                                     const std::string& what, bool binary) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  // Always the extended protocol, which runs exactly one statement: SQL
  // text that holds something from a catalogue, an archive or a journal
  // (an index definition, a default) can never smuggle a second statement
  // in. A table named 'x ON b USING btree(id);DROP TABLE v;--' once
  // dropped v through the simple protocol (PQexec) when its index was
  // replayed (postgres_safety_test).
  PgResult result(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(params.size()),
                               nullptr, values.data(), nullptr, nullptr, binary ? 1 : 0));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return ErrorFrom(result.get(), what);
}

Status PostgresStore::ExecScript(const std::string& sql, const std::string& what) {
  PgResult result(PQexec(conn_.get(), sql.c_str()));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Status::Ok();
  return ErrorFrom(result.get(), what);
}

Status PostgresStore::Begin(const std::string& what) {
  return Exec("BEGIN", {}, what).status();
}
void PostgresStore::Rollback() {
  if (PQstatus(conn_.get()) != CONNECTION_OK) return;
  PgResult r(PQexec(conn_.get(), "ROLLBACK"));
}
Status PostgresStore::Commit(const std::string& what) {
  return Exec("COMMIT", {}, what).status();
}

Result<bool> PostgresStore::SchemaExists() {
  ASSIGN_OR_RETURN(PgResult r, Exec("SELECT 1 FROM pg_namespace WHERE nspname = $1",
                                    {uri_.schema}, "looking up schema '" + uri_.schema + "'"));
  return PQntuples(r.get()) > 0;
}

Result<std::map<std::string, TableDesc>> PostgresStore::DescribeTables(const std::string* only) {
  std::map<std::string, TableDesc> tables;
  Params params{uri_.schema};
  std::string filter;
  if (only) {
    params.push_back(*only);
    filter = " AND c.relname = $2";
  }
  ASSIGN_OR_RETURN(
      PgResult cols,
      Exec("SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), t.typname, "
           "a.atttypmod, a.attnotnull, "
           "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary "
           "AND i.indnatts = 1 AND i.indkey[0] = a.attnum), "
           "COALESCE(obj_description(c.oid, 'pg_class'), ''), "
           "COALESCE(pg_get_expr(d.adbin, d.adrelid), '') "
           "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
           "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
           "JOIN pg_type t ON t.oid = a.atttypid "
           "LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
           "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition" +
               filter + " ORDER BY c.relname, a.attnum",
           params, "reading the catalog of schema '" + uri_.schema + "'"));
  for (int i = 0; i < PQntuples(cols.get()); ++i) {
    TableDesc& t = tables[PQgetvalue(cols.get(), i, 0)];
    t.name = PQgetvalue(cols.get(), i, 0);
    Column c;
    c.name = PQgetvalue(cols.get(), i, 1);
    c.type = PQgetvalue(cols.get(), i, 2);
    c.typname = PQgetvalue(cols.get(), i, 3);
    c.typmod = std::atoi(PQgetvalue(cols.get(), i, 4));
    c.not_null = PQgetvalue(cols.get(), i, 5)[0] == 't';
    c.primary_key = PQgetvalue(cols.get(), i, 6)[0] == 't';
    t.comment = PQgetvalue(cols.get(), i, 7);
    c.default_sql = PQgetvalue(cols.get(), i, 8);
    t.columns.push_back(std::move(c));
  }
  ASSIGN_OR_RETURN(
      PgResult idx,
      Exec("SELECT c.relname, ic.relname, pg_get_indexdef(i.indexrelid), am.amname, "
           "COALESCE(opc.opcname, ''), COALESCE((SELECT attname FROM pg_attribute "
           "WHERE attrelid = c.oid AND attnum = i.indkey[0]), ''), i.indisprimary "
           "FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
           "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
           "JOIN pg_namespace n ON n.oid = c.relnamespace "
           "LEFT JOIN pg_opclass opc ON opc.oid = i.indclass[0] "
           "WHERE n.nspname = $1" +
               filter + " ORDER BY c.relname, ic.relname",
           params, "reading the indexes of schema '" + uri_.schema + "'"));
  for (int i = 0; i < PQntuples(idx.get()); ++i) {
    auto it = tables.find(PQgetvalue(idx.get(), i, 0));
    if (it == tables.end()) continue;
    IndexDef d;
    d.name = PQgetvalue(idx.get(), i, 1);
    d.definition = PQgetvalue(idx.get(), i, 2);
    d.method = PQgetvalue(idx.get(), i, 3);
    d.opclass = PQgetvalue(idx.get(), i, 4);
    d.first_column = PQgetvalue(idx.get(), i, 5);
    d.primary = PQgetvalue(idx.get(), i, 6)[0] == 't';
    it->second.indexes.push_back(std::move(d));
  }
  return tables;
}

// Picks the ANN index of the embedding column, its method and space.
void ApplyIndexes(const TableDesc& table, Target* t, Json* pg) {
  Json indexes = Json::array();
  for (const IndexDef& d : table.indexes) {
    Json entry = {{"name", d.name}, {"definition", d.definition}};
    if (d.primary) entry["primary"] = true;  // made by the table's PRIMARY KEY on restore
    indexes.push_back(std::move(entry));
    if ((d.method == "hnsw" || d.method == "ivfflat") && d.first_column == t->embedding_col &&
        t->ann_method.empty()) {
      if (auto space = SpaceOfOpclass(d.opclass)) {
        t->ann_method = d.method;
        t->info.space = *space;
      }
    }
  }
  (*pg)["indexes"] = std::move(indexes);
  (*pg)["ann_index"] = t->ann_method.empty() ? Json(nullptr) : Json(t->ann_method);
}

Json ColumnsJson(const TableDesc& table) {
  Json columns = Json::array();
  for (const Column& c : table.columns) {
    Json column = {{"name", c.name},
                   {"type", c.type},
                   {"not_null", c.not_null},
                   {"primary_key", c.primary_key}};
    if (!c.default_sql.empty()) column["default"] = c.default_sql;
    columns.push_back(std::move(column));
  }
  return columns;
}

Result<Target> PostgresStore::ResolveTable(const TableDesc& table) {
  Target t;
  t.table_name = table.name;
  t.table_sql = Table(table.name);
  t.info.name = table.name;
  const std::string where = Prefix() + "table '" + Printable(table.name, true) + "'";
  auto find = [&](const std::string& name) -> const Column* {
    for (const Column& c : table.columns) {
      if (c.name == name) return &c;
    }
    return nullptr;
  };
  // Embedding.
  const Column* embedding = nullptr;
  if (!uri_.embedding_column.empty()) {
    embedding = find(uri_.embedding_column);
    if (embedding == nullptr || KindOfType(embedding->typname) == EmbeddingKind::kNone) {
      return InvalidArgument(where + " has no embedding column '" + uri_.embedding_column +
                             "' of type vector, halfvec, real[] or double precision[] "
                             "(from ?embedding= in the URI)");
    }
  } else {
    std::vector<std::string> found;
    for (const Column& c : table.columns) {
      if (KindOfType(c.typname) != EmbeddingKind::kNone) {
        if (!embedding) embedding = &c;
        found.push_back(c.name);
      }
    }
    if (found.empty()) {
      return InvalidArgument(where +
                             " has no embedding column (vector, halfvec, real[] or double "
                             "precision[]): it is not a collection");
    }
    if (found.size() > 1) {
      std::string names;
      for (const auto& f : found) names += (names.empty() ? "" : ", ") + f;
      return InvalidArgument(where + " has " + std::to_string(found.size()) +
                             " embedding columns (" + names +
                             "); name the one to use with ?embedding=COLUMN in the URI");
    }
  }
  t.embedding_col = embedding->name;
  t.kind = KindOfType(embedding->typname);
  if (IsPgvectorKind(t.kind) && embedding->typmod > 0) t.typmod_dimension = embedding->typmod;
  // Id.
  const Column* id = nullptr;
  if (!uri_.id_column.empty()) {
    id = find(uri_.id_column);
    if (id == nullptr) {
      return InvalidArgument(where + " has no column '" + uri_.id_column +
                             "' (from ?id= in the URI)");
    }
  } else {
    for (const Column& c : table.columns) {
      if (c.primary_key) id = &c;
    }
    if (id == nullptr) {
      return InvalidArgument(where +
                             " has no single-column primary key; name the id column with "
                             "?id=COLUMN in the URI");
    }
  }
  if (!IsTextType(id->typname) && !IsIntType(id->typname) && id->typname != "uuid") {
    return InvalidArgument(where + ": id column '" + id->name + "' is of type " + id->type +
                           "; vecgate reads ids of type text, varchar, uuid or integer");
  }
  t.layout = layout();
  t.id_col = id->name;
  t.id_write_col = id->name;
  t.key_col = id->name;
  t.id_sql = QuoteIdent(id->name) + "::text";
  t.id_typname = id->typname;
  // Document and metadata.
  auto pick = [&](const std::string& given, std::initializer_list<const char*> names,
                  bool (*ok)(const std::string&), const char* what,
                  std::string* out) -> Status {
    if (!given.empty()) {
      const Column* c = find(given);
      if (c == nullptr || !ok(c->typname)) {
        return InvalidArgument(where + " has no " + what + " column '" + given + "'");
      }
      *out = given;
      return Status::Ok();
    }
    for (const char* n : names) {
      const Column* c = find(n);
      if (c && ok(c->typname)) {
        *out = n;
        break;
      }
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(pick(uri_.document_column, {"document", "content", "text", "page_content"},
                       IsTextType, "text", &t.document_col));
  // langchain_metadata: langchain_postgres's PGVectorStore (v2);
  // metadata_: LlamaIndex.
  RETURN_IF_ERROR(pick(uri_.metadata_column,
                       {"metadata", "cmetadata", "meta", "langchain_metadata", "metadata_"},
                       IsJsonType, "json/jsonb", &t.metadata_col));
  if (const Column* d = find(t.document_col)) t.document_not_null = d->not_null;
  TableComment comment = ParseComment(table.comment);
  t.info.metadata = comment.metadata;
  t.info.space = comment.space.value_or(DefaultSpace(PostgresLayout::kTables));
  Json pg = {{"layout", "tables"},
             {"table", table.name},
             {"columns", ColumnsJson(table)},
             {"id", t.id_col},
             {"document", t.document_col.empty() ? Json(nullptr) : Json(t.document_col)},
             {"metadata", t.metadata_col.empty() ? Json(nullptr) : Json(t.metadata_col)},
             {"embedding", t.embedding_col}};
  ApplyIndexes(table, &t, &pg);
  t.info.configuration_json = DumpJson(Json{{"postgres", pg}});
  return t;
}

Status PostgresStore::FillDimension(Target* t) {
  if (t->typmod_dimension > 0) {
    t->info.dimension = t->typmod_dimension;
    return Status::Ok();
  }
  Params params;
  std::string filter = CollectionFilter(*t, &params);
  const std::string col = QuoteIdent(t->embedding_col);
  const std::string dims = IsPgvectorKind(t->kind) ? "vector_dims(" + col + "::vector)"
                                                   : "array_length(" + col + ", 1)";
  ASSIGN_OR_RETURN(PgResult r, Exec("SELECT " + dims + " FROM " + t->table_sql + " WHERE " + col +
                                        " IS NOT NULL" + (filter.empty() ? "" : " AND " + filter) +
                                        " LIMIT 1",
                                    params,
                                    "reading the dimension of collection '" + t->info.name + "'"));
  t->info.dimension = PQntuples(r.get()) > 0 && !PQgetisnull(r.get(), 0, 0)
                          ? std::atoll(PQgetvalue(r.get(), 0, 0))
                          : 0;
  return Status::Ok();
}

std::string PostgresStore::CollectionFilter(const Target& t, Params* params) const {
  if (!t.collection_value) return "";
  params->push_back(*t.collection_value);
  return QuoteIdent(t.collection_col) + " = $" + std::to_string(params->size()) +
         t.collection_cast;
}

Result<Target> PostgresStore::Resolve(const std::string& collection) {
  if (layout() != PostgresLayout::kTables || !uri_.collection_column.empty()) {
    ASSIGN_OR_RETURN(Target t, ResolveInLayout(collection));
    RETURN_IF_ERROR(FillDimension(&t));
    return t;
  }
  ASSIGN_OR_RETURN(auto tables, DescribeTables(&collection));
  auto it = tables.find(collection);
  if (it == tables.end()) {
    return NotFound(Prefix() + "collection '" + Printable(collection, true) +
                    "' does not exist: no table of that name in schema '" + uri_.schema + "'");
  }
  ASSIGN_OR_RETURN(Target t, ResolveTable(it->second));
  RETURN_IF_ERROR(FillDimension(&t));
  return t;
}

Result<std::vector<CollectionInfo>> PostgresStore::ListCollections() {
  std::vector<CollectionInfo> out;
  ASSIGN_OR_RETURN(bool exists, SchemaExists());
  if (!exists) return out;
  if (layout() != PostgresLayout::kTables || !uri_.collection_column.empty()) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, LayoutCollectionNames());
    for (const std::string& name : names) {
      ASSIGN_OR_RETURN(Target t, Resolve(name));
      out.push_back(std::move(t.info));
    }
    return out;
  }
  ASSIGN_OR_RETURN(auto tables, DescribeTables(nullptr));
  for (const auto& [name, table] : tables) {
    // A collection is a table with exactly one embedding column (or the
    // one ?embedding= names); other tables are not collections.
    Result<Target> t = ResolveTable(table);
    if (!t.ok()) {
      if (IsNotACollection(t.status())) continue;
      return t.status();
    }
    RETURN_IF_ERROR(FillDimension(&*t));
    out.push_back(t->info);
  }
  return out;
}

Result<CollectionInfo> PostgresStore::GetCollection(const std::string& name) {
  ASSIGN_OR_RETURN(Target t, Resolve(name));
  return t.info;
}

Result<int64_t> PostgresStore::Count(const std::string& collection) {
  ASSIGN_OR_RETURN(Target t, Resolve(collection));
  Params params;
  const std::string filter = CollectionFilter(t, &params);
  ASSIGN_OR_RETURN(PgResult r, Exec("SELECT count(*) FROM " + t.table_sql +
                                        (filter.empty() ? "" : " WHERE " + filter),
                                    params, "counting collection '" + collection + "'"));
  return static_cast<int64_t>(std::atoll(PQgetvalue(r.get(), 0, 0)));
}

// The SELECT list of a read, whose rows are asked for in binary form: id,
// document and metadata as text (in binary form, its bytes), the embedding
// as `vector` or `real[]` (DecodeEmbeddingBinary). Binary rows spare the
// server printing every float and vecgate parsing it back: a scan of 9,832
// records of 768 dimensions from PGlite took 1.05x the time of psql -At
// printing the same rows as text when vecgate read text too, and 0.41x in
// binary form (pgvector_bench, medians of 3).
std::string SelectList(const Target& t, const Include& include) {
  // Aliased: ORDER BY and WHERE must see the table's id column (its own
  // type and order), not an output column of the same name.
  std::string s = t.id_sql + " AS vecgate_id, ";
  s += (include.documents && !t.document_col.empty()) ? QuoteIdent(t.document_col) + "::text"
                                                      : "NULL::text";
  s += ", ";
  if (include.metadatas && !t.metadata_col.empty()) {
    s += (t.metadata_sql.empty() ? QuoteIdent(t.metadata_col) : t.metadata_sql) + "::text";
  } else {
    s += "NULL::text";
  }
  s += ", ";
  if (!include.embeddings) {
    s += "NULL::text";
  } else if (IsPgvectorKind(t.kind)) {
    // halfvec is widened to vector on the server, which is exact.
    s += QuoteIdent(t.embedding_col) + "::vector";
  } else {
    s += QuoteIdent(t.embedding_col) + "::real[]";
  }
  // The scan's key (the primary key), which the next page starts after.
  return s + ", " + QuoteIdent(t.key_col) + "::text AS vecgate_key";
}

// Appends the rows of `r` (SelectList's columns, binary) to `page`.
Status DecodeRows(const PGresult* r, const Target& t, const Include& include,
                  const std::string& where, RecordBatch* page,
                  std::string* last_key = nullptr) {
  if (last_key != nullptr && PQntuples(r) > 0) {
    const int last = PQntuples(r) - 1;
    last_key->assign(PQgetvalue(r, last, 4), PQgetlength(r, last, 4));
  }
  RecordJsonReader reader;
  for (int i = 0; i < PQntuples(r); ++i) {
    std::string id(PQgetvalue(r, i, 0), PQgetlength(r, i, 0));
    std::optional<std::string> document;
    if (include.documents && !PQgetisnull(r, i, 1)) {
      document.emplace(PQgetvalue(r, i, 1), PQgetlength(r, i, 1));
    }
    std::optional<Metadata> metadata;
    if (include.metadatas && !PQgetisnull(r, i, 2)) {
      ASSIGN_OR_RETURN(
          Metadata m,
          ParseMetadataText(
              reader, PQgetvalue(r, i, 2), PQgetlength(r, i, 2),
              where + ", metadata of record '" + Printable(id, true) + "'"));
      metadata = std::move(m);
    }
    if (include.embeddings && !PQgetisnull(r, i, 3)) {
      const size_t before = page->mutable_values().size();
      if (!DecodeEmbeddingBinary(PQgetvalue(r, i, 3), PQgetlength(r, i, 3),
                                 !IsPgvectorKind(t.kind), page)) {
        page->mutable_values().resize(before);
        return Corruption(where + ": the embedding of record '" + Printable(id, true) +
                          "' is not a one-dimensional list of numbers");
      }
    }
    page->AppendRowMeta(std::move(id), std::move(document), std::move(metadata));
  }
  return Status::Ok();
}

Status PostgresStore::Scan(const std::string& collection, const ScanOptions& options,
                           const PageSink& sink) {
  ASSIGN_OR_RETURN(Target t, Resolve(collection));
  // One snapshot for the count and every page: rows that others insert,
  // delete or update meanwhile are neither skipped nor read twice. A scan
  // inside a caller's transaction reads in that one instead.
  const bool own_snapshot = PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
  if (own_snapshot) {
    RETURN_IF_ERROR(Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {},
                         "starting the snapshot that scans collection '" + collection + "'")
                        .status());
  }
  Status s = ScanIn(t, collection, options, sink);
  if (own_snapshot) {
    if (s.ok()) {
      s = Commit("ending the snapshot that scanned collection '" + collection + "'");
    } else {
      Rollback();
    }
  }
  return s;
}

Status PostgresStore::ScanIn(const Target& t, const std::string& collection,
                             const ScanOptions& options, const PageSink& sink) {
  const size_t page_size = std::max<size_t>(options.page_size, 1);
  ASSIGN_OR_RETURN(const int64_t count, Count(collection));
  const std::string where = Prefix() + "collection '" + Printable(collection, true) + "'";
  // Pages follow the primary key, which may differ from the record id
  // (LlamaIndex's bigint id beside its node_id): the order is stable either
  // way, and a key is unique where an id read from a column may not be.
  const std::string id = QuoteIdent(t.key_col);
  RecordBatch page;
  std::optional<std::string> last;
  std::string last_key;
  int64_t rows_read = 0;
  while (true) {
    Params params;
    std::string filter = CollectionFilter(t, &params);
    if (last) {
      params.push_back(*last);
      filter += (filter.empty() ? "" : " AND ") + id + " > $" + std::to_string(params.size());
    }
    const std::string sql = "SELECT " + SelectList(t, options.include) + " FROM " + t.table_sql +
                            (filter.empty() ? "" : " WHERE " + filter) + " ORDER BY " + id +
                            " LIMIT " + std::to_string(page_size);
    Result<PgResult> r =
        Exec(sql, params,
             "scanning collection '" + collection + "' " +
                 (last ? "after " + (t.key_col == t.id_col ? std::string("id") : t.key_col) + " '" +
                            Printable(*last, true) + "'"
                      : "from the start"),
             /*binary=*/true);
    if (!r.ok()) return r.status();
    page.Clear();
    RETURN_IF_ERROR(DecodeRows(r->get(), t, options.include, where, &page, &last_key));
    if (page.empty()) break;
    rows_read += static_cast<int64_t>(page.size());
    last = last_key;
    const bool full = page.size() == page_size;
    RETURN_IF_ERROR(sink(page));
    if (!full) break;
  }
  if (rows_read < count) {
    return Corruption(where + ": the scan read " + std::to_string(rows_read) +
                      " records but the collection counted " + std::to_string(count) +
                      " when the scan started (was it changed during the scan?)");
  }
  return Status::Ok();
}

Result<RecordBatch> PostgresStore::Get(const std::string& collection,
                                       const std::vector<std::string>& ids,
                                       const Include& include) {
  RecordBatch result;
  if (ids.empty()) return result;
  ASSIGN_OR_RETURN(Target t, Resolve(collection));
  const std::string where = Prefix() + "collection '" + Printable(collection, true) + "'";
  std::string cast = "text[]";
  bool (*valid)(const std::string&) = nullptr;
  if (t.id_col.empty()) {
    // An id made of columns (an expression): compared as text.
  } else if (t.id_typname == "uuid") {
    cast = "uuid[]";
    valid = IsUuidText;
  } else if (IsIntType(t.id_typname)) {
    cast = "bigint[]";
    valid = IsIntText;
  }
  for (size_t begin = 0; begin < ids.size(); begin += kGetChunk) {
    const size_t end = std::min(ids.size(), begin + kGetChunk);
    std::vector<std::string> chunk;
    for (size_t i = begin; i < end; ++i) {
      if (valid == nullptr || valid(ids[i])) chunk.push_back(ids[i]);
    }
    if (chunk.empty()) continue;
    Params params;
    std::string filter = CollectionFilter(t, &params);
    params.push_back(ArrayLiteral(chunk));
    filter += (filter.empty() ? "" : " AND ") +
              (t.id_col.empty() ? "(" + t.id_sql + ")" : QuoteIdent(t.id_col)) + " = ANY($" +
              std::to_string(params.size()) + "::" + cast + ")";
    Result<PgResult> r = Exec("SELECT " + SelectList(t, include) + " FROM " + t.table_sql +
                                  " WHERE " + filter,
                              params, "reading records of collection '" + collection + "'",
                              /*binary=*/true);
    if (!r.ok()) {
      // An integer id beyond bigint: it cannot exist.
      if (r.status().message().find("out of range") != std::string::npos) continue;
      return r.status();
    }
    RETURN_IF_ERROR(DecodeRows(r->get(), t, include, where, &result));
  }
  return result;
}

// ----------------------------------------------------------------- writes

Status PostgresStore::EnsureSchemaAndExtension(bool need_vector) {
  RETURN_IF_ERROR(Exec("CREATE SCHEMA IF NOT EXISTS " + schema_sql_, {},
                       "creating schema '" + uri_.schema + "'")
                      .status());
  if (need_vector) {
    RETURN_IF_ERROR(CheckVectorExtension());
    if (!has_pgvector_) {
      Status s = Exec("CREATE EXTENSION IF NOT EXISTS vector", {}, "creating extension vector")
                     .status();
      if (!s.ok()) {
        return FailedPrecondition(s.message() +
                                  "; pgvector must be installed on the server and the "
                                  "extension created (CREATE EXTENSION vector)");
      }
      has_pgvector_ = true;
    }
  }
  return Status::Ok();
}

Status CheckIdentifier(const std::string& prefix, const std::string& name) {
  if (name.empty() || name.size() > kMaxIdentifierBytes) {
    return InvalidArgument(prefix + "collection name '" + Printable(name, true) +
                           "' cannot be a table name: PostgreSQL names are 1 to 63 bytes");
  }
  if (name.find('\0') != std::string::npos) {
    return InvalidArgument(prefix + "collection name holds a NUL byte");
  }
  return Status::Ok();
}

namespace {

// One identifier as quote_ident prints it at `*at`: a bare [a-z0-9_]
// word, or "..." with "" for a quote. Advances `*at`.
std::optional<std::string> ReadIdentifier(const std::string& s, size_t* at) {
  size_t i = *at;
  if (i < s.size() && s[i] == '"') {
    std::string out;
    for (++i; i < s.size(); ++i) {
      if (s[i] != '"') {
        out += s[i];
      } else if (i + 1 < s.size() && s[i + 1] == '"') {
        out += '"';
        ++i;
      } else {
        *at = i + 1;
        return out;
      }
    }
    return std::nullopt;
  }
  size_t j = i;
  while (j < s.size() && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9') ||
                          s[j] == '_' || s[j] == '$')) {
    ++j;
  }
  if (j == i) return std::nullopt;
  *at = j;
  return s.substr(i, j - i);
}

bool Consume(const std::string& s, size_t* at, const char* word) {
  const size_t n = std::strlen(word);
  if (s.compare(*at, n, word) != 0) return false;
  *at += n;
  return true;
}

// Walks `text` outside '...', "..." and $$...$$-free SQL: calls `f` with
// each character outside quotes and its parenthesis depth; false when a
// quote is left open or `f` says stop.
template <typename F>
bool WalkOutsideQuotes(const std::string& text, F f) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0') return false;
    if (quote) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      continue;
    }
    if (c == '$') return false;  // dollar quoting: never in what vecgate replays
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) return false;
    if (!f(c, depth)) return false;
  }
  return quote == 0 && depth == 0;
}

}  // namespace

std::optional<ParsedIndexDefinition> ParseIndexDefinition(const std::string& definition) {
  ParsedIndexDefinition p;
  size_t at = 0;
  if (Consume(definition, &at, "CREATE UNIQUE INDEX ")) {
    p.unique = true;
  } else if (!Consume(definition, &at, "CREATE INDEX ")) {
    return std::nullopt;
  }
  auto name = ReadIdentifier(definition, &at);
  if (!name || !Consume(definition, &at, " ON ")) return std::nullopt;
  Consume(definition, &at, "ONLY ");
  auto table = ReadIdentifier(definition, &at);
  if (!table) return std::nullopt;
  if (Consume(definition, &at, ".")) {
    table = ReadIdentifier(definition, &at);  // the first was the schema
    if (!table) return std::nullopt;
  }
  if (!Consume(definition, &at, " ")) return std::nullopt;
  p.tail = definition.substr(at);
  if (p.tail.rfind("USING ", 0) != 0) return std::nullopt;
  if (!WalkOutsideQuotes(p.tail, [](char c, int) { return c != ';'; })) return std::nullopt;
  p.name = std::move(*name);
  p.table = std::move(*table);
  return p;
}

bool IsPlainTypeName(const std::string& type) {
  static const std::regex kType(
      R"(^(((("([^"]|"")+")|[a-z_][a-z0-9_$]*)\.)?(("([^"]|"")+")|[a-z_][a-z0-9_$]*)(\([0-9]+(,[0-9]+)?\))?)"
      R"(|double precision|(character|bit) varying(\([0-9]+\))?)"
      R"(|(timestamp|time)(\([0-9]+\))? with(out)? time zone)(\[[0-9]*\])*$)");
  return type.size() < 1024 && std::regex_match(type, kType);
}

bool IsOneExpression(const std::string& text) {
  if (text.empty()) return false;
  return WalkOutsideQuotes(text, [](char c, int depth) {
    return c != ';' && !(c == ',' && depth == 0);
  });
}

std::string FitIdentifier(const std::string& name) {
  if (name.size() <= kMaxIdentifierBytes) return name;
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ull;
  static const char* hex = "0123456789abcdef";
  std::string tag = "_";
  for (int i = 0; i < 8; ++i) tag += hex[(hash >> (60 - 4 * i)) & 15];
  size_t keep = kMaxIdentifierBytes - tag.size();
  while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) --keep;
  return name.substr(0, keep) + tag;
}

// The new name of index `index` of table `from` when the table becomes `to`.
std::string MovedIndexName(const std::string& index, const std::string& from,
                           const std::string& to) {
  if (index.rfind(from, 0) == 0) return FitIdentifier(to + index.substr(from.size()));
  return FitIdentifier(to + "_" + index);
}

Status PostgresStore::CreateCollection(const CollectionInfo& info) {
  RETURN_IF_ERROR(CheckIdentifier(Prefix(), info.name));
  Json configuration;
  try {
    configuration = Json::parse(info.configuration_json.empty() ? "{}" : info.configuration_json);
  } catch (const std::exception& e) {
    return InvalidArgument(Prefix() + "collection '" + Printable(info.name, true) +
                           "': configuration_json is not JSON (" + e.what() + ")");
  }
  if (!configuration.is_object()) configuration = Json::object();
  Result<Target> existing = Resolve(info.name);
  if (existing.ok() || existing.status().code() == StatusCode::kInvalidArgument) {
    return AlreadyExists(Prefix() + "collection '" + Printable(info.name, true) +
                         "' already exists");
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  if (layout() != PostgresLayout::kTables || !uri_.collection_column.empty()) {
    return CreateInLayout(info, configuration);
  }
  std::string columns = "id text PRIMARY KEY, document text, metadata jsonb, embedding vector";
  if (info.dimension > 0) columns += "(" + std::to_string(info.dimension) + ")";
  return CreateTable(info, configuration, info.name, columns);
}

namespace {

// A string or boolean field of archive JSON: empty / false when absent or
// of another type (never throws).
std::string StringField(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool BoolField(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}


// The column list of a table to create, from the columns a snapshot
// recorded (configuration_json's postgres.columns). A column whose default
// draws from a sequence (bigserial, as LlamaIndex's id) becomes a serial
// column of the new table, which gets a sequence of its own; other defaults
// are replayed as they were. Sets `need_vector` when a pgvector type is
// among them.
Result<std::string> RecordedColumns(const Json& columns, const std::string& where,
                                    bool* need_vector) {
  std::string sql;
  std::vector<std::string> keys;
  *need_vector = false;
  for (const Json& c : columns) {
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !c.contains("type") ||
        !c["type"].is_string()) {
      return InvalidArgument(where + ": configuration_json's postgres.columns "
                             "holds an entry without string name and type");
    }
    std::string type = c["type"].get<std::string>();
    const std::string column = c["name"].get<std::string>();
    const std::string def = StringField(c, "default");
    // Types and defaults are text an archive carries: only a plain type
    // name and one expression are replayed (in parentheses, so nothing can
    // follow it), and the statement goes over the extended protocol.
    if (!IsPlainTypeName(type)) {
      return InvalidArgument(where + ": column '" + Printable(column, true) + "' has type '" +
                             Printable(type, true) +
                             "', which is not a plain type name; refusing to replay it");
    }
    if (!def.empty() && !IsOneExpression(def)) {
      return InvalidArgument(where + ": column '" + Printable(column, true) + "' has default '" +
                             Printable(def, true) +
                             "', which is not one expression; refusing to replay it");
    }
    const bool serial = def.rfind("nextval(", 0) == 0;
    if (serial) {
      type = type == "bigint" ? "bigserial" : type == "smallint" ? "smallserial" : "serial";
    }
    if (type.rfind("vector", 0) == 0 || type.rfind("halfvec", 0) == 0) *need_vector = true;
    if (!sql.empty()) sql += ", ";
    sql += QuoteIdent(column) + " " + type;
    if (!serial && !def.empty()) sql += " DEFAULT (" + def + ")";
    if (BoolField(c, "not_null")) sql += " NOT NULL";
    if (BoolField(c, "primary_key")) keys.push_back(column);
  }
  if (keys.size() == 1) sql += ", PRIMARY KEY (" + QuoteIdent(keys[0]) + ")";
  return sql;
}

// The recorded indexes (configuration's postgres.indexes) as statements for
// table `table_name`, taken apart before anything is created: each is
// CREATE [UNIQUE] INDEX new_name ON new_table + its USING clause, the
// identifiers substituted structurally, never by searching the text. The
// primary key's index is left out (the table's PRIMARY KEY makes it).
// InvalidArgument naming a definition that does not parse as an index of
// the recorded table.
Result<std::vector<std::string>> ReplayedIndexes(const Json& pg, const std::string& table_name,
                                                 const std::string& table_sql,
                                                 const std::string& where) {
  std::vector<std::string> out;
  auto indexes = pg.find("indexes");
  if (indexes == pg.end() || !indexes->is_array()) return out;
  const std::string old_table = StringField(pg, "table");
  for (const Json& index : *indexes) {
    if (!index.is_object()) return InvalidArgument(where + ": an index entry is not an object");
    const std::string name = StringField(index, "name");
    const std::string def = StringField(index, "definition");
    if (name == old_table + "_pkey" || BoolField(index, "primary")) continue;
    std::optional<ParsedIndexDefinition> parsed = ParseIndexDefinition(def);
    if (!parsed || parsed->name != name || (!old_table.empty() && parsed->table != old_table)) {
      return InvalidArgument(where + ": index definition '" + Printable(def, true) +
                             "' is not CREATE [UNIQUE] INDEX " + Printable(name, true) +
                             " ON table " + Printable(old_table, true) +
                             " USING ...; refusing to replay it, nothing was created");
    }
    // The same table again (a restore, a copy to another schema) keeps its
    // index names; a table of another name gets them renamed as
    // RenameTable does.
    const std::string new_name = old_table.empty() || old_table == table_name
                                     ? name
                                     : MovedIndexName(name, old_table, table_name);
    out.push_back(std::string(parsed->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ") +
                  QuoteIdent(new_name) + " ON " + table_sql + " " + parsed->tail);
  }
  return out;
}

}  // namespace

Status PostgresStore::CreateTable(const CollectionInfo& info, const Json& configuration,
                                  const std::string& table_name,
                                  const std::string& default_columns) {
  RETURN_IF_ERROR(CheckIdentifier(Prefix(), table_name));
  const std::string table_sql = Table(table_name);
  const std::string what = "creating collection '" + info.name + "'";
  // Columns: the recorded ones (a PostgreSQL table restored from a
  // snapshot of the same layout), else the layout's own.
  std::string columns_sql = default_columns;
  bool need_vector = true;
  const Json* pg = nullptr;
  auto pg_it = configuration.find("postgres");
  if (pg_it != configuration.end() && pg_it->is_object() &&
      pg_it->value("layout", "") == PostgresLayoutName(layout()) && pg_it->contains("columns") &&
      (*pg_it)["columns"].is_array()) {
    pg = &*pg_it;
    ASSIGN_OR_RETURN(columns_sql, RecordedColumns((*pg)["columns"], Prefix() + what, &need_vector));
  }
  std::vector<std::string> index_sql;
  if (pg != nullptr) {
    ASSIGN_OR_RETURN(index_sql, ReplayedIndexes(*pg, table_name, table_sql, Prefix() + what));
  }
  std::string comment;
  {
    Json c = Json::object();
    std::string m_text;
    RETURN_IF_ERROR(AppendPgMetadataJson(info.metadata, Prefix() + what, &m_text));
    c["vecgate"] = {{"metadata", Json::parse(m_text)}, {"space", DistanceSpaceName(info.space)}};
    comment = DumpJson(c);
  }
  RETURN_IF_ERROR(Begin(what));
  auto run = [&]() -> Status {
    RETURN_IF_ERROR(EnsureSchemaAndExtension(need_vector));
    RETURN_IF_ERROR(Exec("CREATE TABLE " + table_sql + " (" + columns_sql + ")", {}, what).status());
    // COMMENT takes no parameters: the literal is escaped by libpq.
    char* literal = PQescapeLiteral(conn_.get(), comment.c_str(), comment.size());
    if (literal == nullptr) return Internal(Prefix() + what + ": cannot escape the comment");
    std::string comment_sql = "COMMENT ON TABLE " + table_sql + " IS " + literal;
    PQfreemem(literal);
    RETURN_IF_ERROR(Exec(comment_sql, {}, what).status());
    if (pg != nullptr && pg->contains("indexes") && (*pg)["indexes"].is_array()) {
      for (const std::string& sql : index_sql) RETURN_IF_ERROR(Exec(sql, {}, what).status());
    } else if (info.dimension > 0) {
      // An ANN index like the one a Chroma collection has.
      const std::string index = FitIdentifier(table_name + "_embedding_idx");
      RETURN_IF_ERROR(Exec("CREATE INDEX " + QuoteIdent(index) + " ON " + table_sql + " USING hnsw (embedding vector" +
                               OpsSuffix(info.space) + ")",
                           {}, what + ", hnsw index")
                          .status());
    }
    return Commit(what);
  };
  Status s = run();
  if (!s.ok()) Rollback();
  // The table was absent when this began: "already exists" here is another
  // relation (an index name taken in the schema), not the table, and the
  // transaction made nothing. Saying AlreadyExists would pass for "made by
  // an interrupted run" to a rollback.
  if (s.code() == StatusCode::kAlreadyExists) {
    return FailedPrecondition(s.message() + "; a relation of that name exists in schema '" +
                              uri_.schema + "', so collection '" + info.name +
                              "' was not created");
  }
  return s;
}

Status PostgresStore::RenameCollection(const std::string& from, const std::string& to) {
  return RenameCollectionWithMetadata(from, to, nullptr);
}

Status PostgresStore::RenameCollectionWithMetadata(const std::string& from, const std::string& to,
                                                   const Metadata* new_metadata) {
  RETURN_IF_ERROR(CheckIdentifier(Prefix(), to));
  const std::string what = "renaming collection '" + from + "' to '" + to + "'";
  std::string metadata_json;
  if (new_metadata != nullptr) {
    RETURN_IF_ERROR(
        AppendPgMetadataJson(*new_metadata, Prefix() + what, &metadata_json));
  }
  Result<Target> target = Resolve(from);
  if (!target.ok() && target.status().code() != StatusCode::kInvalidArgument) {
    return target.status();
  }
  Result<Target> clash = Resolve(to);
  if (clash.ok() || clash.status().code() == StatusCode::kInvalidArgument) {
    return AlreadyExists(Prefix() + "cannot rename collection '" + from + "' to '" + to + "': '" +
                         to + "' already exists");
  }
  if (clash.status().code() != StatusCode::kNotFound) return clash.status();
  if (layout() != PostgresLayout::kTables || !uri_.collection_column.empty()) {
    if (!target.ok()) return target.status();
    return RenameInLayout(*target, to, new_metadata ? &metadata_json : nullptr, what);
  }
  return RenameTable(from, to, metadata_json, what);
}

Result<std::vector<std::string>> PostgresStore::RenameTableStatements(
    const std::string& from, const std::string& to, const std::string& metadata_json,
    const std::string& what) {
  RETURN_IF_ERROR(CheckIdentifier(Prefix(), to));
  ASSIGN_OR_RETURN(auto tables, DescribeTables(&from));
  auto it = tables.find(from);
  if (it == tables.end()) {
    return NotFound(Prefix() + what + ": no table '" + Printable(from, true) + "' in schema '" +
                    uri_.schema + "'");
  }
  std::vector<std::string> out;
  out.push_back("ALTER TABLE " + Table(from) + " RENAME TO " + QuoteIdent(to));
  if (!metadata_json.empty()) {
    const std::string comment = CommentWithMetadata(it->second.comment, metadata_json);
    char* literal = PQescapeLiteral(conn_.get(), comment.c_str(), comment.size());
    if (literal == nullptr) return Internal(Prefix() + what + ": cannot escape the comment");
    out.push_back("COMMENT ON TABLE " + Table(to) + " IS " + literal);
    PQfreemem(literal);
  }
  // The table's indexes move with it, so that a new table of the old name
  // can have indexes of the old names.
  for (const IndexDef& index : it->second.indexes) {
    const std::string moved = MovedIndexName(index.name, from, to);  // fits 63 bytes
    out.push_back("ALTER INDEX " + Table(index.name) + " RENAME TO " + QuoteIdent(moved));
  }
  return out;
}

Status PostgresStore::RunInTransaction(const std::vector<std::string>& statements,
                                       const std::string& what) {
  RETURN_IF_ERROR(Begin(what));
  auto run = [&]() -> Status {
    for (const std::string& sql : statements) RETURN_IF_ERROR(Exec(sql, {}, what).status());
    return Commit(what);
  };
  Status s = run();
  if (!s.ok()) Rollback();
  return s;
}

Status PostgresStore::RenameTable(const std::string& from, const std::string& to,
                                  const std::string& metadata_json, const std::string& what) {
  ASSIGN_OR_RETURN(std::vector<std::string> statements,
                   RenameTableStatements(from, to, metadata_json, what));
  return RunInTransaction(statements, what);
}

Status PostgresStore::SwapInRestored(const std::string& staging, const std::string& name,
                                     const std::string& aside, const Metadata* aside_metadata) {
  const std::string what = "swapping the restored table '" + staging + "' in for '" + name + "'";
  if (!can_swap_in_restored()) return Unimplemented(Prefix() + what + ": not for this layout");
  ASSIGN_OR_RETURN(auto live, DescribeTables(&name));
  std::vector<std::string> statements;
  if (live.count(name)) {
    std::string metadata_json;
    if (aside_metadata != nullptr) {
      RETURN_IF_ERROR(AppendPgMetadataJson(*aside_metadata, Prefix() + what, &metadata_json));
    }
    ASSIGN_OR_RETURN(statements, RenameTableStatements(name, aside, metadata_json, what));
  }
  // The staging table's indexes were named after it (MovedIndexName): they
  // take the table's names back.
  ASSIGN_OR_RETURN(std::vector<std::string> in, RenameTableStatements(staging, name, "", what));
  statements.insert(statements.end(), in.begin(), in.end());
  return RunInTransaction(statements, what);
}

Status PostgresStore::DeleteCollection(const std::string& name) {
  const std::string what = "deleting collection '" + name + "'";
  Result<Target> target = Resolve(name);
  if (!target.ok() && target.status().code() != StatusCode::kInvalidArgument) {
    return target.status();
  }
  if (layout() != PostgresLayout::kTables || !uri_.collection_column.empty()) {
    if (!target.ok()) return target.status();
    return DeleteInLayout(*target, what);
  }
  return Exec("DROP TABLE " + Table(name), {}, what).status();
}

Status PostgresStore::InsertRange(const Target& t, const RecordBatch& batch, size_t begin,
                                  size_t end) {
  const bool doc = !t.document_col.empty(), meta = !t.metadata_col.empty();
  std::string columns;
  auto column = [&](const std::string& name) {
    columns += (columns.empty() ? "" : ", ") + QuoteIdent(name);
  };
  if (!t.uuid_col.empty()) column(t.uuid_col);
  column(t.id_write_col);
  if (t.collection_value) column(t.collection_col);
  if (doc) column(t.document_col);
  if (meta) column(t.metadata_col);
  column(t.embedding_col);
  std::string sql = "INSERT INTO " + t.table_sql + " (" + columns + ") VALUES ";
  Params params;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) sql += ", ";
    sql += "(";
    auto param = [&](std::optional<std::string> value, const std::string& cast) {
      params.push_back(std::move(value));
      if (sql.back() != '(') sql += ", ";
      sql += "$" + std::to_string(params.size()) + cast;
    };
    const std::string& id = batch.id(i);
    const bool uuid = IsCanonicalUuid(id);
    if (!t.uuid_col.empty()) {
      // The layout's uuid key: the id itself when it is a UUID, so that it
      // reads back the same, else a new one (the id then goes to the
      // layout's text id column).
      params.push_back(uuid ? std::optional<std::string>(id) : std::nullopt);
      sql += "COALESCE($" + std::to_string(params.size()) + "::uuid, gen_random_uuid())";
    }
    if (t.id_write_external) {
      param(uuid ? std::string() : id, "");
    } else {
      param(id, "");
    }
    if (t.collection_value) param(*t.collection_value, t.collection_cast);
    if (doc) param(batch.document(i), "");
    if (meta) {
      std::optional<std::string> m;
      if (batch.metadata(i)) {
        m.emplace();
        RETURN_IF_ERROR(AppendPgMetadataJson(
            *batch.metadata(i),
            Prefix() + "record '" + Printable(batch.id(i), true) + "'", &*m));
      }
      param(std::move(m), "");
    }
    std::optional<std::string> e;
    if (batch.has_embedding(i)) {
      e.emplace(IsPgvectorKind(t.kind) ? "[" : "{");
      const float* v = batch.embedding(i);
      for (size_t k = 0; k < batch.embedding_size(i); ++k) {
        if (k) *e += ',';
        if (std::isnan(v[k])) {
          *e += "NaN";
        } else if (std::isinf(v[k])) {
          *e += v[k] > 0 ? "Infinity" : "-Infinity";
        } else {
          AppendJsonFloat(v[k], &*e);
        }
      }
      *e += IsPgvectorKind(t.kind) ? "]" : "}";
    }
    param(std::move(e), "");
    sql += ")";
  }
  return Exec(sql, params,
              "adding " + RowRange(batch, begin, end) + " to collection '" + t.info.name + "'")
      .status();
}

Status PostgresStore::Add(const std::string& collection, const RecordBatch& batch) {
  if (batch.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(Target t, Resolve(collection));
  const std::string where = Prefix() + "collection '" + Printable(collection, true) + "'";
  size_t expected = static_cast<size_t>(t.info.dimension);
  std::string expected_from = "the collection's dimension";
  for (size_t i = 0; i < batch.size() && expected == 0; ++i) {
    if (batch.has_embedding(i)) {
      expected = batch.embedding_size(i);
      expected_from = "the first record's ('" + Printable(batch.id(i), true) + "')";
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::string record = "record '" + Printable(batch.id(i), true) + "'";
    if (batch.has_embedding(i) && batch.embedding_size(i) != expected) {
      return InvalidArgument(where + ": " + record + " has an embedding of " +
                             std::to_string(batch.embedding_size(i)) + " components but " +
                             std::to_string(expected) + " are expected (" + expected_from +
                             "); nothing was added");
    }
    if (batch.has_embedding(i) && IsPgvectorKind(t.kind)) {
      const float* v = batch.embedding(i);
      for (size_t k = 0; k < batch.embedding_size(i); ++k) {
        if (!std::isfinite(v[k])) {
          return InvalidArgument(where + ": " + record + " has a NaN or infinite component at " +
                                 std::to_string(k) +
                                 ", which pgvector's vector type cannot store; nothing was added");
        }
      }
    }
    bool nul = batch.id(i).find('\0') != std::string::npos ||
               (batch.document(i) && batch.document(i)->find('\0') != std::string::npos);
    if (batch.metadata(i)) {
      for (const auto& [key, value] : *batch.metadata(i)) {
        auto* text = std::get_if<std::string>(&value);
        nul |= key.find('\0') != std::string::npos ||
               (text && text->find('\0') != std::string::npos);
        if (auto* list = std::get_if<MetadataArray>(&value)) {
          for (const MetadataScalar& e : *list) {
            auto* element = std::get_if<std::string>(&e);
            nul |= element && element->find('\0') != std::string::npos;
          }
        }
      }
    }
    if (nul) {
      return InvalidArgument(where + ": " + record +
                             " holds a NUL byte (in its id, document or metadata), which "
                             "PostgreSQL text and jsonb cannot store; nothing was added");
    }
    if (!t.id_write_external && t.uuid_col.empty() && t.id_typname == "uuid" &&
        !IsCanonicalUuid(batch.id(i))) {
      return InvalidArgument(where + ": " + record + " is not a UUID in lower case, and the " +
                             "table keeps ids in uuid column '" + t.id_write_col +
                             "'; nothing was added");
    }
    if (!batch.document(i) && t.document_not_null) {
      return InvalidArgument(where + ": " + record + " has no document but the table's " +
                             "document column '" + t.document_col +
                             "' is NOT NULL; nothing was added");
    }
    if (batch.document(i) && t.document_col.empty()) {
      return InvalidArgument(where + ": " + record +
                             " has a document but the table has no document column "
                             "(name one with ?document=COLUMN); nothing was added");
    }
    if (batch.metadata(i) && !batch.metadata(i)->empty() && t.metadata_col.empty()) {
      return InvalidArgument(where + ": " + record +
                             " has metadata but the table has no json/jsonb metadata column "
                             "(name one with ?metadata=COLUMN); nothing was added");
    }
  }
  const std::string what = "adding " + std::to_string(batch.size()) + " records to collection '" +
                           collection + "'";
  RETURN_IF_ERROR(Begin(what));
  auto run = [&]() -> Status {
    size_t begin = 0;
    while (begin < batch.size()) {
      size_t end = begin, bytes = 0;
      while (end < batch.size() && end - begin < kInsertRows && bytes < kInsertBytes) {
        bytes += batch.embedding_size(end) * 16 + batch.id(end).size() +
                 (batch.document(end) ? batch.document(end)->size() : 0) + 64;
        ++end;
      }
      RETURN_IF_ERROR(InsertRange(t, batch, begin, end));
      begin = end;
    }
    return Commit(what);
  };
  Status s = run();
  if (!s.ok()) Rollback();
  return s;
}

namespace {

std::string JoinProblems(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// What a layout=tables snapshot does not keep, named for the user.
constexpr char kNotKept[] =
    "vecgate's snapshot keeps a table's id, document, metadata and embedding columns "
    "and its indexes; back this table up with pg_dump instead, or leave it out "
    "(--collections)";

}  // namespace

Status PostgresStore::CheckSnapshotFaithful(const std::string& collection) {
  if (layout() != PostgresLayout::kTables || !uri_.collection_column.empty()) {
    return Status::Ok();  // the layout's own tables, which CreateInLayout makes again
  }
  ASSIGN_OR_RETURN(Target t, Resolve(collection));
  ASSIGN_OR_RETURN(auto tables, DescribeTables(&collection));
  const TableDesc& table = tables[collection];
  const std::string where = Prefix() + "table '" + Printable(collection, true) + "'";
  std::vector<std::string> problems;
  for (const Column& c : table.columns) {
    if (c.name == t.id_col || c.name == t.document_col || c.name == t.metadata_col ||
        c.name == t.embedding_col) {
      continue;
    }
    problems.push_back("column '" + Printable(c.name, true) + "' (" + c.type +
                       (c.not_null ? " NOT NULL" : "") +
                       (c.default_sql.empty() ? "" : " DEFAULT " + Printable(c.default_sql, true)) +
                       ") would come back " + (c.not_null ? "refusing every row" : "NULL"));
  }
  if (t.kind == EmbeddingKind::kDouble) {
    problems.push_back("embedding column '" + Printable(t.embedding_col, true) +
                       "' is double precision[], which vecgate reads as float32: values "
                       "would come back rounded");
  }
  ASSIGN_OR_RETURN(
      PgResult r,
      Exec("SELECT c.relkind::text, "
           "(SELECT string_agg(a.attname || CASE WHEN a.attidentity <> '' THEN ' (identity)' "
           "ELSE ' (serial)' END, ', ') FROM pg_attribute a LEFT JOIN pg_attrdef d ON "
           "d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = c.oid AND "
           "a.attnum > 0 AND NOT a.attisdropped AND (a.attidentity <> '' OR "
           "pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')), "
           "(SELECT string_agg(conname || CASE contype WHEN 'c' THEN ' (CHECK)' WHEN 'f' THEN "
           "' (foreign key to ' || confrelid::regclass::text || ')' WHEN 'x' THEN ' (exclusion)' "
           "ELSE ' (constraint trigger)' END, ', ') FROM pg_constraint WHERE conrelid = c.oid "
           "AND contype IN ('c', 'f', 'x', 't')), "
           "(SELECT string_agg(conname || ' of ' || conrelid::regclass::text, ', ') FROM "
           "pg_constraint WHERE confrelid = c.oid AND contype = 'f' AND conrelid <> c.oid), "
           "(SELECT string_agg(tgname, ', ') FROM pg_trigger WHERE tgrelid = c.oid AND NOT "
           "tgisinternal) "
           "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
           "WHERE n.nspname = $1 AND c.relname = $2",
           {uri_.schema, collection}, "reading the constraints of table '" + collection + "'"));
  if (PQntuples(r.get()) == 1) {
    auto text = [&](int col) {
      return PQgetisnull(r.get(), 0, col) ? std::string()
                                          : Printable(PQgetvalue(r.get(), 0, col), true);
    };
    if (text(0) == "p") problems.push_back("it is partitioned; a restore would make a plain table");
    if (!text(1).empty()) {
      problems.push_back("columns " + text(1) +
                         " draw from a sequence whose position a restore would not keep");
    }
    if (!text(2).empty()) problems.push_back("constraints " + text(2) + " would not be restored");
    if (!text(3).empty()) {
      problems.push_back("foreign keys " + text(3) +
                         " reference it and would follow it when it is set aside");
    }
    if (!text(4).empty()) problems.push_back("triggers " + text(4) + " would not be restored");
  }
  if (!t.metadata_col.empty()) {
    // Nested values are read as their JSON text: a restore would write
    // strings where objects and arrays were.
    const std::string m = QuoteIdent(t.metadata_col) + "::jsonb";
    ASSIGN_OR_RETURN(
        PgResult nested,
        Exec("SELECT " + t.id_sql + " FROM " + t.table_sql + " WHERE jsonb_typeof(" + m +
                 ") = 'object' AND EXISTS (SELECT 1 FROM jsonb_each(CASE WHEN jsonb_typeof(" + m +
                 ") = 'object' THEN " + m + " ELSE '{}'::jsonb END) e WHERE jsonb_typeof(e.value) "
                 "IN ('object', 'array')) LIMIT 1",
             {}, "looking for nested metadata in table '" + collection + "'"));
    if (PQntuples(nested.get()) > 0) {
      problems.push_back("the metadata of record '" +
                         Printable(PQgetvalue(nested.get(), 0, 0), true) +
                         "' (and maybe others) holds a nested object or array, which vecgate "
                         "keeps as its JSON text: it would come back a string");
    }
  }
  if (problems.empty()) return Status::Ok();
  return FailedPrecondition(where + " cannot be snapshotted as it is: " +
                            JoinProblems(problems) + ". " + kNotKept);
}

Status PostgresStore::CheckRestorable(const CollectionInfo& info) {
  const std::string where = Prefix() + "collection '" + Printable(info.name, true) + "'";
  ASSIGN_OR_RETURN(Json configuration,
                   ParseJsonBounded(info.configuration_json.empty() ? "{}"
                                                                    : info.configuration_json,
                                    where + ", configuration_json"));
  auto pg_it = configuration.find("postgres");
  if (pg_it == configuration.end() || !pg_it->is_object()) return Status::Ok();
  const Json& pg = *pg_it;
  // A snapshot of this kind of store in another layout would be restored
  // into tables the application does not read: refused, naming both.
  const std::string snapshot_layout = StringField(pg, "layout");
  if (!snapshot_layout.empty() && snapshot_layout != PostgresLayoutName(layout())) {
    return FailedPrecondition(
        where + " was snapshotted from layout=" + snapshot_layout + ", but this store reads " +
        "layout=" + PostgresLayoutName(layout()) + ": roll back into the store the snapshot " +
        "was taken from (its URI with ?layout=" + snapshot_layout + "); nothing was changed");
  }
  auto columns = pg.find("columns");
  if (columns == pg.end() || !columns->is_array()) return Status::Ok();
  std::vector<std::string> problems;
  bool need_vector = false;
  Result<std::string> columns_sql = RecordedColumns(*columns, where, &need_vector);
  if (!columns_sql.ok()) problems.push_back(columns_sql.status().message());
  const std::string name = info.name.size() <= kMaxIdentifierBytes ? info.name : "t";
  Result<std::vector<std::string>> indexes = ReplayedIndexes(pg, name, Table(name), where);
  if (!indexes.ok()) problems.push_back(indexes.status().message());
  if (layout() == PostgresLayout::kTables && uri_.collection_column.empty()) {
    const std::set<std::string> mapped = {StringField(pg, "id"), StringField(pg, "document"),
                                          StringField(pg, "metadata"),
                                          StringField(pg, "embedding")};
    std::string extra;
    for (const Json& c : *columns) {
      if (!c.is_object()) continue;
      const std::string column = StringField(c, "name");
      if (column.empty() || mapped.count(column)) continue;
      extra += (extra.empty() ? "" : ", ") + Printable(column, true) + " (" +
               Printable(StringField(c, "type"), true) + ")";
    }
    if (!extra.empty()) {
      problems.push_back("the snapshot recorded columns " + extra +
                         " but not their values (an older vecgate wrote it); restoring would "
                         "lose them");
    }
    for (const Json& c : *columns) {
      if (c.is_object() && StringField(c, "name") == StringField(pg, "embedding") &&
          StringField(c, "type").rfind("double precision", 0) == 0) {
        problems.push_back("its embeddings were double precision[] and the snapshot holds them "
                           "as float32; restoring would round them");
      }
    }
  }
  if (problems.empty()) return Status::Ok();
  return FailedPrecondition(where + " cannot be restored as the snapshot recorded it: " +
                            JoinProblems(problems));
}

Result<QueryResult> PostgresStore::Query(const std::string& collection, const float* queries,
                                         size_t n, size_t dim, size_t k) {
  QueryResult result;
  if (n == 0) return result;
  if (dim == 0 || k == 0) {
    return InvalidArgument(Prefix() + "query of collection '" + collection +
                           "' needs dim > 0 and k > 0");
  }
  ASSIGN_OR_RETURN(Target t, Resolve(collection));
  const std::string col = QuoteIdent(t.embedding_col);
  std::string lhs, cast;
  if (t.kind == EmbeddingKind::kHalfvec) {
    lhs = col;
    cast = "::halfvec";
  } else if (t.kind == EmbeddingKind::kVector) {
    lhs = col;
    cast = "::vector";
  } else {
    lhs = col + "::real[]::vector";  // exact scan: arrays have no ANN index
    cast = "::vector";
  }
  if (t.typmod_dimension > 0) cast += "(" + std::to_string(t.typmod_dimension) + ")";
  if (t.ann_method == "hnsw") {
    // ef_search bounds how many rows the index returns (default 40).
    const size_t ef = std::min<size_t>(1000, std::max<size_t>(40, k));
    RETURN_IF_ERROR(
        Exec("SET hnsw.ef_search = " + std::to_string(ef), {}, "setting hnsw.ef_search").status());
  }
  // The queries go kQueryBatch to a statement: unnest() numbers them and a
  // LATERAL subquery asks the index for each one's k nearest, in the
  // index's order (row_number() over the ordered subquery). One round trip
  // and one plan for the batch instead of one a query: the live-index
  // part of a validation (800 queries of PGlite's HNSW, 9,832 x 768) took
  // about 4.5 s one query a statement and 2.3 s batched (pgvector_bench).
  const std::string op = DistanceOperator(t.info.space);
  Params params{std::string()};  // $1: a batch's vectors
  const std::string filter = CollectionFilter(t, &params);
  const std::string distance = "(" + lhs + " " + op + " q.v)";
  const std::string select =
      "SELECT q.n, a.vecgate_id, a.d FROM unnest($1" + cast +
      "[]) WITH ORDINALITY AS q(v, n) CROSS JOIN LATERAL (SELECT s.*, row_number() OVER () AS "
      "rank FROM (SELECT " + t.id_sql + " AS vecgate_id, " + distance +
      "::float8 AS d FROM " + t.table_sql + (filter.empty() ? "" : " WHERE " + filter) +
      " ORDER BY " + distance + " LIMIT " + std::to_string(k) + ") s) a ORDER BY q.n, a.rank";
  result.ids.resize(n);
  result.distances.resize(n);
  for (size_t begin = 0; begin < n; begin += kQueryBatch) {
    const size_t end = std::min(n, begin + kQueryBatch);
    // An array literal of vector literals: {"[1,2]","[3,4]"}.
    std::string vectors = "{";
    for (size_t q = begin; q < end; ++q) {
      if (q > begin) vectors += ',';
      vectors += "\"[";
      for (size_t c = 0; c < dim; ++c) {
        const float v = queries[q * dim + c];
        if (!std::isfinite(v)) {
          return InvalidArgument(Prefix() + "query " + std::to_string(q) +
                                 " has a NaN or infinite component");
        }
        if (c) vectors += ',';
        AppendJsonFloat(v, &vectors);
      }
      vectors += "]\"";
    }
    vectors += "}";
    params[0] = std::move(vectors);
    ASSIGN_OR_RETURN(PgResult r, Exec(select, params, "querying collection '" + collection + "'"));
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      const long long number = std::atoll(PQgetvalue(r.get(), i, 0));
      if (number < 1 || static_cast<size_t>(number) > end - begin) {
        return Corruption(Prefix() + "the answer to a query of collection '" +
                          Printable(collection, true) + "' numbers a query " +
                          std::to_string(number) + " that was not asked");
      }
      const size_t q = begin + static_cast<size_t>(number) - 1;
      result.ids[q].emplace_back(PQgetvalue(r.get(), i, 1), PQgetlength(r.get(), i, 1));
      result.distances[q].push_back(
          PQgetisnull(r.get(), i, 2)
              ? std::numeric_limits<float>::quiet_NaN()
              : ConvertDistance(t.info.space, std::strtod(PQgetvalue(r.get(), i, 2), nullptr)));
    }
  }
  return result;
}

}  // namespace postgres_internal

using postgres_internal::BadUri;
using postgres_internal::kExpectedForm;
using postgres_internal::kMaxIdentifierBytes;
using postgres_internal::PercentDecode;
using postgres_internal::PercentEncode;
using postgres_internal::PostgresStore;

// ------------------------------------------------------------------- URIs

std::string PostgresUri::ToString() const {
  std::string out = "postgresql://";
  if (!user.empty()) out += PercentEncode(user) + "@";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port > 0) out += ":" + std::to_string(port);
  out += "/" + PercentEncode(database);
  std::vector<std::string> params;
  params.push_back("schema=" + PercentEncode(schema));
  params.push_back(std::string("layout=") + PostgresLayoutName(layout));
  if (!table.empty()) params.push_back("table=" + PercentEncode(table));
  if (!collection_table.empty()) {
    params.push_back("collection_table=" + PercentEncode(collection_table));
  }
  if (!collection_column.empty()) params.push_back("collection=" + PercentEncode(collection_column));
  if (!id_column.empty()) params.push_back("id=" + PercentEncode(id_column));
  if (!document_column.empty()) params.push_back("document=" + PercentEncode(document_column));
  if (!metadata_column.empty()) params.push_back("metadata=" + PercentEncode(metadata_column));
  if (!embedding_column.empty()) params.push_back("embedding=" + PercentEncode(embedding_column));
  for (const auto& [k, v] : libpq_params) params.push_back(PercentEncode(k) + "=" + PercentEncode(v));
  for (size_t i = 0; i < params.size(); ++i) out += (i ? "&" : "?") + params[i];
  return out;
}

Result<PostgresUri> ParsePostgresUri(const std::string& uri) {
  std::string rest;
  if (uri.rfind("postgresql://", 0) == 0) {
    rest = uri.substr(13);
  } else if (uri.rfind("postgres://", 0) == 0) {
    rest = uri.substr(11);
  } else {
    return InvalidArgument(std::string("not a PostgreSQL URI: ") + kExpectedForm);
  }
  PostgresUri parsed;
  const size_t slash = rest.find('/');
  const size_t at = rest.find('@');
  std::string authority = rest.substr(0, slash);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    const std::string userinfo = rest.substr(0, at);
    if (userinfo.find(':') != std::string::npos) {
      // Never echo the URI: what follows ':' is a password.
      return InvalidArgument(
          "a PostgreSQL URI must not contain a password (user:password@); remove it and "
          "set PGPASSWORD or use ~/.pgpass (libpq reads both); " +
          std::string(kExpectedForm));
    }
    auto user = PercentDecode(userinfo);
    if (!user || user->empty()) return BadUri(uri, "invalid user name before '@'");
    parsed.user = *user;
    authority = rest.substr(at + 1, slash == std::string::npos ? std::string::npos : slash - at - 1);
  }
  if (slash == std::string::npos) return BadUri(uri, "missing /DATABASE");
  std::string path = rest.substr(slash + 1);
  std::string query;
  const size_t qmark = path.find('?');
  if (qmark != std::string::npos) {
    query = path.substr(qmark + 1);
    path = path.substr(0, qmark);
  }
  if (path.find('#') != std::string::npos || query.find('#') != std::string::npos) {
    return BadUri(uri, "fragments (#) are not supported");
  }
  // Host and port.
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return BadUri(uri, "unclosed '[' in host");
    parsed.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return BadUri(uri, "unexpected text after ']'");
      port_text = authority.substr(close + 2);
      if (port_text.empty()) return BadUri(uri, "empty port after ':'");
    }
  } else {
    const size_t colon = authority.find(':');
    parsed.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return BadUri(uri, "empty port after ':'");
    }
  }
  if (parsed.host.empty()) return BadUri(uri, "missing host");
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(),
                                             [](char c) { return c >= '0' && c <= '9'; })) {
      return BadUri(uri, "port must be a number from 1 to 65535");
    }
    parsed.port = std::stoi(port_text);
    if (parsed.port < 1 || parsed.port > 65535) {
      return BadUri(uri, "port must be a number from 1 to 65535");
    }
  }
  auto database = PercentDecode(path);
  if (!database || database->empty() || database->find('/') != std::string::npos) {
    return BadUri(uri, "missing or invalid /DATABASE");
  }
  parsed.database = *database;
  // Parameters.
  size_t start = 0;
  while (!query.empty() && start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    const std::string item = query.substr(start, amp - start);
    start = amp + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    auto key = PercentDecode(item.substr(0, eq));
    if (!key || key->empty() || eq == std::string::npos) {
      return BadUri(uri, "parameters are NAME=VALUE separated by '&'");
    }
    if (*key == "password") {
      return InvalidArgument(
          "a PostgreSQL URI must not contain a password (password=...); remove it and set "
          "PGPASSWORD or use ~/.pgpass (libpq reads both); " + std::string(kExpectedForm));
    }
    auto value = PercentDecode(item.substr(eq + 1));
    if (!value) return BadUri(uri, "malformed %-escape in parameter '" + *key + "'");
    if (*key == "schema") {
      if (value->empty() || value->size() > kMaxIdentifierBytes) {
        return BadUri(uri, "schema must be a name of 1 to 63 bytes");
      }
      parsed.schema = *value;
    } else if (*key == "layout") {
      std::optional<PostgresLayout> layout = ParsePostgresLayout(*value);
      if (!layout) {
        return BadUri(uri, "layout must be tables, langchain, langchain-js, llamaindex or "
                           "llamaindex-ts, not '" + *value + "'");
      }
      parsed.layout = *layout;
    } else if (*key == "table" || *key == "collection_table" || *key == "collection") {
      if (value->empty() || value->size() > kMaxIdentifierBytes) {
        return BadUri(uri, "parameter '" + *key + "' needs a name of 1 to 63 bytes");
      }
      (*key == "table" ? parsed.table
                       : *key == "collection" ? parsed.collection_column
                                              : parsed.collection_table) = *value;
    } else if (*key == "id" || *key == "document" || *key == "metadata" || *key == "embedding") {
      if (value->empty()) return BadUri(uri, "parameter '" + *key + "' needs a column name");
      (*key == "id" ? parsed.id_column
                    : *key == "document" ? parsed.document_column
                    : *key == "metadata" ? parsed.metadata_column
                                         : parsed.embedding_column) = *value;
    } else {
      parsed.libpq_params.emplace_back(*key, *value);
    }
  }
  const PostgresLayout layout = parsed.layout;
  const bool picks_columns =
      layout == PostgresLayout::kTables || layout == PostgresLayout::kLangchainJs;
  if (!picks_columns && !(parsed.id_column.empty() && parsed.document_column.empty() &&
                          parsed.metadata_column.empty() && parsed.embedding_column.empty())) {
    return BadUri(uri, "id=, document=, metadata= and embedding= apply to layout=tables and "
                       "layout=langchain-js only");
  }
  if (!parsed.collection_column.empty() && layout != PostgresLayout::kTables) {
    return BadUri(uri, "collection= applies to layout=tables only");
  }
  if (!parsed.collection_table.empty() && layout != PostgresLayout::kLangchainJs) {
    return BadUri(uri, "collection_table= applies to layout=langchain-js only");
  }
  if (!parsed.table.empty() &&
      !(layout == PostgresLayout::kLangchainJs || layout == PostgresLayout::kLlamaIndexTs ||
        (layout == PostgresLayout::kTables && !parsed.collection_column.empty()))) {
    return BadUri(uri, "table= applies to layout=langchain-js, layout=llamaindex-ts and "
                       "collection=COLUMN only");
  }
  return parsed;
}

const char* PostgresLayoutName(PostgresLayout layout) {
  switch (layout) {
    case PostgresLayout::kLangchain:
      return "langchain";
    case PostgresLayout::kLangchainJs:
      return "langchain-js";
    case PostgresLayout::kLlamaIndex:
      return "llamaindex";
    case PostgresLayout::kLlamaIndexTs:
      return "llamaindex-ts";
    case PostgresLayout::kTables:
      break;
  }
  return "tables";
}

std::optional<PostgresLayout> ParsePostgresLayout(const std::string& name) {
  for (PostgresLayout l : {PostgresLayout::kTables, PostgresLayout::kLangchain,
                           PostgresLayout::kLangchainJs, PostgresLayout::kLlamaIndex,
                           PostgresLayout::kLlamaIndexTs}) {
    if (name == PostgresLayoutName(l)) return l;
  }
  return std::nullopt;
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& uri,
                                                 const OpenOptions& options) {
  ASSIGN_OR_RETURN(PostgresUri parsed, ParsePostgresUri(uri));
  auto store = std::make_unique<PostgresStore>(std::move(parsed), options);
  RETURN_IF_ERROR(store->Connect());
  return std::unique_ptr<Store>(std::move(store));
}

Status ExecutePostgres(const std::string& uri, const std::string& sql) {
  ASSIGN_OR_RETURN(PostgresUri parsed, ParsePostgresUri(uri));
  PostgresStore store(std::move(parsed), OpenOptions());
  RETURN_IF_ERROR(store.Connect());
  return store.ExecScript(sql, "running SQL");
}

}  // namespace vecgate
