// Chroma get-response decoder (simdjson On-Demand and DOM); see
// chroma_page_decoder.h.
//
// Rows are created as soon as their first row-shaped column arrives: the
// "embeddings" column appends each row's components to the batch's float
// block and closes the row (RecordBatch::AppendRowMeta), and the other
// columns are then moved into place. Chroma sends "ids" first, so ids are
// kept aside only until the embeddings arrive.
#include "stores/chroma_page_decoder.h"

#include <simdjson.h>

#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

namespace vecgate {

static_assert(SIMDJSON_PADDING <= kJsonPadding,
              "kJsonPadding must cover simdjson's padding");

std::string PageErrorPrefix(const PageContext& context) {
  std::string prefix = "chroma collection '" + context.collection + "', ";
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

// A JSON number as an int64 when written without '.' or exponent, else a
// double (Chroma keeps that distinction: 1 is an int, 1.0 a float).
MetadataValue NumberFromText(std::string_view text) {
  const bool is_float = text.find_first_of(".eE") != std::string_view::npos;
  const std::string copy(text);
  if (!is_float) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(copy.c_str(), &end, 10);
    if (errno == 0 && end != copy.c_str()) return static_cast<int64_t>(v);
  }
  return std::strtod(copy.c_str(), nullptr);
}

// ---------------------------------------------------------------- On-Demand

namespace od = simdjson::ondemand;

#define VG_OD_TRY(expr, what)                                          \
  do {                                                                 \
    const simdjson::error_code vg_err_ = (expr);                       \
    if (vg_err_ != simdjson::SUCCESS) {                                \
      return Corruption(prefix_ + (what) + ": " +                       \
                        simdjson::error_message(vg_err_));             \
    }                                                                  \
  } while (0)

class OnDemandPage {
 public:
  OnDemandPage(PageColumns& page, const PageContext& context)
      : page_(page), prefix_(PageErrorPrefix(context)) {}

  Status Parse(od::parser& parser, const char* body, size_t size,
               size_t capacity) {
    od::document doc;
    VG_OD_TRY(parser.iterate(body, size, capacity).get(doc),
              "the answer is not JSON");
    od::object object;
    VG_OD_TRY(doc.get_object().get(object), "the answer is not a JSON object");
    for (auto field_result : object) {
      od::field field;
      VG_OD_TRY(field_result.get(field), "malformed JSON object");
      std::string_view key;
      VG_OD_TRY(field.unescaped_key().get(key), "malformed key");
      od::value value = field.value();
      if (key == "ids") {
        RETURN_IF_ERROR(ParseIds(value));
      } else if (key == "embeddings") {
        RETURN_IF_ERROR(ParseEmbeddings(value));
      } else if (key == "documents") {
        RETURN_IF_ERROR(ParseDocuments(value));
      } else if (key == "metadatas") {
        RETURN_IF_ERROR(ParseMetadatas(value));
      }
      // Other keys ("uris", "include") are skipped by the iterator.
    }
    return Status::Ok();
  }

 private:
  // True (and no error) if `value` is JSON null.
  Result<bool> IsNull(od::value& value) {
    bool is_null = false;
    VG_OD_TRY(value.is_null().get(is_null), "malformed value");
    return is_null;
  }

  Status ParseIds(od::value& value) {
    od::array array;
    VG_OD_TRY(value.get_array().get(array), "\"ids\" is not an array");
    for (auto element : array) {
      std::string_view id;
      VG_OD_TRY(element.get_string().get(id), "an id is not a string");
      page_.ids.emplace_back(id);
    }
    page_.have_ids = true;
    return Status::Ok();
  }

  Status ParseEmbeddings(od::value& value) {
    ASSIGN_OR_RETURN(bool is_null, IsNull(value));
    if (is_null) return Status::Ok();
    od::array rows;
    VG_OD_TRY(value.get_array().get(rows), "\"embeddings\" is not an array");
    RecordBatch& out = *page_.out;
    std::vector<float>& values = out.mutable_values();
    size_t row_index = 0;
    for (auto row_result : rows) {
      od::array row;
      if (row_result.get_array().get(row) != simdjson::SUCCESS) {
        // Chroma sends null for a record without an embedding.
        bool row_is_null = false;
        if (row_result.is_null().get(row_is_null) != simdjson::SUCCESS ||
            !row_is_null) {
          return Corruption(prefix_ + "embedding row " +
                            std::to_string(row_index) +
                            " is neither an array of numbers nor null");
        }
      } else {
        const size_t start = values.size();
        for (auto component : row) {
          double v;
          if (component.get_double().get(v) != simdjson::SUCCESS) {
            return Corruption(prefix_ + "embedding row " +
                              std::to_string(row_index) + ", component " +
                              std::to_string(values.size() - start) +
                              " is not a number");
          }
          values.push_back(static_cast<float>(v));
        }
        if (row_index == 0) {
          // Now the dimension is known: room for the rest of the page.
          const size_t dim = values.size() - start;
          const size_t expected_rows = std::max<size_t>(page_.ids.size(), 1);
          values.reserve(start + dim * expected_rows);
        }
      }
      out.AppendRowMeta(std::string(), std::nullopt, std::nullopt);
      ++row_index;
    }
    page_.embedding_rows = row_index;
    page_.have_embeddings = true;
    return Status::Ok();
  }

  Status ParseDocuments(od::value& value) {
    ASSIGN_OR_RETURN(bool is_null, IsNull(value));
    if (is_null) return Status::Ok();
    od::array array;
    VG_OD_TRY(value.get_array().get(array), "\"documents\" is not an array");
    for (auto element : array) {
      std::string_view text;
      if (element.get_string().get(text) == simdjson::SUCCESS) {
        page_.documents.emplace_back(std::string(text));
        continue;
      }
      bool element_is_null = false;
      if (element.is_null().get(element_is_null) != simdjson::SUCCESS ||
          !element_is_null) {
        return Corruption(prefix_ + "document " +
                          std::to_string(page_.documents.size()) +
                          " is neither a string nor null");
      }
      page_.documents.emplace_back(std::nullopt);
    }
    page_.have_documents = true;
    return Status::Ok();
  }

  Status ParseMetadataValue(od::value& value, size_t row, std::string_view key,
                            MetadataValue* out) {
    od::json_type type;
    VG_OD_TRY(value.type().get(type), "malformed metadata value");
    switch (type) {
      case od::json_type::string: {
        std::string_view text;
        VG_OD_TRY(value.get_string().get(text), "malformed metadata string");
        *out = std::string(text);
        return Status::Ok();
      }
      case od::json_type::boolean: {
        bool b;
        VG_OD_TRY(value.get_bool().get(b), "malformed metadata boolean");
        *out = b;
        return Status::Ok();
      }
      case od::json_type::null:
        *out = std::monostate();
        return Status::Ok();
      case od::json_type::number: {
        od::number number;
        if (value.get_number().get(number) != simdjson::SUCCESS) {
          // Integers beyond 64 bits: read the text.
          std::string_view raw = value.raw_json_token();
          *out = NumberFromText(raw);
          return Status::Ok();
        }
        switch (number.get_number_type()) {
          case od::number_type::signed_integer:
            *out = number.get_int64();
            break;
          case od::number_type::unsigned_integer:
            *out = static_cast<double>(number.get_uint64());
            break;
          case od::number_type::floating_point_number:
            *out = number.get_double();
            break;
        }
        return Status::Ok();
      }
      default:
        return Corruption(prefix_ + "metadata " + std::to_string(row) +
                          ", key '" + std::string(key) +
                          "' is an object or array (expected a string, "
                          "number, boolean or null)");
    }
  }

  Status ParseMetadatas(od::value& value) {
    ASSIGN_OR_RETURN(bool is_null, IsNull(value));
    if (is_null) return Status::Ok();
    od::array array;
    VG_OD_TRY(value.get_array().get(array), "\"metadatas\" is not an array");
    for (auto element : array) {
      const size_t row = page_.metadatas.size();
      od::object object;
      if (element.get_object().get(object) != simdjson::SUCCESS) {
        bool element_is_null = false;
        if (element.is_null().get(element_is_null) != simdjson::SUCCESS ||
            !element_is_null) {
          return Corruption(prefix_ + "metadata " + std::to_string(row) +
                            " is neither an object nor null");
        }
        page_.metadatas.emplace_back(std::nullopt);
        continue;
      }
      Metadata metadata;
      for (auto field_result : object) {
        od::field field;
        VG_OD_TRY(field_result.get(field), "malformed metadata object");
        std::string_view key;
        VG_OD_TRY(field.unescaped_key().get(key), "malformed metadata key");
        std::string key_copy(key);
        od::value field_value = field.value();
        MetadataValue parsed;
        RETURN_IF_ERROR(ParseMetadataValue(field_value, row, key_copy, &parsed));
        metadata.insert_or_assign(std::move(key_copy), std::move(parsed));
      }
      page_.metadatas.emplace_back(std::move(metadata));
    }
    page_.have_metadatas = true;
    return Status::Ok();
  }

  PageColumns& page_;
  const std::string prefix_;
};

#undef VG_OD_TRY

// ---------------------------------------------------------------------- DOM

namespace dom = simdjson::dom;

class DomPage {
 public:
  DomPage(PageColumns& page, const PageContext& context)
      : page_(page), prefix_(PageErrorPrefix(context)) {}

  Status Parse(dom::parser& parser, const char* body, size_t size) {
    dom::element root;
    auto error = parser.parse(body, size, /*realloc_if_needed=*/false).get(root);
    if (error) return Fail("the answer is not JSON", error);
    dom::object object;
    if ((error = root.get_object().get(object))) {
      return Fail("the answer is not a JSON object", error);
    }
    for (dom::key_value_pair field : object) {
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
    page_.ids.reserve(array.size());
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
          return Fail("embedding row " + std::to_string(row_index) +
                          " is not an array",
                      error);
        }
        if (row_index == 0) {
          values.reserve(values.size() + row.size() * rows.size());
        }
        for (dom::element component : row) {
          double v;
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
      dom::object object;
      if (auto error = element.get_object().get(object)) {
        return Fail("metadata " + std::to_string(row) +
                        " is neither an object nor null",
                    error);
      }
      Metadata metadata;
      for (dom::key_value_pair field : object) {
        MetadataValue parsed;
        switch (field.value.type()) {
          case dom::element_type::STRING:
            parsed = std::string(field.value.get_string().value_unsafe());
            break;
          case dom::element_type::INT64:
            parsed = field.value.get_int64().value_unsafe();
            break;
          case dom::element_type::UINT64:
            parsed = static_cast<double>(field.value.get_uint64().value_unsafe());
            break;
          case dom::element_type::DOUBLE:
            parsed = field.value.get_double().value_unsafe();
            break;
          case dom::element_type::BOOL:
            parsed = field.value.get_bool().value_unsafe();
            break;
          case dom::element_type::NULL_VALUE:
            break;
          default:
            return Corruption(prefix_ + "metadata " + std::to_string(row) +
                              ", key '" + std::string(field.key) +
                              "' is an object or array (expected a string, "
                              "number, boolean or null)");
        }
        metadata.insert_or_assign(std::string(field.key), std::move(parsed));
      }
      page_.metadatas.emplace_back(std::move(metadata));
    }
    page_.have_metadatas = true;
    return Status::Ok();
  }

  PageColumns& page_;
  const std::string prefix_;
};

}  // namespace

struct ChromaPageDecoder::Impl {
  od::parser on_demand;
  dom::parser dom;
};

ChromaPageDecoder::ChromaPageDecoder(JsonEngine engine)
    : engine_(engine), impl_(std::make_unique<Impl>()) {}

ChromaPageDecoder::~ChromaPageDecoder() = default;

Status ChromaPageDecoder::Decode(const char* body, size_t size,
                                 size_t capacity, const Include& include,
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
    if (engine_ == JsonEngine::kOnDemand) {
      OnDemandPage parser(page, context);
      RETURN_IF_ERROR(parser.Parse(impl_->on_demand, body, size, capacity));
    } else {
      DomPage parser(page, context);
      RETURN_IF_ERROR(parser.Parse(impl_->dom, body, size));
    }
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
