// Record lines and float32 blocks of snapshot archives.
#include "snapshot/record_codec.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "stores/chroma_request_encoder.h"

namespace vecgate {

using Json = nlohmann::json;

static_assert(sizeof(float) == 4, "float32 expected");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "snapshot archives store little-endian float32; add byte swapping"
#endif

Json MetadataToJson(const Metadata& metadata) {
  Json out = Json::object();
  for (const auto& [key, value] : metadata) {
    if (std::holds_alternative<std::monostate>(value)) {
      out[key] = nullptr;
    } else if (auto* s = std::get_if<std::string>(&value)) {
      out[key] = *s;
    } else if (auto* i = std::get_if<int64_t>(&value)) {
      out[key] = *i;
    } else if (auto* d = std::get_if<double>(&value)) {
      out[key] = *d;
    } else if (auto* b = std::get_if<bool>(&value)) {
      out[key] = *b;
    }
  }
  return out;
}

Result<Metadata> JsonToMetadata(const Json& json, const std::string& where) {
  Metadata metadata;
  if (!json.is_object()) return Corruption(where + ": metadata is not an object");
  for (auto it = json.begin(); it != json.end(); ++it) {
    const Json& v = it.value();
    if (v.is_null()) {
      metadata[it.key()] = std::monostate{};
    } else if (v.is_string()) {
      metadata[it.key()] = v.get<std::string>();
    } else if (v.is_boolean()) {
      metadata[it.key()] = v.get<bool>();
    } else if (v.is_number_integer()) {
      if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) {
        return Corruption(where + ": metadata '" + it.key() +
                          "' is an integer beyond int64");
      }
      metadata[it.key()] = v.get<int64_t>();
    } else if (v.is_number_float()) {
      metadata[it.key()] = v.get<double>();
    } else {
      return Corruption(where + ": metadata '" + it.key() +
                        "' is an object or array (only scalars are allowed)");
    }
  }
  return metadata;
}

namespace {

Status AppendMetadataLine(const Metadata& metadata, const std::string& id,
                          std::string* out) {
  out->push_back('{');
  bool first = true;
  char buffer[32];
  for (const auto& [key, value] : metadata) {
    if (!IsValidUtf8(key)) {
      return InvalidArgument("record '" + id + "' has a metadata key that is not UTF-8");
    }
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(key, out);
    out->push_back(':');
    if (std::holds_alternative<std::monostate>(value)) {
      out->append("null");
    } else if (auto* text = std::get_if<std::string>(&value)) {
      if (!IsValidUtf8(*text)) {
        return InvalidArgument("record '" + id + "', metadata '" + key +
                               "' is not UTF-8");
      }
      AppendJsonString(*text, out);
    } else if (auto* i = std::get_if<int64_t>(&value)) {
      auto r = std::to_chars(buffer, buffer + sizeof(buffer), *i);
      out->append(buffer, r.ptr);
    } else if (auto* d = std::get_if<double>(&value)) {
      if (!std::isfinite(*d)) {
        return InvalidArgument("record '" + id + "', metadata '" + key +
                               "' is not a finite number; JSON cannot hold it");
      }
      AppendJsonDouble(*d, out);
    } else if (auto* b = std::get_if<bool>(&value)) {
      out->append(*b ? "true" : "false");
    }
  }
  out->push_back('}');
  return Status::Ok();
}

}  // namespace

// Written by hand rather than through nlohmann::json: this runs on the
// snapshot's critical path for every record.
Status EncodePage(const RecordBatch& page, int64_t dimension,
                  std::string* lines, std::string* embeddings) {
  const size_t floats = page.values().size();
  const size_t old_size = embeddings->size();
  embeddings->resize(old_size + floats * sizeof(float));
  if (floats > 0) {
    std::memcpy(embeddings->data() + old_size, page.values().data(),
                floats * sizeof(float));
  }
  char buffer[32];
  for (size_t i = 0; i < page.size(); ++i) {
    if (!IsValidUtf8(page.id(i))) {
      return InvalidArgument("a record id is not UTF-8; it cannot be snapshotted");
    }
    lines->append("{\"id\":");
    AppendJsonString(page.id(i), lines);
    lines->append(",\"document\":");
    if (page.document(i)) {
      if (!IsValidUtf8(*page.document(i))) {
        return InvalidArgument("record '" + page.id(i) + "' has a document that is not UTF-8");
      }
      AppendJsonString(*page.document(i), lines);
    } else {
      lines->append("null");
    }
    lines->append(",\"metadata\":");
    if (page.metadata(i)) {
      RETURN_IF_ERROR(AppendMetadataLine(*page.metadata(i), page.id(i), lines));
    } else {
      lines->append("null");
    }
    if (static_cast<int64_t>(page.embedding_size(i)) != dimension) {
      lines->append(",\"dim\":");
      auto r = std::to_chars(buffer, buffer + sizeof(buffer), page.embedding_size(i));
      lines->append(buffer, r.ptr);
    }
    lines->append("}\n");
  }
  return Status::Ok();
}

Status DecodePage(std::string_view lines, std::string_view embeddings,
                  int64_t dimension, const Include& include,
                  const std::string& where, RecordBatch* out) {
  size_t float_pos = 0;
  const size_t total_floats = embeddings.size() / sizeof(float);
  if (include.embeddings && embeddings.size() % sizeof(float) != 0) {
    return Corruption(where + ": embeddings member is not a whole number of "
                      "float32 values");
  }
  size_t line_no = 0;
  size_t start = 0;
  while (start < lines.size()) {
    size_t end = lines.find('\n', start);
    if (end == std::string_view::npos) {
      return Corruption(where + ": last record line has no newline (truncated)");
    }
    ++line_no;
    const std::string at = where + ", line " + std::to_string(line_no);
    Json line;
    try {
      line = Json::parse(lines.substr(start, end - start));
    } catch (const Json::exception& e) {
      return Corruption(at + ": not JSON (" + e.what() + ")");
    }
    start = end + 1;
    if (!line.is_object() || !line.contains("id") || !line["id"].is_string()) {
      return Corruption(at + ": a record line needs a string \"id\"");
    }
    std::optional<std::string> document;
    auto doc = line.find("document");
    if (doc != line.end() && !doc->is_null()) {
      if (!doc->is_string()) return Corruption(at + ": \"document\" is not a string");
      if (include.documents) document = doc->get<std::string>();
    }
    std::optional<Metadata> metadata;
    auto meta = line.find("metadata");
    if (meta != line.end() && !meta->is_null() && include.metadatas) {
      ASSIGN_OR_RETURN(metadata, JsonToMetadata(*meta, at));
    }
    int64_t dim = dimension;
    auto d = line.find("dim");
    if (d != line.end()) {
      if (!d->is_number_integer() || d->get<int64_t>() < 0) {
        return Corruption(at + ": \"dim\" is not a non-negative integer");
      }
      dim = d->get<int64_t>();
    }
    const float* row = nullptr;
    size_t row_size = 0;
    if (include.embeddings) {
      if (static_cast<uint64_t>(dim) > total_floats - float_pos) {
        return Corruption(at + ": the embeddings member ends before this "
                          "record's embedding");
      }
      row = reinterpret_cast<const float*>(embeddings.data()) + float_pos;
      row_size = static_cast<size_t>(dim);
      float_pos += row_size;
    }
    std::string id = line["id"].get<std::string>();
    if (row_size > 0) {
      // The member's bytes are not necessarily float-aligned: copy.
      std::vector<float> aligned(row_size);
      std::memcpy(aligned.data(), row, row_size * sizeof(float));
      out->Add(std::move(id), std::move(document), std::move(metadata),
               aligned.data(), row_size);
    } else {
      out->Add(std::move(id), std::move(document), std::move(metadata),
               nullptr, 0);
    }
  }
  if (include.embeddings && float_pos != total_floats) {
    return Corruption(where + ": the embeddings member holds " +
                      std::to_string(total_floats - float_pos) +
                      " float32 values more than the records use");
  }
  return Status::Ok();
}

}  // namespace vecgate
