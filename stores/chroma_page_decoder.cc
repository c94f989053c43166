// Chroma get-response decoder (simdjson DOM); see chroma_page_decoder.h.
//
// Rows are created as soon as their first row-shaped column arrives: the
// "embeddings" column appends each row's components to the batch's float
// block and closes the row (RecordBatch::AppendRowMeta), and the other
// columns are then moved into place. Chroma sends "ids" first, so ids are
// kept aside only until the embeddings arrive.
#include "stores/chroma_page_decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "core/text.h"

namespace vecgate {

std::string PageErrorPrefix(const PageContext& context) {
  std::string prefix =
      "chroma collection '" + Printable(context.collection, true) + "', ";
  if (context.offset >= 0) {
    prefix += "page at offset " + std::to_string(context.offset);
  } else {
    prefix += "get by ids";
  }
  return prefix + ": ";
}

namespace {

// The columns of one page while it is being decoded.
struct PageColumns {
  RecordBatch* out = nullptr;
  size_t base = 0;  // rows in `out` before this page
  std::vector<std::string> ids;
  bool have_ids = false;
  size_t embedding_rows = 0;
  bool have_embeddings = false;
  std::vector<std::optional<std::string>> documents;
  bool have_documents = false;
  std::vector<std::optional<Metadata>> metadatas;
  bool have_metadatas = false;
};

// Moves the decoded columns into `out`, checking row counts.
Status FinishPage(PageColumns& page, const Include& include,
                  const PageContext& context, size_t* rows) {
  const std::string prefix = PageErrorPrefix(context);
  if (!page.have_ids) {
    return Corruption(prefix + "the answer has no \"ids\" array");
  }
  const size_t n = page.ids.size();
  auto mismatch = [&](const char* column, size_t got) {
    return Corruption(prefix + "\"" + column + "\" has " + std::to_string(got) +
                      " rows but \"ids\" has " + std::to_string(n));
  };
  if (page.have_documents && page.documents.size() != n) {
    return mismatch("documents", page.documents.size());
  }
  if (page.have_metadatas && page.metadatas.size() != n) {
    return mismatch("metadatas", page.metadatas.size());
  }
  if (n > 0) {
    if (include.embeddings && !page.have_embeddings) {
      return Corruption(prefix + "\"embeddings\" is missing or null");
    }
    if (include.documents && !page.have_documents) {
      return Corruption(prefix + "\"documents\" is missing or null");
    }
    if (include.metadatas && !page.have_metadatas) {
      return Corruption(prefix + "\"metadatas\" is missing or null");
    }
  }
  RecordBatch& out = *page.out;
  if (page.have_embeddings) {
    if (page.embedding_rows != n) {
      return mismatch("embeddings", page.embedding_rows);
    }
    for (size_t i = 0; i < n; ++i) {
      out.mutable_ids()[page.base + i] = std::move(page.ids[i]);
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      out.AppendRowMeta(std::move(page.ids[i]), std::nullopt, std::nullopt);
    }
  }
  if (page.have_documents) {
    auto& documents = out.mutable_documents();
    for (size_t i = 0; i < n; ++i) {
      documents[page.base + i] = std::move(page.documents[i]);
    }
  }
  if (page.have_metadatas) {
    auto& metadatas = out.mutable_metadatas();
    for (size_t i = 0; i < n; ++i) {
      metadatas[page.base + i] = std::move(page.metadatas[i]);
    }
  }
  *rows = n;
  return Status::Ok();
}

// ---------------------------------------------------------------------- DOM

namespace dom = simdjson::dom;

class DomPage {
 public:
  DomPage(PageColumns& page, const PageContext& context)
      : page_(page), prefix_(PageErrorPrefix(context)) {}

  Status Parse(dom::parser& parser, const char* body, size_t size) {
    dom::element root;
    auto error =
        parser.parse(body, size, /*realloc_if_needed=*/false).get(root);
    if (error) return Fail("the answer is not JSON", error);
    dom::object object;
    if ((error = root.get_object().get(object))) {
      return Fail("the answer is not a JSON object", error);
    }
    size_ = size;
    bool seen_ids = false, seen_embeddings = false, seen_documents = false,
         seen_metadatas = false;
    for (dom::key_value_pair field : object) {
      // A repeated column would add its rows twice (simdjson keeps every
      // key); Chroma never repeats one.
      bool* seen = field.key == "ids"          ? &seen_ids
                   : field.key == "embeddings" ? &seen_embeddings
                   : field.key == "documents"  ? &seen_documents
                   : field.key == "metadatas"  ? &seen_metadatas
                                               : nullptr;
      if (seen != nullptr) {
        if (*seen) {
          return Corruption(prefix_ + "the answer has the key \"" +
                            std::string(field.key) +
                            "\" twice; is this a Chroma server?");
        }
        *seen = true;
      }
      if (field.key == "ids") {
        RETURN_IF_ERROR(ParseIds(field.value));
      } else if (field.key == "embeddings") {
        RETURN_IF_ERROR(ParseEmbeddings(field.value));
      } else if (field.key == "documents") {
        RETURN_IF_ERROR(ParseDocuments(field.value));
      } else if (field.key == "metadatas") {
        RETURN_IF_ERROR(ParseMetadatas(field.value));
      }
    }
    return Status::Ok();
  }

 private:
  Status Fail(const std::string& what, simdjson::error_code error) {
    return Corruption(prefix_ + what + ": " + simdjson::error_message(error));
  }

  Status ParseIds(dom::element value) {
    dom::array array;
    if (auto error = value.get_array().get(array)) {
      return Fail("\"ids\" is not an array", error);
    }
    // simdjson counts the elements it parsed; each id takes at least three
    // bytes of the body.
    page_.ids.reserve(std::min<size_t>(array.size(), size_ / 3));
    for (dom::element element : array) {
      std::string_view id;
      if (auto error = element.get_string().get(id)) {
        return Fail("an id is not a string", error);
      }
      page_.ids.emplace_back(id);
    }
    page_.have_ids = true;
    return Status::Ok();
  }

  Status ParseEmbeddings(dom::element value) {
    if (value.is_null()) return Status::Ok();
    dom::array rows;
    if (auto error = value.get_array().get(rows)) {
      return Fail("\"embeddings\" is not an array", error);
    }
    RecordBatch& out = *page_.out;
    std::vector<float>& values = out.mutable_values();
    size_t row_index = 0;
    for (dom::element row_element : rows) {
      if (!row_element.is_null()) {
        dom::array row;
        if (auto error = row_element.get_array().get(row)) {
          return Fail(
              "embedding row " + std::to_string(row_index) + " is not an array",
              error);
        }
        const size_t row_size = row.size();
        if (row_size > static_cast<size_t>(kMaxDimension)) {
          return Corruption(prefix_ + "embedding row " +
                            std::to_string(row_index) + " has " +
                            std::to_string(row_size) +
                            " components, more than the " +
                            std::to_string(kMaxDimension) + " vecgate accepts");
        }
        if (row_index == 0) {
          // Every component takes at least two bytes of the body ("0,"), so
          // the body bounds what the rows can hold, whatever they claim.
          values.reserve(values.size() +
                         std::min(row_size * rows.size(), size_ / 2));
        }
        for (dom::element component : row) {
          double v;
          // Chroma stores NaN and infinities sent as base64 float32 and
          // answers them as JSON null: keep them as NaN so that
          // embedding_integrity reports the record instead of the page
          // failing to decode.
          if (component.is_null()) {
            values.push_back(std::numeric_limits<float>::quiet_NaN());
            continue;
          }
          if (auto error = component.get_double().get(v)) {
            return Fail("embedding row " + std::to_string(row_index) +
                            " has a component that is not a number",
                        error);
          }
          values.push_back(static_cast<float>(v));
        }
      }
      out.AppendRowMeta(std::string(), std::nullopt, std::nullopt);
      ++row_index;
    }
    page_.embedding_rows = row_index;
    page_.have_embeddings = true;
    return Status::Ok();
  }

  Status ParseDocuments(dom::element value) {
    if (value.is_null()) return Status::Ok();
    dom::array array;
    if (auto error = value.get_array().get(array)) {
      return Fail("\"documents\" is not an array", error);
    }
    for (dom::element element : array) {
      if (element.is_null()) {
        page_.documents.emplace_back(std::nullopt);
        continue;
      }
      std::string_view text;
      if (auto error = element.get_string().get(text)) {
        return Fail("document " + std::to_string(page_.documents.size()) +
                        " is neither a string nor null",
                    error);
      }
      page_.documents.emplace_back(std::string(text));
    }
    page_.have_documents = true;
    return Status::Ok();
  }

  Status ParseMetadatas(dom::element value) {
    if (value.is_null()) return Status::Ok();
    dom::array array;
    if (auto error = value.get_array().get(array)) {
      return Fail("\"metadatas\" is not an array", error);
    }
    for (dom::element element : array) {
      const size_t row = page_.metadatas.size();
      if (element.is_null()) {
        page_.metadatas.emplace_back(std::nullopt);
        continue;
      }
      if (!element.is_object()) {
        return Corruption(prefix_ + "metadata " + std::to_string(row) +
                          " is neither an object nor null");
      }
      // A server's integer beyond int64 is kept as the nearest double.
      Result<Metadata> metadata = MetadataFromDom(
          element, "metadata " + std::to_string(row), LargeIntegers::kAsDouble);
      if (!metadata.ok()) {
        return Corruption(prefix_ + metadata.status().message());
      }
      page_.metadatas.emplace_back(std::move(metadata).value());
    }
    page_.have_metadatas = true;
    return Status::Ok();
  }

  PageColumns& page_;
  const std::string prefix_;
  size_t size_ = 0;  // bytes of the body
};

}  // namespace

struct ChromaPageDecoder::Impl {
  Impl() {
    // Sets the depth limit; capacity grows with the pages and keeps it.
    // On failure the parser stays empty and reports the error on first use.
    if (parser.allocate(4096, kMaxJsonDepth) != simdjson::SUCCESS) return;
  }
  dom::parser parser;
};

ChromaPageDecoder::ChromaPageDecoder() : impl_(std::make_unique<Impl>()) {}

ChromaPageDecoder::~ChromaPageDecoder() = default;

Status ChromaPageDecoder::Decode(const char* body, size_t size, size_t capacity,
                                 const Include& include,
                                 const PageContext& context, RecordBatch* out,
                                 size_t* rows) {
  *rows = 0;
  if (capacity < size + kJsonPadding) {
    return Internal(PageErrorPrefix(context) +
                    "response buffer lacks JSON padding");
  }
  PageColumns page;
  page.out = out;
  page.base = out->size();
  try {
    DomPage parser(page, context);
    RETURN_IF_ERROR(parser.Parse(impl_->parser, body, size));
  } catch (const std::bad_alloc&) {
    return Corruption(PageErrorPrefix(context) +
                      "out of memory while decoding a page of " +
                      std::to_string(size) + " bytes");
  } catch (const std::exception& e) {
    return Corruption(PageErrorPrefix(context) + e.what());
  }
  return FinishPage(page, include, context, rows);
}

Status ChromaPageDecoder::Decode(std::string& body, const Include& include,
                                 const PageContext& context, RecordBatch* out,
                                 size_t* rows) {
  if (body.capacity() < body.size() + kJsonPadding) {
    body.reserve(body.size() + kJsonPadding);
  }
  return Decode(body.data(), body.size(), body.capacity(), include, context,
                out, rows);
}

}  // namespace vecgate
