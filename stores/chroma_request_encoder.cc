// JSON request bodies for Chroma; see chroma_request_encoder.h.
#include "stores/chroma_request_encoder.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "stores/base64.h"

namespace vecgate {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Bytes that cannot appear raw inside a JSON string.
inline bool NeedsEscape(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

// Length of the escape sequence for a byte that NeedsEscape.
inline size_t EscapeSize(unsigned char c) {
  switch (c) {
    case '"':
    case '\\':
    case '\b':
    case '\f':
    case '\n':
    case '\r':
    case '\t':
      return 2;
    default:
      return 6;  // \u00XX
  }
}

// The fixed part of an add body: {"ids":[ ],"embeddings":[ ],"documents":[
// ],"metadatas":[ ]}.
constexpr std::string_view kIdsOpen = "{\"ids\":[";
constexpr std::string_view kEmbeddingsOpen = "],\"embeddings\":[";
constexpr std::string_view kDocumentsOpen = "],\"documents\":[";
constexpr std::string_view kMetadatasOpen = "],\"metadatas\":[";
constexpr std::string_view kClose = "]}";
constexpr size_t kAddBodyOverhead = kIdsOpen.size() + kEmbeddingsOpen.size() +
                                    kDocumentsOpen.size() +
                                    kMetadatasOpen.size() + kClose.size();
// Separators per record after the first: one comma in each of 4 arrays.
constexpr size_t kSeparatorsPerRecord = 4;

std::string RecordName(const RecordBatch& batch, size_t i) {
  return "record '" + batch.id(i) + "'";
}

Status CheckRecordText(const RecordBatch& batch, size_t i) {
  if (!IsValidUtf8(batch.id(i))) {
    return InvalidArgument("record at row " + std::to_string(i) +
                           ": id is not valid UTF-8");
  }
  if (!batch.has_embedding(i)) {
    return InvalidArgument(RecordName(batch, i) +
                           " has no embedding; Chroma requires one for add");
  }
  const auto& document = batch.document(i);
  if (document && !IsValidUtf8(*document)) {
    return InvalidArgument(RecordName(batch, i) +
                           ": document is not valid UTF-8");
  }
  return Status::Ok();
}

}  // namespace

size_t JsonStringSize(std::string_view text) {
  size_t size = 2;
  for (unsigned char c : text) size += NeedsEscape(c) ? EscapeSize(c) : 1;
  return size;
}

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!NeedsEscape(c)) continue;
    out->append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        const char escape[6] = {'\\', 'u',          '0',
                                '0',  kHex[c >> 4], kHex[c & 15]};
        out->append(escape, 6);
      }
    }
  }
  out->append(text.data() + run_start, text.size() - run_start);
  out->push_back('"');
}

void AppendJsonDouble(double value, std::string* out) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
  out->append(text);
  if (text.find_first_of(".eE") == std::string_view::npos) out->append(".0");
}

void AppendJsonFloat(float value, std::string* out) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, static_cast<size_t>(result.ptr - buffer));
}

Status AppendMetadataJson(const Metadata& metadata, const std::string& owner,
                          std::string* out) {
  bool first = true;
  for (const auto& [key, value] : metadata) {
    if (std::holds_alternative<std::monostate>(value)) continue;
    if (!IsValidUtf8(key)) {
      return InvalidArgument(owner + ": a metadata key is not valid UTF-8");
    }
    out->push_back(first ? '{' : ',');
    first = false;
    AppendJsonString(key, out);
    out->push_back(':');
    switch (value.index()) {
      case 1: {
        const std::string& text = std::get<std::string>(value);
        if (!IsValidUtf8(text)) {
          return InvalidArgument(owner + ", metadata '" + key +
                                 "': value is not valid UTF-8");
        }
        AppendJsonString(text, out);
        break;
      }
      case 2: {
        char buffer[24];
        const auto result = std::to_chars(buffer, buffer + sizeof(buffer),
                                          std::get<int64_t>(value));
        out->append(buffer, static_cast<size_t>(result.ptr - buffer));
        break;
      }
      case 3: {
        const double d = std::get<double>(value);
        if (!std::isfinite(d)) {
          return InvalidArgument(owner + ", metadata '" + key + "': value " +
                                 MetadataValueToString(value) +
                                 " cannot be written as JSON");
        }
        AppendJsonDouble(d, out);
        break;
      }
      case 4:
        out->append(std::get<bool>(value) ? "true" : "false");
        break;
    }
  }
  if (first) {
    out->append("null");
  } else {
    out->push_back('}');
  }
  return Status::Ok();
}

Result<size_t> AddRecordJsonSize(const RecordBatch& batch, size_t i) {
  RETURN_IF_ERROR(CheckRecordText(batch, i));
  size_t size = JsonStringSize(batch.id(i));
  size += 2 + Base64EncodedSize(batch.embedding_size(i) * sizeof(float));
  const auto& document = batch.document(i);
  size += document ? JsonStringSize(*document) : 4;  // "null"
  const auto& metadata = batch.metadata(i);
  if (metadata) {
    std::string scratch;
    RETURN_IF_ERROR(
        AppendMetadataJson(*metadata, RecordName(batch, i), &scratch));
    size += scratch.size();
  } else {
    size += 4;
  }
  return size;
}

Result<std::vector<AddBatchRange>> PlanAddBatches(const RecordBatch& batch,
                                                  size_t max_records,
                                                  size_t max_body_bytes) {
  if (max_records == 0) max_records = 1;
  std::vector<AddBatchRange> ranges;
  AddBatchRange current;
  current.body_bytes = kAddBodyOverhead;
  for (size_t i = 0; i < batch.size(); ++i) {
    ASSIGN_OR_RETURN(const size_t record_bytes, AddRecordJsonSize(batch, i));
    const size_t rows = current.end - current.begin;
    const size_t grown = current.body_bytes + record_bytes +
                         (rows > 0 ? kSeparatorsPerRecord : 0);
    if (rows > 0 && (rows >= max_records || grown > max_body_bytes)) {
      ranges.push_back(current);
      current.begin = current.end = i;
      current.body_bytes = kAddBodyOverhead + record_bytes;
    } else {
      current.body_bytes = grown;
    }
    current.end = i + 1;
  }
  if (current.end > current.begin) ranges.push_back(current);
  return ranges;
}

Status BuildAddBody(const RecordBatch& batch, size_t begin, size_t end,
                    std::string* body) {
  body->clear();
  if (end > batch.size() || begin > end) {
    return Internal("add batch range [" + std::to_string(begin) + ", " +
                    std::to_string(end) + ") outside a batch of " +
                    std::to_string(batch.size()) + " rows");
  }
  size_t embedding_chars = 0;
  for (size_t i = begin; i < end; ++i) {
    RETURN_IF_ERROR(CheckRecordText(batch, i));
    embedding_chars +=
        3 + Base64EncodedSize(batch.embedding_size(i) * sizeof(float));
  }
  // The embeddings dominate; ids, documents and metadata grow the rest.
  body->reserve(kAddBodyOverhead + embedding_chars + (end - begin) * 1024);

  body->append(kIdsOpen);
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) body->push_back(',');
    AppendJsonString(batch.id(i), body);
  }
  body->append(kEmbeddingsOpen);
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) body->push_back(',');
    body->push_back('"');
    AppendBase64Float32(batch.embedding(i), batch.embedding_size(i), body);
    body->push_back('"');
  }
  body->append(kDocumentsOpen);
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) body->push_back(',');
    const auto& document = batch.document(i);
    if (document) {
      AppendJsonString(*document, body);
    } else {
      body->append("null");
    }
  }
  body->append(kMetadatasOpen);
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) body->push_back(',');
    const auto& metadata = batch.metadata(i);
    if (metadata) {
      RETURN_IF_ERROR(
          AppendMetadataJson(*metadata, RecordName(batch, i), body));
    } else {
      body->append("null");
    }
  }
  body->append(kClose);
  return Status::Ok();
}

}  // namespace vecgate
