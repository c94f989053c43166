// The JSON of records; see record_json.h.
#include "codec/record_json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/text.h"

namespace vecgate {

static_assert(simdjson::SIMDJSON_PADDING <= kJsonPadding,
              "kJsonPadding must cover simdjson's padding");

namespace dom = simdjson::dom;

bool JsonDepthWithin(std::string_view text, size_t max_depth) {
  return JsonTooDeepAt(text, max_depth) == std::string_view::npos;
}

// ------------------------------------------------------------------ Writing

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

bool IsUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
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

Status AppendJsonText(std::string_view text, const std::string& what,
                      std::string* out) {
  if (!IsUtf8(text)) return InvalidArgument(what + " is not valid UTF-8");
  AppendJsonString(text, out);
  return Status::Ok();
}

void AppendJsonInt(int64_t value, std::string* out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, static_cast<size_t>(result.ptr - buffer));
}

void AppendJsonDouble(double value, std::string* out) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
  out->append(text);
  if (text.find_first_of(".eE") == std::string_view::npos) out->append(".0");
}

void AppendJsonDoublePlain(double value, std::string* out) {
  // The longest texts: DBL_MAX, 309 digits before the point, and the
  // smallest subnormal, 0. and 324 digits (shortest digits, fixed form).
  char buffer[400];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                    std::chars_format::fixed);
  std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
  out->append(text);
  if (text.find('.') == std::string_view::npos) out->append(".0");
}

void AppendJsonFloat(float value, std::string* out) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, static_cast<size_t>(result.ptr - buffer));
}

void AppendEmbeddingJson(const float* values, size_t size, std::string* out) {
  out->push_back('[');
  for (size_t k = 0; k < size; ++k) {
    if (k > 0) out->push_back(',');
    const float v = values[k];
    if (std::isnan(v)) {
      out->append("\"NaN\"");
    } else if (std::isinf(v)) {
      out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
      AppendJsonFloat(v, out);
    }
  }
  out->push_back(']');
}

namespace {

// Appends one non-null scalar (a metadata value or an array element).
// `what` names it in errors ("record 'r1', metadata 'k'").
Status AppendScalarJson(const MetadataValue& value, const std::string& what,
                        MetadataDoubles doubles, std::string* out) {
  if (auto* text = std::get_if<std::string>(&value)) {
    return AppendJsonText(*text, what, out);
  } else if (auto* i = std::get_if<int64_t>(&value)) {
    AppendJsonInt(*i, out);
  } else if (auto* d = std::get_if<double>(&value)) {
    if (!std::isfinite(*d)) {
      return InvalidArgument(what + ": the value " + MetadataValueToString(value) +
                             " is not finite, which JSON cannot hold");
    }
    if (doubles == MetadataDoubles::kPlain) {
      AppendJsonDoublePlain(*d, out);
    } else {
      AppendJsonDouble(*d, out);
    }
  } else if (auto* b = std::get_if<bool>(&value)) {
    out->append(*b ? "true" : "false");
  }
  return Status::Ok();
}

}  // namespace

Status AppendMetadataJson(const Metadata& metadata, const std::string& owner,
                          MetadataNulls nulls, MetadataDoubles doubles,
                          std::string* out) {
  bool first = true;
  for (const auto& [key, value] : metadata) {
    const bool is_null = std::holds_alternative<std::monostate>(value);
    if (is_null && nulls == MetadataNulls::kOmit) continue;
    if (!IsUtf8(key)) {
      return InvalidArgument(owner + ": a metadata key is not valid UTF-8");
    }
    out->push_back(first ? '{' : ',');
    first = false;
    AppendJsonString(key, out);
    out->push_back(':');
    const std::string what = owner + ", metadata '" + Printable(key, true) + "'";
    if (is_null) {
      out->append("null");
    } else if (auto* array = std::get_if<MetadataArray>(&value)) {
      out->push_back('[');
      for (size_t k = 0; k < array->size(); ++k) {
        if (k > 0) out->push_back(',');
        RETURN_IF_ERROR(AppendScalarJson(ScalarToValue((*array)[k]),
                                         what + " element " + std::to_string(k),
                                         doubles, out));
      }
      out->push_back(']');
    } else if (auto* nested = std::get_if<NestedJson>(&value)) {
      // Kept as the reader canonicalised it; text made in code is checked.
      auto parsed = ParseJsonBounded(nested->json, what);
      if (!parsed.ok()) return InvalidArgument(parsed.status().message());
      out->append(DumpJson(*parsed));
    } else {
      RETURN_IF_ERROR(AppendScalarJson(value, what, doubles, out));
    }
  }
  if (!first) {
    out->push_back('}');
  } else {
    out->append(nulls == MetadataNulls::kOmit ? "null" : "{}");
  }
  return Status::Ok();
}

Status AppendCollectionInfoJson(const CollectionInfo& info, std::string* out) {
  const std::string owner = "collection '" + Printable(info.name, true) + "'";
  std::string config = "{}";
  if (!info.configuration_json.empty()) {
    auto j = ParseJsonBounded(info.configuration_json, "the configuration of " + owner);
    if (!j.ok()) return InvalidArgument(j.status().message());
    if (!j->is_object() && !j->is_null()) {
      return InvalidArgument("the configuration of " + owner + " is not a JSON object");
    }
    if (j->is_object()) config = DumpJson(*j);
  }
  out->append("{\"name\":");
  RETURN_IF_ERROR(AppendJsonText(info.name, "a collection name", out));
  out->append(",\"metadata\":");
  RETURN_IF_ERROR(
      AppendMetadataJson(info.metadata, owner, MetadataNulls::kWrite, out));
  out->append(",\"configuration\":");
  out->append(config);
  out->append(",\"space\":\"");
  out->append(DistanceSpaceName(info.space));
  out->append("\",\"dimension\":");
  AppendJsonInt(info.dimension, out);
  out->push_back('}');
  return Status::Ok();
}

nlohmann::json MetadataToJson(const Metadata& metadata) {
  nlohmann::json out = nlohmann::json::object();
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
    } else if (auto* array = std::get_if<MetadataArray>(&value)) {
      nlohmann::json list = nlohmann::json::array();
      for (const MetadataScalar& e : *array) {
        std::visit([&list](const auto& v) { list.push_back(v); }, e);
      }
      out[key] = std::move(list);
    } else if (auto* nested = std::get_if<NestedJson>(&value)) {
      auto parsed = ParseJsonBounded(nested->json, "metadata '" + key + "'");
      out[key] = parsed.ok() ? std::move(*parsed) : nlohmann::json(nested->json);
    }
  }
  return out;
}

nlohmann::json CollectionInfoToJson(const CollectionInfo& info) {
  // Callers that write a configuration check it first (ParseJsonBounded);
  // one that is not JSON, or nests too deep, is written as {}.
  auto parsed = ParseJsonBounded(info.configuration_json, "configuration");
  nlohmann::json configuration =
      parsed.ok() ? std::move(*parsed) : nlohmann::json::object();
  return nlohmann::json{{"name", info.name},
                        {"metadata", MetadataToJson(info.metadata)},
                        {"configuration", std::move(configuration)},
                        {"space", DistanceSpaceName(info.space)},
                        {"dimension", info.dimension}};
}

// ------------------------------------------------------------------ Reading

const char* JsonTypeName(dom::element_type type) {
  switch (type) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "an unknown value";
}

Result<Metadata> MetadataFromDom(dom::element value, const std::string& where,
                                 const MetadataReadRules& rules) {
  dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return Corruption(where + " is " + JsonTypeName(value.type()) +
                      "; expected an object");
  }
  Metadata metadata;
  for (dom::key_value_pair field : object) {
    std::string key(field.key);
    if (rules.repeated == RepeatedKeys::kRefuse && metadata.count(key) != 0) {
      return Corruption(where + " has the key '" + Printable(key, true) +
                        "' twice; each key may appear once");
    }
    MetadataValue parsed;
    switch (field.value.type()) {
      case dom::element_type::STRING:
        parsed = std::string(field.value.get_string().value_unsafe());
        break;
      case dom::element_type::INT64:
        parsed = field.value.get_int64().value_unsafe();
        break;
      case dom::element_type::UINT64:
        // simdjson only types an integer UINT64 when it exceeds int64.
        if (rules.large == LargeIntegers::kRefuse) {
          return Corruption(where + " key '" + Printable(key, true) +
                            "' is an integer outside the int64 range");
        }
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
      case dom::element_type::ARRAY: {
        // A list of scalars (Chroma 1.5's arrays) is an array value.
        MetadataArray list;
        bool flat = true;
        dom::array elements;
        if (field.value.get_array().get(elements) != simdjson::SUCCESS) {
          return Corruption(where + " key '" + Printable(key, true) + "' is not a readable list");
        }
        for (dom::element e : elements) {
          switch (e.type()) {
            case dom::element_type::STRING:
              list.emplace_back(std::string(e.get_string().value_unsafe()));
              break;
            case dom::element_type::INT64:
              list.emplace_back(e.get_int64().value_unsafe());
              break;
            case dom::element_type::UINT64:
              if (rules.large == LargeIntegers::kRefuse) {
                return Corruption(where + " key '" + Printable(key, true) +
                                  "' holds an integer outside the int64 range");
              }
              list.emplace_back(static_cast<double>(e.get_uint64().value_unsafe()));
              break;
            case dom::element_type::DOUBLE:
              list.emplace_back(e.get_double().value_unsafe());
              break;
            case dom::element_type::BOOL:
              list.emplace_back(e.get_bool().value_unsafe());
              break;
            default:
              flat = false;
          }
          if (!flat) break;
        }
        if (flat) {
          parsed = std::move(list);
          break;
        }
        [[fallthrough]];
      }
      case dom::element_type::OBJECT: {
        // Nested JSON: kept as its canonical text (simdjson writes numbers
        // in a form nlohmann reads back exactly), never a stopped read.
        std::string text;
        try {
          text = DumpJson(nlohmann::json::parse(simdjson::to_string(field.value)));
        } catch (const nlohmann::json::exception& e) {
          return Corruption(where + " key '" + Printable(key, true) +
                            "' is not JSON: " + e.what());
        }
        if (rules.nested == NestedValues::kAsJsonText) {
          parsed = std::move(text);
        } else {
          parsed = NestedJson{std::move(text)};
        }
        break;
      }
      default:
        return Corruption(where + " key '" + Printable(key, true) + "' is " +
                          JsonTypeName(field.value.type()) +
                          "; values must be a string, number, boolean, list or null");
    }
    metadata.insert_or_assign(std::move(key), std::move(parsed));
  }
  return metadata;
}

Result<CollectionInfo> CollectionInfoFromDom(dom::element value,
                                             const std::string& where) {
  dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return Corruption("\"" + where + "\" must be an object");
  }
  auto field_error = [&](std::string_view key, const std::string& what) {
    return Corruption("\"" + where + "." + std::string(key) + "\" " + what);
  };
  CollectionInfo info;
  bool has_name = false;
  std::vector<std::string_view> keys;
  for (dom::key_value_pair field : object) {
    const std::string_view key = field.key;
    for (std::string_view k : keys) {
      if (k == key) {
        return Corruption("\"" + where + "\" has the key \"" +
                          Printable(key, true) +
                          "\" twice; each key may appear once");
      }
    }
    keys.push_back(key);
    const dom::element v = field.value;
    const dom::element_type type = v.type();
    const std::string got = std::string("is ") + JsonTypeName(type);
    if (key == "name") {
      if (type != dom::element_type::STRING) {
        return field_error(key, got + "; expected a string");
      }
      info.name = std::string(v.get_string().value_unsafe());
      has_name = true;
    } else if (key == "metadata") {
      if (type == dom::element_type::NULL_VALUE) continue;
      if (type != dom::element_type::OBJECT) {
        return field_error(key, got + "; expected an object or null");
      }
      ASSIGN_OR_RETURN(info.metadata,
                       MetadataFromDom(v, where + ".metadata",
                                       LargeIntegers::kRefuse));
    } else if (key == "configuration") {
      if (type == dom::element_type::NULL_VALUE) continue;
      if (type != dom::element_type::OBJECT) {
        return field_error(key, got + "; expected an object or null");
      }
      // Kept in nlohmann's canonical form, as AppendCollectionInfoJson
      // writes it, so that a header reads back byte for byte.
      try {
        info.configuration_json =
            DumpJson(nlohmann::json::parse(simdjson::to_string(v)));
      } catch (const nlohmann::json::exception& e) {
        return field_error(key, std::string("is not JSON: ") + e.what());
      }
    } else if (key == "space") {
      if (type != dom::element_type::STRING) {
        return field_error(key, got + "; expected a string");
      }
      const std::string space(v.get_string().value_unsafe());
      auto parsed = ParseDistanceSpace(space);
      if (!parsed) {
        return field_error(key, "is \"" + Printable(space, true) +
                                    "\"; expected \"cosine\", \"l2\" or \"ip\"");
      }
      info.space = *parsed;
    } else if (key == "dimension") {
      int64_t d = -1;
      if (type != dom::element_type::INT64 ||
          v.get_int64().get(d) != simdjson::SUCCESS || d < 0) {
        return field_error(key, "must be a non-negative integer");
      }
      if (d > kMaxDimension) {
        return field_error(key, "is " + std::to_string(d) +
                                    ", more than the " +
                                    std::to_string(kMaxDimension) +
                                    " vecgate accepts; the header is damaged");
      }
      info.dimension = d;
    }
  }
  if (!has_name || info.name.empty()) {
    return Corruption("\"" + where + "\" header has no \"name\"");
  }
  return info;
}

namespace {

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Parses a JSON number at p into the nearest float32 and returns the end of
// the number, or nullptr when the fast path does not apply (the caller then
// uses std::from_chars, which is exact but about three times slower).
//
// Fast path (Clinger): a mantissa w < 2^53 and a decimal exponent |e| <= 22
// are both exact doubles, so d = w * 10^e (or w / 10^-e) is the correctly
// rounded double of the decimal x. Rounding d to float equals rounding x to
// float unless d is exactly halfway between two floats (a float midpoint
// between x and d would be a double nearer to x than d), so midpoints, and
// subnormal or overflowing results, take the slow path.
const char* ParseFloatFast(const char* p, const char* end, float* out) {
  static constexpr double kPow10[] = {
      1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  if (p == end || *p < '0' || *p > '9') return nullptr;
  uint64_t w = 0;
  int digits = 0;    // significant digits in w
  int exponent = 0;  // decimal exponent of w's last digit
  if (*p == '0') {
    ++p;
  } else {
    while (p < end && *p >= '0' && *p <= '9') {
      w = w * 10 + static_cast<uint64_t>(*p - '0');
      if (++digits > 18) return nullptr;
      ++p;
    }
  }
  if (p < end && *p == '.') {
    ++p;
    if (p == end || *p < '0' || *p > '9') return nullptr;
    while (p < end && *p >= '0' && *p <= '9') {
      w = w * 10 + static_cast<uint64_t>(*p - '0');
      if (w != 0 && ++digits > 18) return nullptr;
      --exponent;
      ++p;
    }
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool exp_negative = false;
    if (p < end && (*p == '+' || *p == '-')) exp_negative = *p++ == '-';
    if (p == end || *p < '0' || *p > '9') return nullptr;
    int e = 0;
    while (p < end && *p >= '0' && *p <= '9') {
      if (e < 10000) e = e * 10 + (*p - '0');
      ++p;
    }
    exponent += exp_negative ? -e : e;
  }
  if (w > (uint64_t{1} << 53) || exponent < -22 || exponent > 22) return nullptr;
  double d = static_cast<double>(w);
  d = exponent < 0 ? d / kPow10[-exponent] : d * kPow10[exponent];
  if (w != 0) {
    if (!(d >= 0x1p-126 && d < 0x1p127)) return nullptr;  // subnormal / big
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof(bits));
    // 52 - 23 = 29 mantissa bits below float precision: a midpoint has
    // exactly the top one of them set.
    if ((bits & ((uint64_t{1} << 29) - 1)) == (uint64_t{1} << 28)) return nullptr;
  }
  const float f = static_cast<float>(d);
  *out = negative ? -f : f;
  return p;
}

}  // namespace

bool ParseEmbeddingJson(std::string_view text, std::vector<float>* out,
                        std::string* what) {
  const size_t old_size = out->size();
  const char* p = text.data();
  const char* end = p + text.size();
  auto fail = [&](std::string msg) {
    out->resize(old_size);
    *what = std::move(msg);
    return false;
  };
  auto skip_space = [&] {
    while (p < end && IsJsonSpace(*p)) ++p;
  };
  skip_space();
  if (p == end || *p != '[') return fail("embedding is not an array");
  ++p;
  skip_space();
  if (p < end && *p == ']') return true;
  size_t index = 0;
  while (true) {
    skip_space();
    if (p == end) return fail("embedding array is not closed");
    float value = 0;
    if (*p == '"') {
      const char* q = static_cast<const char*>(std::memchr(p + 1, '"', end - p - 1));
      if (q == nullptr) return fail("embedding array has an unterminated string");
      std::string_view s(p + 1, static_cast<size_t>(q - p - 1));
      if (s == "NaN") {
        value = std::numeric_limits<float>::quiet_NaN();
      } else if (s == "Infinity") {
        value = std::numeric_limits<float>::infinity();
      } else if (s == "-Infinity") {
        value = -std::numeric_limits<float>::infinity();
      } else {
        return fail("embedding component " + std::to_string(index) +
                    " is the string \"" + std::string(s.substr(0, 40)) +
                    "\"; expected a number, \"NaN\", \"Infinity\" or "
                    "\"-Infinity\"");
      }
      p = q + 1;
    } else {
      const char* digits = (*p == '-') ? p + 1 : p;
      if (digits == end || *digits < '0' || *digits > '9') {
        size_t n = 0;
        while (p + n < end && n < 20 && p[n] != ',' && p[n] != ']') ++n;
        return fail("embedding component " + std::to_string(index) + " (" +
                    std::string(p, n) + ") is not a number");
      }
      const char* fast_end = ParseFloatFast(p, end, &value);
      if (fast_end != nullptr) {
        p = fast_end;
      } else {
        auto [next, ec] = std::from_chars(p, end, value);
        if (ec == std::errc::result_out_of_range) {
          double wide = 0;
          auto [next_wide, ec_wide] = std::from_chars(p, end, wide);
          if (ec_wide != std::errc() || !(std::fabs(wide) < 1.0)) {
            return fail("embedding component " + std::to_string(index) + " (" +
                        std::string(p, static_cast<size_t>(next_wide - p)) +
                        ") is outside the float32 range");
          }
          value = static_cast<float>(wide);  // underflows to zero or subnormal
          next = next_wide;
        } else if (ec != std::errc()) {
          return fail("embedding component " + std::to_string(index) +
                      " is not a number");
        }
        p = next;
      }
    }
    if (index >= static_cast<size_t>(kMaxDimension)) {
      return fail("embedding has more than " + std::to_string(kMaxDimension) +
                  " components; vecgate accepts at most that many");
    }
    out->push_back(value);
    ++index;
    skip_space();
    if (p == end) return fail("embedding array is not closed");
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p == ']') {
      ++p;
      skip_space();
      if (p != end) return fail("unexpected text after the embedding array");
      return true;
    }
    return fail("embedding component " + std::to_string(index - 1) +
                " is followed by '" + std::string(1, *p) +
                "'; expected ',' or ']'");
  }
}

RecordJsonReader::RecordJsonReader() {
  // Sets the depth limit; capacity grows with the texts and keeps it. On
  // failure the parser stays empty and reports the error on first use.
  if (parser_.allocate(4096, kMaxJsonDepth) != simdjson::SUCCESS) return;
}

RecordJsonReader::~RecordJsonReader() = default;

Result<dom::element> RecordJsonReader::Parse(const char* text, size_t size,
                                             size_t capacity,
                                             const std::string& where) {
  dom::element root;
  const bool padded = capacity >= size + simdjson::SIMDJSON_PADDING;
  const auto error =
      parser_.parse(text, size, /*realloc_if_needed=*/!padded).get(root);
  if (error == simdjson::DEPTH_ERROR) {
    return Corruption(where + ": JSON nested deeper than " +
                      std::to_string(kMaxJsonDepth) + " levels");
  }
  if (error) {
    return Corruption(where + ": not JSON (" +
                      simdjson::error_message(error) + ")");
  }
  return root;
}

Result<Metadata> RecordJsonReader::ParseMetadata(std::string_view text,
                                                 size_t capacity,
                                                 const std::string& where,
                                                 LargeIntegers large) {
  ASSIGN_OR_RETURN(dom::element root,
                   Parse(text.data(), text.size(), capacity, where));
  return MetadataFromDom(root, where, large);
}

Result<Metadata> JsonToMetadata(const nlohmann::json& json,
                                const std::string& where,
                                const MetadataReadRules& rules) {
  const std::string text = DumpJson(json);
  RecordJsonReader reader;
  ASSIGN_OR_RETURN(dom::element root, reader.Parse(text, where));
  return MetadataFromDom(root, where, rules);
}

}  // namespace vecgate
