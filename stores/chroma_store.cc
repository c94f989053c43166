// The chroma:// adapter; see chroma_store.h.
#include "stores/chroma_store.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <future>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/text.h"
#include "stores/chroma_request_encoder.h"

namespace vecgate {

namespace {

using Json = nlohmann::ordered_json;

constexpr char kExpectedForm[] =
    "expected chroma://HOST:PORT[/TENANT/DATABASE] (chromas:// for TLS; "
    "http:// and https:// work the same), e.g. chroma://localhost:8000 or "
    "http://localhost:8000/default_tenant/default_database";
constexpr char kHeartbeatPath[] = "/api/v2/heartbeat";
constexpr char kPreflightPath[] = "/api/v2/pre-flight-checks";
// Collections listed per request by ListCollections.
constexpr int kListPageSize = 100;
// Queries per `query` request.
constexpr size_t kQueriesPerRequest = 100;

Status BadUri(const std::string& uri, const std::string& what) {
  return InvalidArgument("invalid Chroma URI '" +
                         SanitizeServerText(uri, {}, 200) + "': " + what +
                         "; " + kExpectedForm);
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
         c == '-';
}

bool IsPlainPathName(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsNameChar);
}

// A tenant or database name: [A-Za-z0-9._-], or since Chroma 1.5 two such
// names joined by one '+' (a topology prefix: "topo+db").
bool IsPathName(const std::string& s) {
  const size_t plus = s.find('+');
  if (plus == std::string::npos) return IsPlainPathName(s);
  return s.find('+', plus + 1) == std::string::npos && IsPlainPathName(s.substr(0, plus)) &&
         IsPlainPathName(s.substr(plus + 1));
}

bool IsSuccess(long status) { return status >= 200 && status < 300; }

// A short, safe excerpt of server text (credentials redacted, controls
// escaped, one line).
std::string Excerpt(const std::string& text,
                    const std::vector<std::string>& secrets,
                    size_t max_chars = 120) {
  return SanitizeServerText(text, secrets, max_chars);
}

// Server text as it may appear in a message (names, values).
std::string Shown(const std::string& text) {
  return SanitizeServerText(text, {}, 200);
}

Result<Json> ParseJson(const std::string& text, const std::string& where,
                       const std::vector<std::string>& secrets) {
  if (!JsonDepthWithin(text, kMaxJsonDepth)) {
    return Corruption(where + " answered with JSON nested deeper than " +
                      std::to_string(kMaxJsonDepth) + " levels: '" +
                      Excerpt(text, secrets) + "'");
  }
  if (LooksLikeHtml(text)) {
    return Corruption(where + " answered with an HTML page, not JSON: '" +
                      Excerpt(text, secrets) +
                      "'; is this a Chroma server?");
  }
  try {
    return Json::parse(text);
  } catch (const std::exception& e) {
    return Corruption(where + " answered with something that is not JSON (" +
                      Shown(e.what()) + "): '" + Excerpt(text, secrets) + "'");
  }
}

// The "include" list of a get request.
std::string IncludeJson(const Include& include) {
  std::string out = "[";
  auto add = [&](const char* name) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += name;
    out += '"';
  };
  if (include.embeddings) add("embeddings");
  if (include.documents) add("documents");
  if (include.metadatas) add("metadatas");
  return out + "]";
}

std::string RowRangeName(const RecordBatch& batch, size_t begin, size_t end) {
  return "records " + std::to_string(begin) + ".." + std::to_string(end - 1) +
         " ('" + Shown(batch.id(begin)) + "'..'" + Shown(batch.id(end - 1)) +
         "')";
}

}  // namespace

// ------------------------------------------------------------------- URIs

std::string ChromaUri::HostPort() const {
  return host + ":" + std::to_string(port);
}

std::string ChromaUri::ToString() const {
  return std::string(tls ? "chromas://" : "chroma://") + host + ":" +
         std::to_string(port) + "/" + tenant + "/" + database;
}

std::string ChromaUri::BaseUrl() const {
  return std::string(tls ? "https://" : "http://") + host + ":" +
         std::to_string(port);
}

Result<ChromaUri> ParseChromaUri(const std::string& uri) {
  ChromaUri parsed;
  std::string rest;
  bool web_scheme = false;  // http:// or https://: the port may be left out
  for (const char* scheme : {"chroma://", "chromas://", "http://", "https://"}) {
    const std::string prefix = scheme;
    if (uri.size() >= prefix.size() &&
        std::equal(prefix.begin(), prefix.end(), uri.begin(),
                   [](char a, char b) {
                     return a == std::tolower(static_cast<unsigned char>(b));
                   })) {
      parsed.scheme = prefix.substr(0, prefix.size() - 3);
      parsed.tls = parsed.scheme == "chromas" || parsed.scheme == "https";
      web_scheme = parsed.scheme == "http" || parsed.scheme == "https";
      rest = uri.substr(prefix.size());
      break;
    }
  }
  if (parsed.scheme.empty()) {
    return InvalidArgument("not a Chroma URI: " + std::string(kExpectedForm));
  }
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    // Never echo the URI: what precedes '@' may be a secret.
    return InvalidArgument(
        "a Chroma URI must not contain credentials (user:password@ or "
        "token@); remove them and set CHROMA_TOKEN (sent as x-chroma-token) "
        "or CHROMA_AUTH_TOKEN (sent as Authorization: Bearer) instead; " +
        std::string(kExpectedForm));
  }
  if (rest.find_first_of("?#") != std::string::npos) {
    return BadUri(uri, "query strings and fragments are not supported");
  }
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return BadUri(uri, "unclosed '[' in host");
    parsed.host = authority.substr(0, close + 1);
    if (close + 1 >= authority.size() || authority[close + 1] != ':') {
      return BadUri(uri, "missing port");
    }
    port_text = authority.substr(close + 2);
  } else {
    const size_t colon = authority.find(':');
    if (colon == std::string::npos && web_scheme && IsPathName(authority)) {
      // http://HOST means port 80, https://HOST port 443, as in any URL.
      authority += parsed.tls ? ":443" : ":80";
    }
    const size_t port_colon = authority.find(':');
    if (port_colon == std::string::npos) return BadUri(uri, "missing port");
    parsed.host = authority.substr(0, port_colon);
    port_text = authority.substr(port_colon + 1);
    if (!IsPathName(parsed.host)) return BadUri(uri, "missing or invalid host");
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return BadUri(uri, "port must be a number from 1 to 65535");
  }
  parsed.port = std::stoi(port_text);
  if (parsed.port < 1 || parsed.port > 65535) {
    return BadUri(uri, "port must be a number from 1 to 65535");
  }
  if (path.size() > 1) {
    std::string inner = path.substr(1);
    if (!inner.empty() && inner.back() == '/') inner.pop_back();
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      const size_t next = inner.find('/', start);
      parts.push_back(inner.substr(start, next - start));
      if (next == std::string::npos) break;
      start = next + 1;
    }
    if (!parts.empty() && parts[0] == "api") {
      return BadUri(uri,
                    "the path is /TENANT/DATABASE, not an API path; leave "
                    "out '/api/...'");
    }
    if (parts.size() != 2) {
      return BadUri(uri, "the path must be /TENANT/DATABASE or nothing");
    }
    for (const std::string& part : parts) {
      if (!IsPathName(part)) {
        return BadUri(uri, "tenant and database names use [A-Za-z0-9._-] (and one '+' between two such names, "
                    "as Chroma 1.5 accepts)");
      }
    }
    parsed.tenant = parts[0];
    parsed.database = parts[1];
  }
  return parsed;
}

bool IsValidChromaCollectionName(const std::string& name) {
  // Chroma 1.5 accepts one '+' between a topology and the name, each part
  // a name by the rule below ("topo+docs"); 1.0 refuses it itself.
  const size_t plus = name.find('+');
  if (plus != std::string::npos) {
    return name.find('+', plus + 1) == std::string::npos &&
           IsValidChromaCollectionName(name.substr(0, plus)) &&
           IsValidChromaCollectionName(name.substr(plus + 1));
  }
  if (name.size() < 3 || name.size() > 512) return false;
  if (!std::all_of(name.begin(), name.end(), IsNameChar)) return false;
  auto alnum = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
  };
  return alnum(name.front()) && alnum(name.back());
}

// ------------------------------------------------------------ Open, calls

ChromaStore::ChromaStore(ChromaUri uri, const OpenOptions& options,
                         std::unique_ptr<HttpClient> http)
    : uri_(std::move(uri)), options_(options), http_(std::move(http)) {}

Result<std::unique_ptr<ChromaStore>> ChromaStore::Open(
    const std::string& uri, const OpenOptions& options) {
  ASSIGN_OR_RETURN(ChromaUri parsed, ParseChromaUri(uri));
  HttpClientOptions http_options;
  http_options.base_url = parsed.BaseUrl();
  http_options.timeout_seconds = options.timeout_seconds;
  http_options.max_retries = options.max_retries;
  http_options.max_response_bytes = options.max_response_bytes;
  ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http,
                   HttpClient::Create(http_options));
  std::unique_ptr<ChromaStore> store(
      new ChromaStore(std::move(parsed), options, std::move(http)));
  RETURN_IF_ERROR(store->Handshake());
  return store;
}

Result<std::unique_ptr<Store>> OpenChromaStore(const std::string& uri,
                                               const OpenOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<ChromaStore> store,
                   ChromaStore::Open(uri, options));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::string> ChromaStore::CreateDatabaseUri(
    const std::string& base_uri, const std::string& database) {
  ASSIGN_OR_RETURN(ChromaUri parsed, ParseChromaUri(base_uri));
  if (!IsPathName(database)) {
    return InvalidArgument("invalid Chroma database name '" + database +
                           "': use [A-Za-z0-9._-] (and one '+' between two such names)");
  }
  parsed.database = database;
  return parsed.ToString();
}

std::string ChromaStore::CollectionsPath() const {
  return "/api/v2/tenants/" + uri_.tenant + "/databases/" + uri_.database +
         "/collections";
}

Status ChromaStore::Call(HttpClient& http, HttpMethod method,
                         const std::string& path, std::string_view request,
                         std::string* body, const RequestPolicy& policy) {
  Result<HttpResponse> response =
      http.Send(method, path, request, body, policy);
  if (!response.ok()) {
    return Status(response.status().code(),
                  Prefix() + response.status().message());
  }
  const long status = response->status;
  if (IsSuccess(status)) return Status::Ok();
  const std::string message =
      Prefix() + DescribeHttpError(method, path, status, *body, http.secrets(),
                                   uri_.BaseUrl());
  if (status == 401 || status == 403) {
    return FailedPrecondition(
        message + " (check the token in CHROMA_TOKEN or CHROMA_AUTH_TOKEN)");
  }
  if (status == 404) return NotFound(message);
  if (status == 409) return AlreadyExists(message);
  if (status >= 400 && status < 500 && status != 408 && status != 413 &&
      status != 429) {
    return InvalidArgument(message);
  }
  return Unavailable(message);
}

Status ChromaStore::Handshake() {
  const std::string where = uri_.HostPort();
  const std::vector<std::string>& secrets = http_->secrets();
  Status s = Call(*http_, HttpMethod::kGet, kHeartbeatPath, {}, &response_);
  if (!s.ok()) {
    if (s.code() == StatusCode::kFailedPrecondition) return s;
    const std::string& text = s.message();
    if (uri_.tls && (text.find("wrong version number") != std::string::npos ||
                     text.find("WRONG_VERSION_NUMBER") != std::string::npos)) {
      return Unavailable("the server at " + where +
                         " speaks plain HTTP; use chroma:// (or http://) "
                         "instead of " + uri_.scheme + "://");
    }
    if (!uri_.tls && (text.find("HTTP/0.9") != std::string::npos ||
                      text.find("Weird server reply") != std::string::npos ||
                      text.find("Nonsupported HTTP version") != std::string::npos ||
                      (text.find("HTTP 400") != std::string::npos &&
                       text.find("HTTPS port") != std::string::npos))) {
      return Unavailable("the server at " + where +
                         " does not answer plain HTTP (it may speak TLS); "
                         "use chromas:// (or https://) instead of " +
                         uri_.scheme + "://");
    }
    if (s.code() == StatusCode::kCorruption) return s;
    if (s.code() == StatusCode::kNotFound ||
        s.code() == StatusCode::kInvalidArgument) {
      if (s.message().find("Chroma server") != std::string::npos) {
        return Corruption(s.message());
      }
      return Corruption(s.message() + "; is " + where + " a Chroma server?");
    }
    return Unavailable(s.message() + "; is the server running at " + where +
                       "?");
  }
  {
    ASSIGN_OR_RETURN(Json heartbeat,
                     ParseJson(response_, Prefix() + "GET " + kHeartbeatPath,
                               secrets));
    if (!heartbeat.is_object() || !heartbeat.contains("nanosecond heartbeat")) {
      return Corruption(Prefix() + "GET " + kHeartbeatPath +
                        " answered without \"nanosecond heartbeat\": '" +
                        Excerpt(response_, secrets) +
                        "'; is this a Chroma server?");
    }
  }
  RETURN_IF_ERROR(
      Call(*http_, HttpMethod::kGet, kPreflightPath, {}, &response_));
  ASSIGN_OR_RETURN(Json preflight,
                   ParseJson(response_, Prefix() + "GET " + kPreflightPath,
                             secrets));
  if (!preflight.is_object() || !preflight.contains("max_batch_size") ||
      !preflight["max_batch_size"].is_number_integer() ||
      preflight["max_batch_size"].get<int64_t>() <= 0) {
    return Corruption(Prefix() + "GET " + kPreflightPath +
                      " answered without a positive \"max_batch_size\": '" +
                      Excerpt(response_, secrets) + "'");
  }
  max_batch_size_ = preflight["max_batch_size"].get<int64_t>();
  auto base64 = preflight.find("supports_base64_encoding");
  supports_base64_ =
      base64 != preflight.end() && base64->is_boolean() && base64->get<bool>();
  return Status::Ok();
}

Status ChromaStore::EnsureDatabase() {
  const std::string tenant_path = "/api/v2/tenants/" + uri_.tenant;
  Status s = Call(*http_, HttpMethod::kGet, tenant_path, {}, &response_);
  if (s.code() == StatusCode::kNotFound) {
    std::string body = "{\"name\":";
    AppendJsonString(uri_.tenant, &body);
    body += "}";
    s = Call(*http_, HttpMethod::kPost, "/api/v2/tenants", body, &response_);
    if (s.code() == StatusCode::kAlreadyExists) s = Status::Ok();
  }
  RETURN_IF_ERROR(s);
  const std::string databases_path = tenant_path + "/databases";
  s = Call(*http_, HttpMethod::kGet, databases_path + "/" + uri_.database, {},
           &response_);
  if (s.code() == StatusCode::kNotFound) {
    std::string body = "{\"name\":";
    AppendJsonString(uri_.database, &body);
    body += "}";
    s = Call(*http_, HttpMethod::kPost, databases_path, body, &response_);
    if (s.code() == StatusCode::kAlreadyExists) s = Status::Ok();
  }
  return s;
}

// ------------------------------------------------------------ Collections

namespace {

// Reads one collection object of Chroma's answer.
Status ParseCollection(const Json& json, const std::string& where,
                       std::string* id, CollectionInfo* info) {
  if (!json.is_object() || !json.contains("id") || !json["id"].is_string() ||
      !json.contains("name") || !json["name"].is_string()) {
    return Corruption(where +
                      ": a collection without string \"id\" and "
                      "\"name\"");
  }
  *id = json["id"].get<std::string>();
  info->name = json["name"].get<std::string>();
  // Chroma itself only accepts plain names; a name with terminal controls
  // or broken UTF-8 comes from something else and must go no further.
  if (info->name.empty() || Printable(info->name, true) != info->name ||
      info->name.size() > 512) {
    return Corruption(where + ": a collection named '" + Shown(info->name) +
                      "', which is not a name Chroma allows; is this a "
                      "Chroma server?");
  }
  if (id->empty() || Printable(*id, true) != *id || id->size() > 128) {
    return Corruption(where + ", collection '" + info->name +
                      "': the collection id '" + Shown(*id) +
                      "' is not a Chroma UUID");
  }
  const std::string context = where + ", collection '" + info->name + "'";
  info->space = DistanceSpace::kL2;
  info->configuration_json = "{}";
  auto configuration = json.find("configuration_json");
  if (configuration != json.end() && configuration->is_object()) {
    // Since 1.2.2 a collection also has a top-level "schema" (its indexes);
    // kept in the configuration under "schema" so that a snapshot holds it
    // and CreateCollection sends it back.
    auto schema = json.find("schema");
    if (schema != json.end() && schema->is_object() && !configuration->contains("schema")) {
      Json with_schema = *configuration;
      with_schema["schema"] = *schema;
      info->configuration_json = DumpJson(with_schema);
    } else {
      info->configuration_json = DumpJson(*configuration);
    }
    for (const char* index : {"hnsw", "spann"}) {
      auto section = configuration->find(index);
      if (section == configuration->end() || !section->is_object()) continue;
      auto space = section->find("space");
      if (space == section->end() || !space->is_string()) continue;
      auto parsed = ParseDistanceSpace(space->get<std::string>());
      if (!parsed) {
        return Corruption(context + ": unknown distance space '" +
                          Shown(space->get<std::string>()) + "'");
      }
      info->space = *parsed;
      break;
    }
  }
  info->metadata.clear();
  auto metadata = json.find("metadata");
  if (metadata != json.end() && metadata->is_object()) {
    // The record codec's rules, as for record metadata; a server's integer
    // beyond int64 is kept as the nearest double.
    ASSIGN_OR_RETURN(info->metadata,
                     JsonToMetadata(nlohmann::json(*metadata),
                                    context + ", metadata",
                                    LargeIntegers::kAsDouble));
  }
  info->dimension = 0;
  auto dimension = json.find("dimension");
  if (dimension != json.end() && !dimension->is_null()) {
    if (!dimension->is_number_integer() || dimension->get<int64_t>() < 0 ||
        dimension->get<int64_t>() > kMaxDimension) {
      return Corruption(context + ": dimension " + Shown(DumpJson(*dimension)) +
                        " is not an integer from 0 to " +
                        std::to_string(kMaxDimension));
    }
    info->dimension = dimension->get<int64_t>();
  }
  return Status::Ok();
}

}  // namespace

Result<ChromaStore::CollectionEntry> ChromaStore::FetchCollection(
    const std::string& name) {
  if (!IsValidChromaCollectionName(name)) {
    return NotFound(Prefix() + "collection '" + name +
                    "' does not exist (not a valid Chroma collection name: "
                    "3-512 characters of [a-zA-Z0-9._-], starting and ending "
                    "with a letter or digit, or two such names joined by one '+')");
  }
  const std::string path = CollectionsPath() + "/" + name;
  Status s = Call(*http_, HttpMethod::kGet, path, {}, &response_);
  if (s.code() == StatusCode::kNotFound) {
    ids_by_name_.erase(name);
    return NotFound(Prefix() + "collection '" + name + "' does not exist");
  }
  RETURN_IF_ERROR(s);
  const std::string where = Prefix() + "GET " + path;
  ASSIGN_OR_RETURN(Json json, ParseJson(response_, where, http_->secrets()));
  CollectionEntry entry;
  RETURN_IF_ERROR(ParseCollection(json, where, &entry.id, &entry.info));
  ids_by_name_[entry.info.name] = entry.id;
  return entry;
}

Result<std::string> ChromaStore::CollectionId(const std::string& name) {
  auto cached = ids_by_name_.find(name);
  if (cached != ids_by_name_.end()) return cached->second;
  ASSIGN_OR_RETURN(CollectionEntry entry, FetchCollection(name));
  return entry.id;
}

Result<std::vector<CollectionInfo>> ChromaStore::ListCollections() {
  std::vector<CollectionInfo> collections;
  // How many there are: a short page is the end only when the count agrees
  // (a server may cap a page below the limit asked for). Servers without
  // collections_count (404) end at the first short page as before.
  int64_t expected = -1;
  {
    const std::string count_path =
        "/api/v2/tenants/" + uri_.tenant + "/databases/" + uri_.database + "/collections_count";
    Status s = Call(*http_, HttpMethod::kGet, count_path, {}, &response_);
    if (s.ok()) {
      ASSIGN_OR_RETURN(Json count, ParseJson(response_, Prefix() + "GET " + count_path,
                                             http_->secrets()));
      if (count.is_number_integer() && count.get<int64_t>() >= 0) expected = count.get<int64_t>();
    } else if (s.code() != StatusCode::kNotFound) {
      return s;
    }
  }
  for (int64_t offset = 0;;) {
    const std::string path = CollectionsPath() +
                             "?limit=" + std::to_string(kListPageSize) +
                             "&offset=" + std::to_string(offset);
    RETURN_IF_ERROR(Call(*http_, HttpMethod::kGet, path, {}, &response_));
    const std::string where = Prefix() + "GET " + path;
    ASSIGN_OR_RETURN(Json json, ParseJson(response_, where, http_->secrets()));
    if (!json.is_array()) {
      return Corruption(where +
                        " answered with something that is not a "
                        "list of collections: '" +
                        Excerpt(response_, http_->secrets()) + "'");
    }
    for (const Json& item : json) {
      std::string id;
      CollectionInfo info;
      RETURN_IF_ERROR(ParseCollection(item, where, &id, &info));
      ids_by_name_[info.name] = id;
      collections.push_back(std::move(info));
    }
    offset += static_cast<int64_t>(json.size());
    const int64_t listed = static_cast<int64_t>(collections.size());
    if (json.empty() || (expected < 0 && json.size() < static_cast<size_t>(kListPageSize)) ||
        (expected >= 0 && listed >= expected)) {
      break;
    }
  }
  if (expected >= 0 && static_cast<int64_t>(collections.size()) < expected) {
    return Unavailable(Prefix() + "listed " + std::to_string(collections.size()) +
                       " collections but the server counts " + std::to_string(expected) +
                       " (were collections deleted while listing?); try again");
  }
  if (collections.empty()) {
    // Chroma lists no collections for a database that does not exist; a
    // mistyped URI must not look like an empty store.
    const std::string db_path = "/api/v2/tenants/" + uri_.tenant + "/databases/" + uri_.database;
    Status s = Call(*http_, HttpMethod::kGet, db_path, {}, &response_);
    if (s.code() == StatusCode::kNotFound) {
      return NotFound("database '" + uri_.database + "' of tenant '" + uri_.tenant +
                      "' does not exist at " + uri_.ToString() +
                      " (check the URI; `vecgate fixtures load --create-database` creates one)");
    }
    RETURN_IF_ERROR(s);
  }
  return collections;
}

Result<CollectionInfo> ChromaStore::GetCollection(const std::string& name) {
  ASSIGN_OR_RETURN(CollectionEntry entry, FetchCollection(name));
  return std::move(entry.info);
}

Result<int64_t> ChromaStore::Count(const std::string& collection) {
  ASSIGN_OR_RETURN(std::string id, CollectionId(collection));
  std::string path = CollectionsPath() + "/" + id + "/count";
  Status s = Call(*http_, HttpMethod::kGet, path, {}, &response_);
  if (s.code() == StatusCode::kNotFound) {
    // The cached id is stale (collection deleted or recreated): look again.
    ids_by_name_.erase(collection);
    ASSIGN_OR_RETURN(id, CollectionId(collection));
    path = CollectionsPath() + "/" + id + "/count";
    s = Call(*http_, HttpMethod::kGet, path, {}, &response_);
  }
  RETURN_IF_ERROR(s);
  errno = 0;
  char* end = nullptr;
  const long long count = std::strtoll(response_.c_str(), &end, 10);
  while (end != nullptr && std::isspace(static_cast<unsigned char>(*end)))
    ++end;
  if (errno != 0 || end == response_.c_str() || *end != '\0' || count < 0) {
    return Corruption(Prefix() + "GET " + path +
                      " answered with something that is not a count: '" +
                      Excerpt(response_, http_->secrets()) + "'");
  }
  return static_cast<int64_t>(count);
}

Status ChromaStore::CreateCollection(const CollectionInfo& info) {
  if (!IsValidChromaCollectionName(info.name)) {
    return InvalidArgument(
        Prefix() + "cannot create collection '" + info.name +
        "': Chroma names are 3-512 characters of [a-zA-Z0-9._-], starting "
        "and ending with a letter or digit, or (Chroma 1.5) two such names joined by one '+'");
  }
  Json hnsw = Json::object();
  hnsw["space"] = DistanceSpaceName(info.space);
  Json embedding_function;  // null: none
  Json schema;              // null: none
  try {
    const Json configuration = Json::parse(info.configuration_json);
    if (!configuration.is_object()) {
      return InvalidArgument(Prefix() + "collection '" + info.name +
                             "': configuration_json is not a JSON object");
    }
    auto source = configuration.find("hnsw");
    if (source != configuration.end() && source->is_object()) {
      // The settings Chroma's create accepts; others are server-managed.
      for (const char* key : {"ef_construction", "ef_search", "max_neighbors",
                              "resize_factor", "sync_threshold"}) {
        auto value = source->find(key);
        if (value != source->end() && value->is_number()) hnsw[key] = *value;
      }
    }
    // What the collection embeds queries with (Chroma 1.x) and its index
    // schema (1.2.2 and later, kept by ParseCollection), as the source had
    // them; servers before 1.2.2 ignore "schema".
    auto function = configuration.find("embedding_function");
    if (function != configuration.end() && function->is_object()) embedding_function = *function;
    auto kept_schema = configuration.find("schema");
    if (kept_schema != configuration.end() && kept_schema->is_object()) schema = *kept_schema;
  } catch (const std::exception& e) {
    return InvalidArgument(Prefix() + "collection '" + info.name +
                           "': configuration_json is not JSON (" + e.what() +
                           ")");
  }
  std::string body = "{\"name\":";
  AppendJsonString(info.name, &body);
  body += ",\"metadata\":";
  RETURN_IF_ERROR(AppendMetadataJson(
      info.metadata, Prefix() + "collection '" + info.name + "'", &body));
  const std::string head = body;
  // Chroma 1.5 refuses a configuration beside a schema ("Cannot set both
  // collection config and schema simultaneously"); the schema holds the
  // index settings and the embedding function, so it goes alone, with the
  // distance space set to info.space.
  if (!schema.is_null()) {
    auto set_space = [&](Json& entry) {
      if (!entry.is_object()) return;
      auto list = entry.find("float_list");
      if (list == entry.end() || !list->is_object()) return;
      auto index = list->find("vector_index");
      if (index == list->end() || !index->is_object()) return;
      auto config = index->find("config");
      if (config != index->end() && config->is_object()) {
        (*config)["space"] = DistanceSpaceName(info.space);
      }
    };
    if (schema.contains("defaults")) set_space(schema["defaults"]);
    if (schema.contains("keys") && schema["keys"].is_object()) {
      for (auto& [key, entry] : schema["keys"].items()) set_space(entry);
    }
    body = head + ",\"schema\":" + DumpJson(schema) + ",\"get_or_create\":false}";
  } else {
    body += ",\"configuration\":{\"hnsw\":" + hnsw.dump();
    if (!embedding_function.is_null()) {
      body += ",\"embedding_function\":" + DumpJson(embedding_function);
    }
    body += "},\"get_or_create\":false}";
  }
  Status s =
      Call(*http_, HttpMethod::kPost, CollectionsPath(), body, &response_);
  if (s.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists(Prefix() + "collection '" + info.name +
                         "' already exists");
  }
  RETURN_IF_ERROR(s);
  ASSIGN_OR_RETURN(
      Json json, ParseJson(response_, Prefix() + "POST " + CollectionsPath(),
                                 http_->secrets()));
  if (json.is_object() && json.contains("id") && json["id"].is_string()) {
    ids_by_name_[info.name] = json["id"].get<std::string>();
  }
  if (!schema.is_null() && json.is_object() && !json.contains("schema")) {
    // A server before 1.2.2 ignored the schema and made a default
    // collection: the one just made, still empty, is made again from the
    // configuration.
    RETURN_IF_ERROR(DeleteCollection(info.name));
    body = head + ",\"configuration\":{\"hnsw\":" + hnsw.dump();
    if (!embedding_function.is_null()) {
      body += ",\"embedding_function\":" + DumpJson(embedding_function);
    }
    body += "},\"get_or_create\":false}";
    RETURN_IF_ERROR(Call(*http_, HttpMethod::kPost, CollectionsPath(), body, &response_));
    ASSIGN_OR_RETURN(json, ParseJson(response_, Prefix() + "POST " + CollectionsPath(),
                                     http_->secrets()));
    if (json.is_object() && json.contains("id") && json["id"].is_string()) {
      ids_by_name_[info.name] = json["id"].get<std::string>();
    }
  }
  return Status::Ok();
}

Status ChromaStore::RenameCollection(const std::string& from,
                                     const std::string& to) {
  return RenameCollectionWithMetadata(from, to, nullptr);
}

Status ChromaStore::RenameCollectionWithMetadata(const std::string& from,
                                                 const std::string& to,
                                                 const Metadata* new_metadata) {
  if (!IsValidChromaCollectionName(to)) {
    return InvalidArgument(
        Prefix() + "cannot rename collection '" + from + "' to '" + to +
        "': Chroma names are 3-512 characters of [a-zA-Z0-9._-], starting "
        "and ending with a letter or digit, or (Chroma 1.5) two such names joined by one '+'");
  }
  ids_by_name_.erase(from);
  ASSIGN_OR_RETURN(std::string id, CollectionId(from));
  // Chroma answers a rename onto an existing name with a 500; ask first.
  Result<CollectionEntry> existing = FetchCollection(to);
  if (existing.ok()) {
    return AlreadyExists(Prefix() + "cannot rename collection '" + from +
                         "' to '" + to + "': '" + to + "' already exists");
  }
  if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  std::string body = "{\"new_name\":";
  AppendJsonString(to, &body);
  if (new_metadata != nullptr) {
    body += ",\"new_metadata\":";
    RETURN_IF_ERROR(AppendMetadataJson(
        *new_metadata, Prefix() + "collection '" + from + "'", &body));
  }
  body += "}";
  ids_by_name_.erase(from);
  ids_by_name_.erase(to);
  Status s = Call(*http_, HttpMethod::kPut, CollectionsPath() + "/" + id, body,
                  &response_);
  if (s.code() == StatusCode::kNotFound) {
    return NotFound(Prefix() + "collection '" + from + "' does not exist");
  }
  return s;
}

Status ChromaStore::DeleteCollection(const std::string& name) {
  if (!IsValidChromaCollectionName(name)) {
    return NotFound(Prefix() + "collection '" + name + "' does not exist");
  }
  ids_by_name_.erase(name);
  Status s = Call(*http_, HttpMethod::kDelete, CollectionsPath() + "/" + name,
                  {}, &response_);
  if (s.code() == StatusCode::kNotFound) {
    return NotFound(Prefix() + "collection '" + name + "' does not exist");
  }
  return s;
}

// ------------------------------------------------------------------ Reads

Status ChromaStore::Scan(const std::string& collection,
                         const ScanOptions& options, const PageSink& sink) {
  if (scanning_) {
    return FailedPrecondition(Prefix() + "Scan called from inside a Scan");
  }
  const size_t page_size = std::max<size_t>(options.page_size, 1);
  ASSIGN_OR_RETURN(const int64_t count, Count(collection));
  ASSIGN_OR_RETURN(const std::string id, CollectionId(collection));
  if (scan_http_ == nullptr) {
    HttpClientOptions http_options;
    http_options.base_url = uri_.BaseUrl();
    http_options.timeout_seconds = options_.timeout_seconds;
    http_options.max_retries = options_.max_retries;
    http_options.max_response_bytes = options_.max_response_bytes;
    ASSIGN_OR_RETURN(scan_http_, HttpClient::Create(http_options));
  }
  scanning_ = true;
  struct ScanningGuard {
    bool* flag;
    ~ScanningGuard() { *flag = false; }
  } guard{&scanning_};

  const std::string path = CollectionsPath() + "/" + id + "/get";
  const std::string include = IncludeJson(options.include);
  // Two buffers: one is decoded while the next page arrives in the other.
  // Declared before `pending` so that a pending fetch finishes (the future's
  // destructor waits) before they go away on an early return.
  std::string buffers[2];
  std::future<Status> pending;
  auto fetch = [this, &path, &include, page_size](int64_t offset,
                                                  std::string* buffer) {
    const std::string request = "{\"include\":" + include +
                                ",\"limit\":" + std::to_string(page_size) +
                                ",\"offset\":" + std::to_string(offset) + "}";
    return Call(*scan_http_, HttpMethod::kPost, path, request, buffer);
  };
  auto start_fetch = [&](int64_t offset, std::string* buffer) {
    pending = std::async(std::launch::async, fetch, offset, buffer);
  };

  RecordBatch page;
  PageContext context;
  context.collection = collection;
  int64_t rows_read = 0;
  int64_t offset = 0;
  int slot = 0;
  start_fetch(0, &buffers[0]);
  while (pending.valid()) {
    Status fetched = pending.get();
    if (!fetched.ok()) {
      return fetched.WithContext("scanning collection '" + collection +
                                 "' at offset " + std::to_string(offset));
    }
    std::string& body = buffers[slot];
    const int64_t next_offset = offset + static_cast<int64_t>(page_size);
    bool prefetching = false;
    if (next_offset < count) {
      start_fetch(next_offset, &buffers[1 - slot]);
      prefetching = true;
    }
    page.Clear();
    context.offset = offset;
    size_t rows = 0;
    RETURN_IF_ERROR(
        decoder_.Decode(body, options.include, context, &page, &rows));
    if (rows > page_size) {
      return Corruption(Prefix() + PageErrorPrefix(context) + "the page has " +
                        std::to_string(rows) + " records but only " +
                        std::to_string(page_size) + " were asked for");
    }
    if (rows == 0) break;
    rows_read += static_cast<int64_t>(rows);
    RETURN_IF_ERROR(sink(page));
    if (!prefetching && rows_read < count) {
      // A short page before the count was reached: keep asking until an
      // empty page proves the end.
      start_fetch(next_offset, &buffers[1 - slot]);
    }
    offset = next_offset;
    slot = 1 - slot;
  }
  if (pending.valid()) pending.wait();
  if (rows_read < count) {
    return Corruption(Prefix() + "scan of collection '" + collection +
                      "' read " + std::to_string(rows_read) +
                      " records but the collection counted " +
                      std::to_string(count) +
                      " when the scan started (a page came back short; was "
                      "the collection changed during the scan?)");
  }
  return Status::Ok();
}

Result<RecordBatch> ChromaStore::Get(const std::string& collection,
                                     const std::vector<std::string>& ids,
                                     const Include& include) {
  RecordBatch result;
  if (ids.empty()) return result;
  ASSIGN_OR_RETURN(const std::string id, CollectionId(collection));
  const std::string path = CollectionsPath() + "/" + id + "/get";
  const std::string include_json = IncludeJson(include);
  PageContext context;
  context.collection = collection;
  std::string request;
  for (size_t begin = 0; begin < ids.size(); begin += kGetIdsChunk) {
    const size_t end = std::min(ids.size(), begin + kGetIdsChunk);
    request = "{\"ids\":[";
    for (size_t i = begin; i < end; ++i) {
      if (i > begin) request += ',';
      AppendJsonString(ids[i], &request);
    }
    // An explicit limit: no server default may cut the answer short.
    request += "],\"include\":" + include_json + ",\"limit\":" + std::to_string(end - begin) +
               ",\"offset\":0}";
    Status s = Call(*http_, HttpMethod::kPost, path, request, &response_);
    if (s.code() == StatusCode::kNotFound) {
      return NotFound(Prefix() + "collection '" + collection +
                      "' does not exist");
    }
    RETURN_IF_ERROR(s);
    size_t rows = 0;
    RETURN_IF_ERROR(
        decoder_.Decode(response_, include, context, &result, &rows));
  }
  return result;
}

// ----------------------------------------------------------------- Writes

Status ChromaStore::AddRange(const std::string& collection,
                             const std::string& id, const RecordBatch& batch,
                             size_t begin, size_t end, std::string* body,
                             std::vector<RefusedRecord>* refused) {
  RETURN_IF_ERROR(BuildAddBody(batch, begin, end, body));
  const std::string path = CollectionsPath() + "/" + id + "/add";
  RequestPolicy policy;
  // A refused large body is halved rather than resent many times.
  if (end - begin > 1) policy.max_retries = std::min(1, options_.max_retries);
  Status s = Call(*http_, HttpMethod::kPost, path, *body, &response_, policy);
  if (s.ok()) return s;
  // A 4xx refuses the whole request (Chroma adds nothing of it) without
  // naming the record ("Non-finite float value at embedding index 0" is a
  // component's index): halve until the refused records stand alone.
  const bool record_refused = refused != nullptr && s.code() == StatusCode::kInvalidArgument &&
                              refused->size() < kMaxRefusedRecords;
  if (record_refused && end - begin == 1) {
    std::string reason = s.message();
    if (reason.compare(0, Prefix().size(), Prefix()) == 0) reason.erase(0, Prefix().size());
    refused->push_back({batch.id(begin), std::move(reason)});
    return Status::Ok();
  }
  const bool too_large = s.code() == StatusCode::kUnavailable;
  if ((too_large || record_refused) && end - begin > 1) {
    const size_t middle = begin + (end - begin) / 2;
    RETURN_IF_ERROR(AddRange(collection, id, batch, begin, middle, body, refused));
    return AddRange(collection, id, batch, middle, end, body, refused);
  }
  return s.WithContext("adding " + RowRangeName(batch, begin, end) +
                       " to collection '" + collection + "'");
}

Status ChromaStore::Add(const std::string& collection,
                        const RecordBatch& batch) {
  return AddRecords(collection, batch, nullptr);
}

Status ChromaStore::AddAccepted(const std::string& collection, const RecordBatch& batch,
                                std::vector<RefusedRecord>* refused) {
  std::vector<RefusedRecord> local;
  return AddRecords(collection, batch, refused != nullptr ? refused : &local);
}

Status ChromaStore::AddRecords(const std::string& collection,
                               const RecordBatch& batch,
                               std::vector<RefusedRecord>* refused) {
  if (batch.empty()) return Status::Ok();
  if (!supports_base64_) {
    return Unimplemented(Prefix() +
                         "the server does not accept base64 embeddings "
                         "(supports_base64_encoding is false); vecgate needs "
                         "Chroma 1.0 or later");
  }
  // Metadata Chroma would refuse or lose, for every record, before anything
  // is written.
  {
    Status check = CheckChromaMetadata(batch, collection);
    if (!check.ok()) return InvalidArgument(Prefix() + check.message());
  }
  ASSIGN_OR_RETURN(CollectionEntry entry, FetchCollection(collection));
  size_t expected = static_cast<size_t>(entry.info.dimension);
  std::string expected_from = "the collection's dimension";
  if (expected == 0) {
    expected = batch.embedding_size(0);
    expected_from = "the first record's ('" + batch.id(0) + "')";
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch.has_embedding(i)) {
      return InvalidArgument(Prefix() + "record '" + batch.id(i) +
                             "' has no embedding; Chroma needs one to add a "
                             "record to collection '" +
                             collection + "'");
    }
    if (batch.embedding_size(i) != expected) {
      return InvalidArgument(
          Prefix() + "record '" + batch.id(i) + "' has an embedding of " +
          std::to_string(batch.embedding_size(i)) +
          " components but collection '" + collection + "' expects " +
          std::to_string(expected) + " (" + expected_from +
          "); nothing "
          "was added");
    }
  }
  ASSIGN_OR_RETURN(std::vector<AddBatchRange> ranges,
                   PlanAddBatches(batch, static_cast<size_t>(max_batch_size_),
                                  add_body_budget_));
  std::string body;
  for (const AddBatchRange& range : ranges) {
    RETURN_IF_ERROR(AddRange(collection, entry.id, batch, range.begin,
                             range.end, &body, refused));
  }
  return Status::Ok();
}

Result<QueryResult> ChromaStore::Query(const std::string& collection,
                                       const float* queries, size_t n,
                                       size_t dim, size_t k) {
  QueryResult result;
  if (n == 0) return result;
  if (dim == 0 || k == 0) {
    return InvalidArgument(Prefix() + "query of collection '" + collection +
                           "' needs dim > 0 and k > 0");
  }
  ASSIGN_OR_RETURN(const std::string id, CollectionId(collection));
  const std::string path = CollectionsPath() + "/" + id + "/query";
  const std::string where = Prefix() + "POST " + path;
  std::string request;
  for (size_t begin = 0; begin < n; begin += kQueriesPerRequest) {
    const size_t end = std::min(n, begin + kQueriesPerRequest);
    request = "{\"query_embeddings\":[";
    for (size_t q = begin; q < end; ++q) {
      if (q > begin) request += ',';
      request += '[';
      for (size_t c = 0; c < dim; ++c) {
        if (c > 0) request += ',';
        const float v = queries[q * dim + c];
        if (!std::isfinite(v)) {
          return InvalidArgument(Prefix() + "query " + std::to_string(q) +
                                 " has a NaN or infinite component");
        }
        AppendJsonFloat(v, &request);
      }
      request += ']';
    }
    request += "],\"n_results\":" + std::to_string(k) +
               ",\"include\":[\"distances\"]}";
    RETURN_IF_ERROR(Call(*http_, HttpMethod::kPost, path, request, &response_));
    ASSIGN_OR_RETURN(Json json, ParseJson(response_, where, http_->secrets()));
    try {
      const Json& ids = json.at("ids");
      const Json& distances = json.at("distances");
      if (!ids.is_array() || !distances.is_array() ||
          ids.size() != end - begin || distances.size() != end - begin) {
        return Corruption(where + ": expected " + std::to_string(end - begin) +
                          " rows of \"ids\" and \"distances\"");
      }
      for (size_t q = 0; q < ids.size(); ++q) {
        if (!ids[q].is_array() || !distances[q].is_array() || ids[q].size() > k) {
          return Corruption(where + ": query " + std::to_string(begin + q) +
                            " answered with more than the " +
                            std::to_string(k) + " results asked for");
        }
        if (ids[q].size() != distances[q].size()) {
          return Corruption(where + ": query " + std::to_string(begin + q) +
                            " has different numbers of ids and distances");
        }
        result.ids.push_back(ids[q].get<std::vector<std::string>>());
        // A record whose stored embedding holds NaN gets a null distance:
        // keep it as NaN (it matches nothing) rather than failing the query.
        std::vector<float> row;
        row.reserve(distances[q].size());
        for (const Json& d : distances[q]) {
          row.push_back(d.is_null() ? std::numeric_limits<float>::quiet_NaN()
                                    : d.get<float>());
        }
        result.distances.push_back(std::move(row));
      }
    } catch (const std::exception& e) {
      return Corruption(where + ": unexpected answer (" + Shown(e.what()) + ")");
    }
  }
  return result;
}

}  // namespace vecgate
