// JSON request bodies for Chroma; see chroma_request_encoder.h.
#include "stores/chroma_request_encoder.h"

#include "stores/base64.h"

namespace vecgate {

namespace {

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

}  // namespace

std::string ChromaMetadataProblem(const Metadata& metadata) {
  for (const auto& [key, value] : metadata) {
    const std::string name = "metadata '" + Printable(key, true) + "'";
    if (key.empty()) return "a metadata key is empty, which Chroma refuses";
    if (key[0] == '#' || key[0] == '$') {
      return name + ": keys starting with '#' or '$' are reserved by Chroma (1.1.0 and later "
                    "refuse them)";
    }
    if (const auto* nested = std::get_if<NestedJson>(&value)) {
      return name + " is nested JSON (" + nested->json.substr(0, 60) +
             "), which Chroma metadata cannot hold (strings, numbers, booleans and lists of "
             "one of them only)";
    }
    if (const auto* array = std::get_if<MetadataArray>(&value)) {
      if (array->empty()) {
        return name + " is an empty list, which Chroma 1.5 drops (the key would be lost)";
      }
      const char* type = MetadataTypeName(value);
      if (std::string(type) == "array<mixed>") {
        return name + " is a list mixing kinds (" + MetadataValueToString(value).substr(0, 60) +
               "); Chroma lists hold strings, numbers or booleans, one kind a list";
      }
    }
  }
  return "";
}

Status CheckChromaMetadata(const RecordBatch& batch, const std::string& collection) {
  std::string listed;
  size_t problems = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch.metadata(i)) continue;
    const std::string problem = ChromaMetadataProblem(*batch.metadata(i));
    if (problem.empty()) continue;
    if (++problems <= 10) listed += (listed.empty() ? "" : "; ") + RecordName(batch, i) + ": " + problem;
  }
  if (problems == 0) return Status::Ok();
  return InvalidArgument(
      std::to_string(problems) + (problems == 1 ? " record" : " records") + " of collection '" +
      collection + "' cannot be written to Chroma: " + listed +
      (problems > 10 ? "; ..." : "") +
      ". Nothing was added; rename the keys or flatten the values in the source first");
}

namespace {

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
  if (batch.metadata(i)) {
    const std::string problem = ChromaMetadataProblem(*batch.metadata(i));
    if (!problem.empty()) return InvalidArgument(RecordName(batch, i) + ": " + problem);
  }
  return Status::Ok();
}

}  // namespace

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
