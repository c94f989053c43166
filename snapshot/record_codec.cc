// Record lines and float32 blocks of snapshot archives.
#include "snapshot/record_codec.h"

#include <cstring>

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

Status EncodePage(const RecordBatch& page, int64_t dimension,
                  std::string* lines, std::string* embeddings) {
  const size_t floats = page.values().size();
  const size_t old_size = embeddings->size();
  embeddings->resize(old_size + floats * sizeof(float));
  if (floats > 0) {
    std::memcpy(embeddings->data() + old_size, page.values().data(),
                floats * sizeof(float));
  }
  for (size_t i = 0; i < page.size(); ++i) {
    Json line = Json::object();
    line["id"] = page.id(i);
    if (page.document(i)) {
      line["document"] = *page.document(i);
    } else {
      line["document"] = nullptr;
    }
    if (page.metadata(i)) {
      line["metadata"] = MetadataToJson(*page.metadata(i));
    } else {
      line["metadata"] = nullptr;
    }
    if (static_cast<int64_t>(page.embedding_size(i)) != dimension) {
      line["dim"] = page.embedding_size(i);
    }
    try {
      *lines += line.dump();
    } catch (const Json::exception& e) {
      return InvalidArgument("record '" + page.id(i) +
                             "' cannot be written to a snapshot: " + e.what());
    }
    *lines += '\n';
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
