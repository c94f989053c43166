// Record lines and float32 blocks of snapshot archives.
#include "snapshot/record_codec.h"

#include <cstring>
#include <optional>
#include <vector>

namespace vecgate {

namespace dom = simdjson::dom;

static_assert(sizeof(float) == 4, "float32 expected");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "snapshot archives store little-endian float32; add byte swapping"
#endif

// Written by hand rather than through a DOM: this runs on the snapshot's
// critical path for every record.
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
    lines->append("{\"id\":");
    RETURN_IF_ERROR(AppendJsonText(page.id(i), "a record id to snapshot", lines));
    const std::string owner = "record '" + page.id(i) + "'";
    lines->append(",\"document\":");
    if (page.document(i)) {
      RETURN_IF_ERROR(
          AppendJsonText(*page.document(i), "the document of " + owner, lines));
    } else {
      lines->append("null");
    }
    lines->append(",\"metadata\":");
    if (page.metadata(i)) {
      RETURN_IF_ERROR(AppendMetadataJson(*page.metadata(i), owner,
                                         MetadataNulls::kWrite, lines));
    } else {
      lines->append("null");
    }
    if (static_cast<int64_t>(page.embedding_size(i)) != dimension) {
      lines->append(",\"dim\":");
      AppendJsonInt(static_cast<int64_t>(page.embedding_size(i)), lines);
    }
    lines->append("}\n");
  }
  return Status::Ok();
}

namespace {

// One record line, as EncodePage writes it.
struct RecordLine {
  std::string id;
  std::optional<std::string> document;
  std::optional<Metadata> metadata;
  std::optional<int64_t> dim;
};

Status ReadRecordLine(dom::element root, const Include& include,
                      const std::string& at, RecordLine* line) {
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return Corruption(at + ": a record line needs a string \"id\"");
  }
  bool has_id = false;
  std::vector<std::string_view> keys;
  for (dom::key_value_pair field : object) {
    for (std::string_view k : keys) {
      if (k == field.key) {
        return Corruption(at + ": the key \"" + std::string(k) +
                          "\" appears twice");
      }
    }
    keys.push_back(field.key);
    const dom::element v = field.value;
    if (field.key == "id") {
      std::string_view id;
      if (v.get_string().get(id) != simdjson::SUCCESS) {
        return Corruption(at + ": a record line needs a string \"id\"");
      }
      line->id = std::string(id);
      has_id = true;
    } else if (field.key == "document") {
      if (v.is_null()) continue;
      std::string_view text;
      if (v.get_string().get(text) != simdjson::SUCCESS) {
        return Corruption(at + ": \"document\" is not a string");
      }
      if (include.documents) line->document = std::string(text);
    } else if (field.key == "metadata") {
      if (v.is_null() || !include.metadatas) continue;
      ASSIGN_OR_RETURN(line->metadata,
                       MetadataFromDom(v, at + ": metadata",
                                       LargeIntegers::kRefuse));
    } else if (field.key == "dim") {
      int64_t dim = -1;
      if (v.type() != dom::element_type::INT64 ||
          v.get_int64().get(dim) != simdjson::SUCCESS || dim < 0) {
        return Corruption(at + ": \"dim\" is not a non-negative integer");
      }
      line->dim = dim;
    }
  }
  if (!has_id) return Corruption(at + ": a record line needs a string \"id\"");
  return Status::Ok();
}

}  // namespace

Status DecodePage(std::string_view lines, std::string_view embeddings,
                  int64_t dimension, const Include& include,
                  const std::string& where, RecordBatch* out) {
  size_t float_pos = 0;
  const size_t total_floats = embeddings.size() / sizeof(float);
  if (include.embeddings && embeddings.size() % sizeof(float) != 0) {
    return Corruption(where + ": embeddings member is not a whole number of "
                      "float32 values");
  }
  RecordJsonReader reader;
  size_t line_no = 0;
  size_t start = 0;
  while (start < lines.size()) {
    size_t end = lines.find('\n', start);
    if (end == std::string_view::npos) {
      return Corruption(where + ": last record line has no newline (truncated)");
    }
    ++line_no;
    const std::string at = where + ", line " + std::to_string(line_no);
    // The rest of the member lies behind the line: parsed in place while it
    // covers simdjson's padding.
    ASSIGN_OR_RETURN(dom::element root,
                     reader.Parse(lines.data() + start, end - start,
                                  lines.size() - start, at));
    start = end + 1;
    RecordLine line;
    RETURN_IF_ERROR(ReadRecordLine(root, include, at, &line));
    const int64_t dim = line.dim.value_or(dimension);
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
    if (row_size > 0) {
      // The member's bytes are not necessarily float-aligned: copy.
      std::vector<float> aligned(row_size);
      std::memcpy(aligned.data(), row, row_size * sizeof(float));
      out->Add(std::move(line.id), std::move(line.document),
               std::move(line.metadata), aligned.data(), row_size);
    } else {
      out->Add(std::move(line.id), std::move(line.document),
               std::move(line.metadata), nullptr, 0);
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
