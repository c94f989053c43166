// The jsonl: store (format and behaviour are described in jsonl_store.h).
//
// Reading: a LineReader pulls lines out of a gzFile (zlib reads plain files
// transparently) into a padded buffer, and simdjson's On Demand parser walks
// each line in place. Embedding arrays are taken as raw text and parsed with
// std::from_chars<float>, which rounds each decimal straight to float32.
// Writing: lines are serialised by hand (no DOM), buffered, and appended
// through the Env, deflated into gzip members for ".gz" paths.
#include "stores/jsonl_store.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/text.h"
#include "stores/chroma_page_decoder.h"

namespace vecgate {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kReadChunk = 1 << 20;            // bytes per gzread
constexpr size_t kMaxLineBytes = size_t{1} << 28;  // 256 MiB: surely damage
constexpr size_t kWriteBufferBytes = 4 << 20;      // flush threshold
// Deepest JSON nesting accepted in a line (records nest three levels).
constexpr int kGzipLevel = 1;  // float text: level 1 is ~3x faster than 6
                               // for a few percent larger files

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

const char* JsonTypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown value";
}

// ---------------------------------------------------------------------------
// Reading lines.

// Streams the lines of a (possibly gzip) file. Each returned line is followed
// in memory by at least SIMDJSON_PADDING readable bytes, as simdjson needs.
class LineReader {
 public:
  ~LineReader() {
    if (file_ != nullptr) gzclose(file_);
  }

  // NotFound / IoError when the file cannot be opened.
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) {
      int err = errno;
      std::string msg = "cannot open jsonl file '" + path +
                        "': " + (err != 0 ? std::strerror(err) : "out of memory");
      if (err == ENOENT) return NotFound(msg);
      return IoError(msg);
    }
    gzbuffer(f, 1 << 17);
    std::unique_ptr<LineReader> r(new LineReader(path, f));
    return r;
  }

  // Positions the reader at uncompressed byte `offset`, where line number
  // `line_number` starts.
  Status Seek(uint64_t offset, int64_t line_number) {
    if (gzseek(file_, static_cast<z_off_t>(offset), SEEK_SET) < 0) {
      return ReadError("cannot seek in");
    }
    begin_ = end_ = 0;
    base_ = offset;
    eof_ = false;
    line_number_ = line_number - 1;
    return Status::Ok();
  }

  // Sets *line to the next line without its "\n" (or "\r\n") and *offset to
  // the uncompressed offset where it starts. Returns false at end of file.
  Result<bool> Next(std::string_view* line, uint64_t* offset) {
    while (true) {
      const char* start = buf_.data() + begin_;
      const void* nl = std::memchr(start, '\n', end_ - begin_);
      if (nl != nullptr || (eof_ && end_ > begin_)) {
        const char* stop =
            nl != nullptr ? static_cast<const char*>(nl) : buf_.data() + end_;
        size_t len = static_cast<size_t>(stop - start);
        *offset = base_ + begin_;
        begin_ += len + (nl != nullptr ? 1 : 0);
        ends_with_newline_ = nl != nullptr;
        if (len > 0 && start[len - 1] == '\r') --len;
        *line = std::string_view(start, len);
        ++line_number_;
        return true;
      }
      if (eof_) return false;
      Status s = Fill();
      if (!s.ok()) return s;
    }
  }

  // Bytes readable from `p` (a pointer into the current line) to the end of
  // the buffer, padding included.
  size_t CapacityFrom(const char* p) const {
    return buf_.size() - static_cast<size_t>(p - buf_.data());
  }
  int64_t line_number() const { return line_number_; }
  // Uncompressed offset just past the last line returned.
  uint64_t position() const { return base_ + begin_; }
  // Whether the last line returned ended with a newline.
  bool ends_with_newline() const { return ends_with_newline_; }
  // True once some data was read and the file turned out not to be gzip.
  bool transparent() const { return gzdirect(file_) == 1; }

 private:
  LineReader(std::string path, gzFile f) : path_(std::move(path)), file_(f) {
    buf_.resize(kReadChunk + simdjson::SIMDJSON_PADDING);
  }

  Status ReadError(const char* what) {
    int errnum = 0;
    const char* msg = gzerror(file_, &errnum);
    std::string text = std::string(what) + " jsonl file '" + path_ + "': ";
    if (errnum == Z_ERRNO) return IoError(text + std::strerror(errno));
    if (errnum == Z_BUF_ERROR) {
      return Corruption(text + "the gzip stream is truncated");
    }
    return Corruption(text + (msg != nullptr ? msg : "unknown zlib error"));
  }

  // Reads more data, keeping the unfinished line at the start of the buffer.
  Status Fill() {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      base_ += begin_;
      begin_ = 0;
    }
    size_t usable = buf_.size() - simdjson::SIMDJSON_PADDING;
    if (end_ == usable) {
      if (usable >= kMaxLineBytes) {
        return Corruption("jsonl file '" + path_ + "' line " +
                          std::to_string(line_number_ + 1) + " is longer than " +
                          std::to_string(kMaxLineBytes) +
                          " bytes; the file is damaged or not JSON Lines");
      }
      buf_.resize(usable * 2 + simdjson::SIMDJSON_PADDING);
      usable = buf_.size() - simdjson::SIMDJSON_PADDING;
    }
    size_t want = std::min(usable - end_, size_t{1} << 30);
    int n = gzread(file_, buf_.data() + end_, static_cast<unsigned>(want));
    if (n < 0) return ReadError("cannot read");
    if (n == 0) {
      int errnum = 0;
      gzerror(file_, &errnum);
      if (errnum != Z_OK) return ReadError("cannot read");
      eof_ = true;
    }
    end_ += static_cast<size_t>(n);
    return Status::Ok();
  }

  std::string path_;
  gzFile file_;
  std::vector<char> buf_;
  size_t begin_ = 0;  // start of unread data in buf_
  size_t end_ = 0;    // end of data in buf_
  uint64_t base_ = 0;  // file offset of buf_[0]
  bool eof_ = false;
  bool ends_with_newline_ = true;
  int64_t line_number_ = 0;
};

// ---------------------------------------------------------------------------
// Parsing values.

// Error text for one line; `what` says what is wrong.
class LineContext {
 public:
  LineContext(const std::string& path, int64_t line) : path_(path), line_(line) {}
  // `what` may quote the file's text: it is shown escaped, on one line.
  Status Error(const std::string& what) const {
    return Corruption("jsonl file '" + Printable(path_, true) + "' line " +
                      std::to_string(line_) + ": " +
                      Printable(what.size() > 600 ? what.substr(0, 600) + "..."
                                                  : what,
                                true));
  }
  Status JsonError(const std::string& where, simdjson::error_code e) const {
    return Error(where + ": " + simdjson::error_message(e));
  }

 private:
  const std::string& path_;
  int64_t line_;
};

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
  int digits = 0;     // significant digits in w
  int exponent = 0;   // decimal exponent of w's last digit
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

// Parses the text of a JSON array of float32 components (numbers, or the
// strings "NaN", "Infinity", "-Infinity") and appends them to `out`. On error
// returns false with `*what` set and `out` unchanged past its old size.
bool ParseFloatArray(std::string_view text, std::vector<float>* out,
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

// Reads a JSON object of metadata values into `out`.
Status ParseMetadata(od::value value, const LineContext& ctx,
                     const char* what, Metadata* out) {
  od::object obj;
  if (auto e = value.get_object().get(obj)) return ctx.JsonError(what, e);
  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) return ctx.JsonError(what, e);
    std::string_view key_view;
    if (auto e = field.unescaped_key().get(key_view)) {
      return ctx.JsonError(what, e);
    }
    std::string key(key_view);
    if (out->count(key) != 0) {
      return ctx.Error(std::string(what) + " has the key '" + key +
                       "' twice; each key may appear once");
    }
    od::value v = field.value();
    od::json_type type;
    if (auto e = v.type().get(type)) {
      return ctx.JsonError(std::string(what) + " field '" + key + "'", e);
    }
    auto field_error = [&](simdjson::error_code e) {
      return ctx.JsonError(std::string(what) + " field '" + key + "'", e);
    };
    switch (type) {
      case od::json_type::string: {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return field_error(e);
        (*out)[key] = std::string(s);
        break;
      }
      case od::json_type::number: {
        od::number_type nt;
        if (auto e = v.get_number_type().get(nt)) return field_error(e);
        if (nt == od::number_type::signed_integer) {
          int64_t i;
          if (auto e = v.get_int64().get(i)) return field_error(e);
          (*out)[key] = i;
        } else if (nt == od::number_type::floating_point_number) {
          double d;
          if (auto e = v.get_double().get(d)) return field_error(e);
          (*out)[key] = d;
        } else {
          return ctx.Error(std::string(what) + " field '" + key +
                           "' is an integer outside the int64 range");
        }
        break;
      }
      case od::json_type::boolean: {
        bool b;
        if (auto e = v.get_bool().get(b)) return field_error(e);
        (*out)[key] = b;
        break;
      }
      case od::json_type::null: {
        bool is_null = false;
        if (auto e = v.is_null().get(is_null)) return field_error(e);
        (*out)[key] = std::monostate();
        break;
      }
      default:
        return ctx.Error(std::string(what) + " field '" + key + "' is " +
                         JsonTypeName(type) +
                         "; values must be a string, number, boolean or null");
    }
  }
  return Status::Ok();
}

// Whether the On Demand iterator consumed the whole line (nothing follows
// the top-level value).
bool AtEnd(od::document& doc) {
  return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

// Reads a string value (`field` names it in errors).
Status ParseString(od::value value, const LineContext& ctx, const char* field,
                   std::string* out) {
  od::json_type type;
  if (auto e = value.type().get(type)) return ctx.JsonError(field, e);
  if (type != od::json_type::string) {
    return ctx.Error(std::string("\"") + field + "\" is " + JsonTypeName(type) +
                     "; expected a string");
  }
  std::string_view s;
  if (auto e = value.get_string().get(s)) return ctx.JsonError(field, e);
  out->assign(s.data(), s.size());
  return Status::Ok();
}

// Reads a `_collection` header object.
Status ParseHeader(od::value value, const LineContext& ctx,
                   CollectionInfo* info) {
  od::object obj;
  if (auto e = value.get_object().get(obj)) {
    return ctx.JsonError("\"_collection\" must be an object", e);
  }
  bool has_name = false;
  std::vector<std::string> keys;
  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) return ctx.JsonError("_collection", e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) {
      return ctx.JsonError("_collection", e);
    }
    for (const std::string& k : keys) {
      if (k == key) {
        return ctx.Error("\"_collection\" has the key \"" + k +
                         "\" twice; each key may appear once");
      }
    }
    keys.emplace_back(key);
    od::value v = field.value();
    od::json_type type;
    if (auto e = v.type().get(type)) return ctx.JsonError("_collection", e);
    if (key == "name") {
      RETURN_IF_ERROR(ParseString(v, ctx, "_collection.name", &info->name));
      has_name = true;
    } else if (key == "metadata") {
      if (type == od::json_type::null) continue;
      if (type != od::json_type::object) {
        return ctx.Error(std::string("\"_collection.metadata\" is ") +
                         JsonTypeName(type) + "; expected an object or null");
      }
      RETURN_IF_ERROR(ParseMetadata(v, ctx, "_collection.metadata",
                                    &info->metadata));
    } else if (key == "configuration") {
      if (type == od::json_type::null) continue;
      if (type != od::json_type::object) {
        return ctx.Error(std::string("\"_collection.configuration\" is ") +
                         JsonTypeName(type) + "; expected an object or null");
      }
      od::object cfg;
      std::string_view raw;
      if (auto e = v.get_object().get(cfg)) {
        return ctx.JsonError("_collection.configuration", e);
      }
      if (auto e = cfg.raw_json().get(raw)) {
        return ctx.JsonError("_collection.configuration", e);
      }
      try {
        info->configuration_json = nlohmann::json::parse(raw).dump();
      } catch (const nlohmann::json::exception& ex) {
        return ctx.Error(std::string("\"_collection.configuration\": ") +
                         ex.what());
      }
    } else if (key == "space") {
      std::string space;
      RETURN_IF_ERROR(ParseString(v, ctx, "_collection.space", &space));
      auto parsed = ParseDistanceSpace(space);
      if (!parsed) {
        return ctx.Error("\"_collection.space\" is \"" + space +
                         "\"; expected \"cosine\", \"l2\" or \"ip\"");
      }
      info->space = *parsed;
    } else if (key == "dimension") {
      int64_t d = -1;
      if (type != od::json_type::number || v.get_int64().get(d) || d < 0) {
        return ctx.Error(
            "\"_collection.dimension\" must be a non-negative integer");
      }
      if (d > kMaxDimension) {
        return ctx.Error("\"_collection.dimension\" is " + std::to_string(d) +
                         ", more than the " + std::to_string(kMaxDimension) +
                         " vecgate accepts; the header is damaged");
      }
      info->dimension = d;
    }
  }
  if (!has_name || info->name.empty()) {
    return ctx.Error("\"_collection\" header has no \"name\"");
  }
  return Status::Ok();
}

// What the index pass needs from one line.
struct IndexedLine {
  bool blank = false;
  bool is_header = false;
  CollectionInfo header;
  std::string collection;
  size_t embedding_size = 0;
};

// The light parse of the index pass: kind, collection, id present, and the
// embedding's length when `want_dimension` (the collection's is not known).
Status IndexLine(od::parser& parser, std::string_view line, size_t capacity,
                 const LineContext& ctx,
                 const std::unordered_map<std::string, size_t>& known_dims,
                 IndexedLine* out) {
  size_t first = 0;
  while (first < line.size() && IsJsonSpace(line[first])) ++first;
  if (first == line.size()) {
    out->blank = true;
    return Status::Ok();
  }
  // On Demand skips values it is not asked for without counting their
  // depth: bound the nesting of the whole line first.
  if (!JsonDepthWithin(line, kMaxJsonDepth)) {
    return ctx.Error("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  od::document doc;
  if (auto e = parser.iterate(simdjson::padded_string_view(line.data(),
                                                          line.size(), capacity))
                   .get(doc)) {
    return ctx.JsonError("not JSON", e);
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    return ctx.JsonError("not a JSON object", e);
  }
  bool has_collection = false;
  bool has_id = false;
  bool embedding_seen = false;
  const char* record_key = nullptr;  // a record field seen on this line
  std::vector<std::string> keys;
  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) return ctx.JsonError("not JSON", e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) {
      return ctx.JsonError("not JSON", e);
    }
    for (const std::string& k : keys) {
      if (k == key) {
        return ctx.Error("the key \"" + k +
                         "\" appears twice on the line; each key may "
                         "appear once");
      }
    }
    keys.emplace_back(key);
    for (const char* name : {"collection", "id", "document", "metadata",
                             "embedding"}) {
      if (key == name) record_key = name;
    }
    if (out->is_header && record_key != nullptr) {
      return ctx.Error(std::string("the line has both \"_collection\" and \"") +
                       record_key +
                       "\"; a line is either a collection header or a "
                       "record, never both");
    }
    if (key == "_collection") {
      if (record_key != nullptr) {
        return ctx.Error(std::string("the line has both \"") + record_key +
                         "\" and \"_collection\"; a line is either a "
                         "collection header or a record, never both");
      }
      out->is_header = true;
      RETURN_IF_ERROR(ParseHeader(field.value(), ctx, &out->header));
    } else if (key == "collection") {
      RETURN_IF_ERROR(ParseString(field.value(), ctx, "collection",
                                  &out->collection));
      has_collection = true;
    } else if (key == "id") {
      std::string id;
      RETURN_IF_ERROR(ParseString(field.value(), ctx, "id", &id));
      if (id.empty()) return ctx.Error("\"id\" is empty");
      has_id = true;
    } else if (key == "embedding") {
      // Counting elements skips the numbers without parsing them; it is only
      // done while the collection's dimension is unknown (Scan bounds every
      // embedding it parses).
      od::value v = field.value();
      od::json_type type;
      if (auto e = v.type().get(type)) return ctx.JsonError("embedding", e);
      if (type == od::json_type::array) {
        bool need = !has_collection ||
                    known_dims.find(out->collection) == known_dims.end();
        if (need) {
          od::array arr;
          size_t n = 0;
          if (auto e = v.get_array().get(arr)) return ctx.JsonError("embedding", e);
          if (auto e = arr.count_elements().get(n)) {
            return ctx.JsonError("embedding", e);
          }
          if (n > static_cast<size_t>(kMaxDimension)) {
            return ctx.Error("embedding has " + std::to_string(n) +
                             " components, more than the " +
                             std::to_string(kMaxDimension) +
                             " vecgate accepts");
          }
          out->embedding_size = n;
          embedding_seen = true;
        }
      } else if (type != od::json_type::null) {
        return ctx.Error(std::string("\"embedding\" is ") + JsonTypeName(type) +
                         "; expected an array of numbers or null");
      }
    }
  }
  if (!AtEnd(doc)) return ctx.Error("unexpected text after the JSON object");
  if (out->is_header) return Status::Ok();
  if (!has_collection) return ctx.Error("record has no \"collection\"");
  if (!has_id) return ctx.Error("record has no \"id\"");
  if (!embedding_seen) out->embedding_size = 0;
  return Status::Ok();
}

// Full parse of a record line for Scan. Appends the record to `batch` when it
// belongs to `collection` (sets *appended); header lines and other
// collections' lines leave `batch` unchanged.
Status ScanLine(od::parser& parser, std::string_view line, size_t capacity,
                const LineContext& ctx, const std::string& collection,
                const Include& include, RecordBatch* batch, bool* appended) {
  *appended = false;
  size_t first = 0;
  while (first < line.size() && IsJsonSpace(line[first])) ++first;
  if (first == line.size()) return Status::Ok();
  od::document doc;
  if (auto e = parser.iterate(simdjson::padded_string_view(line.data(),
                                                          line.size(), capacity))
                   .get(doc)) {
    return ctx.JsonError("not JSON", e);
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    return ctx.JsonError("not a JSON object", e);
  }
  std::vector<float>& values = batch->mutable_values();
  const size_t values_begin = values.size();
  auto rollback = [&](Status s) {
    values.resize(values_begin);
    return s;
  };
  std::string line_collection;
  bool has_collection = false;
  std::string id;
  bool has_id = false;
  std::optional<std::string> document;
  std::optional<Metadata> metadata;
  // The index pass refused repeated keys; this guards a file changed since.
  bool seen_document = false, seen_metadata = false, seen_embedding = false;
  auto repeated = [&](std::string_view key, bool* seen) {
    if (!*seen) {
      *seen = true;
      return Status::Ok();
    }
    return ctx.Error("the key \"" + std::string(key) +
                     "\" appears twice on the line; each key may appear once");
  };
  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) {
      return rollback(ctx.JsonError("not JSON", e));
    }
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) {
      return rollback(ctx.JsonError("not JSON", e));
    }
    if (key == "document" || key == "metadata" || key == "embedding") {
      Status s = repeated(key, key == "document"   ? &seen_document
                               : key == "metadata" ? &seen_metadata
                                                   : &seen_embedding);
      if (!s.ok()) return rollback(s);
    }
    if ((key == "collection" && has_collection) || (key == "id" && has_id)) {
      return rollback(ctx.Error("the key \"" + std::string(key) +
                                "\" appears twice on the line; each key may "
                                "appear once"));
    }
    if (key == "_collection") {
      return rollback(Status::Ok());  // a header line
    } else if (key == "collection") {
      Status s = ParseString(field.value(), ctx, "collection", &line_collection);
      if (!s.ok()) return rollback(s);
      if (line_collection != collection) return rollback(Status::Ok());
      has_collection = true;
    } else if (key == "id") {
      Status s = ParseString(field.value(), ctx, "id", &id);
      if (!s.ok()) return rollback(s);
      if (id.empty()) return rollback(ctx.Error("\"id\" is empty"));
      has_id = true;
    } else if (key == "document") {
      if (!include.documents) continue;
      od::value v = field.value();
      od::json_type type;
      if (auto e = v.type().get(type)) return rollback(ctx.JsonError("document", e));
      if (type == od::json_type::null) continue;
      std::string text;
      Status s = ParseString(v, ctx, "document", &text);
      if (!s.ok()) return rollback(s);
      document = std::move(text);
    } else if (key == "metadata") {
      if (!include.metadatas) continue;
      od::value v = field.value();
      od::json_type type;
      if (auto e = v.type().get(type)) return rollback(ctx.JsonError("metadata", e));
      if (type == od::json_type::null) continue;
      if (type != od::json_type::object) {
        return rollback(ctx.Error(std::string("\"metadata\" is ") +
                                  JsonTypeName(type) +
                                  "; expected an object or null"));
      }
      Metadata m;
      Status s = ParseMetadata(v, ctx, "metadata", &m);
      if (!s.ok()) return rollback(s);
      metadata = std::move(m);
    } else if (key == "embedding") {
      if (!include.embeddings) continue;
      od::value v = field.value();
      od::json_type type;
      if (auto e = v.type().get(type)) return rollback(ctx.JsonError("embedding", e));
      if (type == od::json_type::null) continue;
      if (type != od::json_type::array) {
        return rollback(ctx.Error(std::string("\"embedding\" is ") +
                                  JsonTypeName(type) +
                                  "; expected an array of numbers or null"));
      }
      od::array arr;
      std::string_view raw;
      if (auto e = v.get_array().get(arr)) return rollback(ctx.JsonError("embedding", e));
      if (auto e = arr.raw_json().get(raw)) return rollback(ctx.JsonError("embedding", e));
      values.resize(values_begin);  // a repeated key replaces the first
      std::string what;
      if (!ParseFloatArray(raw, &values, &what)) return rollback(ctx.Error(what));
    }
  }
  if (!AtEnd(doc)) {
    return rollback(ctx.Error("unexpected text after the JSON object"));
  }
  if (!has_collection) {
    return rollback(ctx.Error("record has no \"collection\""));
  }
  if (!has_id) return rollback(ctx.Error("record has no \"id\""));
  batch->AppendRowMeta(std::move(id), std::move(document), std::move(metadata));
  *appended = true;
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Writing lines.

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out->append(buf);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

Status CheckUtf8(std::string_view s, const std::string& what) {
  if (simdjson::validate_utf8(s.data(), s.size())) return Status::Ok();
  return InvalidArgument(what + " is not valid UTF-8; jsonl files are UTF-8");
}

void AppendFloat(float v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out->append(buf, r.ptr);
  }
}

// Serialises metadata as a JSON object. `what` names it in errors.
Status AppendMetadata(const Metadata& m, const std::string& what,
                      std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : m) {
    RETURN_IF_ERROR(CheckUtf8(key, what + " key"));
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(key, out);
    out->push_back(':');
    switch (value.index()) {
      case 0:
        out->append("null");
        break;
      case 1: {
        const auto& s = std::get<std::string>(value);
        RETURN_IF_ERROR(CheckUtf8(s, what + " field '" + key + "'"));
        AppendJsonString(s, out);
        break;
      }
      case 2:
        out->append(std::to_string(std::get<int64_t>(value)));
        break;
      case 3: {
        double d = std::get<double>(value);
        if (!std::isfinite(d)) {
          return InvalidArgument(what + " field '" + key + "' is " +
                                 MetadataValueToString(value) +
                                 ", which JSON cannot represent");
        }
        char buf[40];
        auto r = std::to_chars(buf, buf + sizeof(buf), d);
        std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
        out->append(text);
        // Keep it a float on reading: 1.0 prints as "1".
        if (text.find_first_of(".eE") == std::string_view::npos) {
          out->append(".0");
        }
        break;
      }
      case 4:
        out->append(std::get<bool>(value) ? "true" : "false");
        break;
    }
  }
  out->push_back('}');
  return Status::Ok();
}

Status AppendRecordLine(const std::string& collection, const RecordBatch& b,
                        size_t i, std::string* out) {
  const std::string what =
      "record '" + b.id(i) + "' of collection '" + collection + "'";
  if (b.id(i).empty()) {
    return InvalidArgument("a record of collection '" + collection +
                           "' has an empty id");
  }
  RETURN_IF_ERROR(CheckUtf8(b.id(i), "the id of a record of collection '" +
                                         collection + "'"));
  out->append("{\"collection\":");
  AppendJsonString(collection, out);
  out->append(",\"id\":");
  AppendJsonString(b.id(i), out);
  out->append(",\"document\":");
  if (b.document(i)) {
    RETURN_IF_ERROR(CheckUtf8(*b.document(i), "the document of " + what));
    AppendJsonString(*b.document(i), out);
  } else {
    out->append("null");
  }
  out->append(",\"metadata\":");
  if (b.metadata(i)) {
    RETURN_IF_ERROR(AppendMetadata(*b.metadata(i), "the metadata of " + what, out));
  } else {
    out->append("null");
  }
  out->append(",\"embedding\":");
  if (b.has_embedding(i)) {
    out->push_back('[');
    const float* e = b.embedding(i);
    for (size_t k = 0; k < b.embedding_size(i); ++k) {
      if (k > 0) out->push_back(',');
      AppendFloat(e[k], out);
    }
    out->push_back(']');
  } else {
    out->append("null");
  }
  out->append("}\n");
  return Status::Ok();
}

Status AppendHeaderLine(const CollectionInfo& info, std::string* out) {
  RETURN_IF_ERROR(CheckUtf8(info.name, "collection name"));
  std::string config = "{}";
  if (!info.configuration_json.empty()) {
    try {
      nlohmann::json j = nlohmann::json::parse(info.configuration_json);
      if (!j.is_object() && !j.is_null()) {
        return InvalidArgument("configuration of collection '" + info.name +
                               "' is not a JSON object");
      }
      if (j.is_object()) config = j.dump();
    } catch (const nlohmann::json::exception& ex) {
      return InvalidArgument("configuration of collection '" + info.name +
                             "' is not JSON: " + ex.what());
    }
  }
  out->append("{\"_collection\":{\"name\":");
  AppendJsonString(info.name, out);
  out->append(",\"metadata\":");
  RETURN_IF_ERROR(AppendMetadata(info.metadata,
                                 "the metadata of collection '" + info.name + "'",
                                 out));
  out->append(",\"configuration\":");
  out->append(config);
  out->append(",\"space\":\"");
  out->append(DistanceSpaceName(info.space));
  out->append("\",\"dimension\":");
  out->append(std::to_string(info.dimension));
  out->append("}}\n");
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// The store.

class JsonlStoreImpl : public JsonlStore {
 public:
  JsonlStoreImpl(std::string path, Env* env)
      : path_(std::move(path)), env_(env), gzip_(EndsWith(path_, ".gz")) {}

  ~JsonlStoreImpl() override {
    Status s = Flush();
    if (s.ok() && out_ != nullptr) s = out_->Close();
    if (!s.ok()) {
      std::fprintf(stderr, "vecgate: %s\n", s.ToString().c_str());
    }
    if (deflating_) deflateEnd(&zs_);
  }

  Status BuildIndex();

  const std::string& path() const override { return path_; }
  std::string Describe() const override { return "jsonl:" + path_; }

  Result<std::vector<CollectionInfo>> ListCollections() override {
    RETURN_IF_ERROR(CheckExists());
    std::vector<CollectionInfo> out;
    for (const auto& e : entries_) out.push_back(e.info);
    return out;
  }

  Result<CollectionInfo> GetCollection(const std::string& name) override {
    ASSIGN_OR_RETURN(const Entry* e, Find(name));
    return e->info;
  }

  Result<int64_t> Count(const std::string& collection) override {
    ASSIGN_OR_RETURN(const Entry* e, Find(collection));
    return e->count;
  }

  Status Scan(const std::string& collection, const ScanOptions& options,
              const PageSink& sink) override;

  Result<RecordBatch> Get(const std::string& collection,
                          const std::vector<std::string>& ids,
                          const Include& include) override;

  bool writable() const override { return true; }
  Status CreateCollection(const CollectionInfo& info) override;
  Status RenameCollection(const std::string& from, const std::string&) override {
    return Unimplemented(Describe() +
                         " is append-only: cannot rename collection '" + from +
                         "'; write a new file instead");
  }
  Status DeleteCollection(const std::string& name) override {
    return Unimplemented(Describe() +
                         " is append-only: cannot delete collection '" + name +
                         "'; write a new file instead");
  }
  Status Add(const std::string& collection, const RecordBatch& batch) override;

  Status Flush() override;

 private:
  struct Entry {
    CollectionInfo info;
    bool has_header = false;
    int64_t header_line = 0;
    int64_t count = 0;
    // The lines of the collection's records lie in [begin, end) (other
    // lines may be interleaved); begin is valid once count > 0.
    uint64_t begin = 0;
    uint64_t end = 0;
    int64_t begin_line = 0;  // line number at `begin`
  };

  Status CheckExists() const {
    if (exists_) return Status::Ok();
    return NotFound("jsonl file '" + path_ +
                    "' does not exist (it is created by the first write)");
  }

  Result<const Entry*> Find(const std::string& name) const {
    RETURN_IF_ERROR(CheckExists());
    auto it = by_name_.find(name);
    if (it == by_name_.end()) {
      return NotFound("collection '" + name + "' does not exist in " +
                      Describe());
    }
    return &entries_[it->second];
  }

  Entry& EntryFor(const std::string& name) {
    auto it = by_name_.find(name);
    if (it != by_name_.end()) return entries_[it->second];
    by_name_.emplace(name, entries_.size());
    entries_.emplace_back();
    Entry& e = entries_.back();
    e.info.name = name;
    return e;
  }

  // Appends complete lines (each ending in '\n', `lines` of them). Sets
  // *offset and *line_number to where the first of them starts.
  Status AppendLines(const std::string& text, int64_t lines, uint64_t* offset,
                     int64_t* line_number);
  Status WritePending(bool finish_member);

  std::string path_;
  Env* env_;
  bool gzip_;
  bool exists_ = false;

  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> by_name_;

  uint64_t size_ = 0;    // uncompressed bytes in the file (pending included)
  int64_t lines_ = 0;    // lines in the file (pending included)
  bool needs_newline_ = false;  // the file's last line has no '\n'

  std::unique_ptr<WritableFile> out_;
  std::string pending_;
  z_stream zs_{};
  bool deflating_ = false;
};

Status JsonlStoreImpl::BuildIndex() {
  if (!env_->FileExists(path_)) return Status::Ok();
  exists_ = true;
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path_));
  od::parser parser;
  if (auto e = parser.allocate(kReadChunk, kMaxJsonDepth)) {
    return Internal("cannot allocate a JSON parser: " +
                    std::string(simdjson::error_message(e)));
  }
  std::unordered_map<std::string, size_t> known_dims;
  std::string_view line;
  uint64_t offset = 0;
  bool checked_format = false;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->Next(&line, &offset));
    if (!checked_format && (more || reader->position() > 0)) {
      checked_format = true;
      if (gzip_ && reader->transparent()) {
        return Corruption("jsonl file '" + path_ +
                          "' ends in .gz but is not gzip-compressed");
      }
      if (!gzip_ && !reader->transparent()) {
        return Corruption("jsonl file '" + path_ +
                          "' is gzip-compressed; name it *.gz");
      }
    }
    if (!more) break;
    LineContext ctx(path_, reader->line_number());
    IndexedLine parsed;
    try {
      RETURN_IF_ERROR(IndexLine(parser, line, reader->CapacityFrom(line.data()),
                                ctx, known_dims, &parsed));
    } catch (const std::exception& ex) {
      return ctx.Error(ex.what());
    }
    if (parsed.blank) continue;
    const std::string& name =
        parsed.is_header ? parsed.header.name : parsed.collection;
    Entry& e = EntryFor(name);
    if (parsed.is_header) {
      if (e.has_header) {
        return ctx.Error("second \"_collection\" header for collection '" +
                         name + "' (the first is on line " +
                         std::to_string(e.header_line) + ")");
      }
      int64_t inferred = e.info.dimension;
      e.info = std::move(parsed.header);
      if (e.info.dimension == 0) e.info.dimension = inferred;
      e.has_header = true;
      e.header_line = reader->line_number();
      if (e.info.dimension > 0) known_dims[name] = e.info.dimension;
    } else {
      if (e.count == 0) {
        e.begin = offset;
        e.begin_line = reader->line_number();
      }
      ++e.count;
      e.end = reader->position();
      if (e.info.dimension == 0 && parsed.embedding_size > 0) {
        e.info.dimension = static_cast<int64_t>(parsed.embedding_size);
        known_dims[name] = parsed.embedding_size;
      }
    }
  }
  size_ = reader->position();
  lines_ = reader->line_number();
  needs_newline_ = size_ > 0 && !reader->ends_with_newline();
  return Status::Ok();
}

Status JsonlStoreImpl::Scan(const std::string& collection,
                            const ScanOptions& options, const PageSink& sink) {
  RETURN_IF_ERROR(Flush());
  ASSIGN_OR_RETURN(const Entry* found, Find(collection));
  const Entry entry = *found;  // the sink may write to this store
  if (entry.count == 0) return Status::Ok();
  const size_t page_size = options.page_size == 0 ? 1000 : options.page_size;
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path_));
  RETURN_IF_ERROR(reader->Seek(entry.begin, entry.begin_line));
  od::parser parser;
  if (auto e = parser.allocate(kReadChunk, kMaxJsonDepth)) {
    return Internal("cannot allocate a JSON parser: " +
                    std::string(simdjson::error_message(e)));
  }
  RecordBatch page;
  const size_t dim = static_cast<size_t>(entry.info.dimension);
  // Both bounded: the rows this collection holds, a dimension the index
  // checked against kMaxDimension.
  page.Reserve(std::min<size_t>(page_size, static_cast<size_t>(entry.count)),
               options.include.embeddings ? dim : 0);
  int64_t seen = 0;
  std::string_view line;
  uint64_t offset = 0;
  while (seen < entry.count) {
    ASSIGN_OR_RETURN(bool more, reader->Next(&line, &offset));
    if (!more || offset >= entry.end) break;
    LineContext ctx(path_, reader->line_number());
    bool appended = false;
    try {
      RETURN_IF_ERROR(ScanLine(parser, line, reader->CapacityFrom(line.data()),
                               ctx, collection, options.include, &page,
                               &appended));
    } catch (const std::exception& ex) {
      return ctx.Error(ex.what());
    }
    if (!appended) continue;
    ++seen;
    if (page.size() >= page_size) {
      RETURN_IF_ERROR(sink(page));
      page.Clear();
    }
  }
  if (seen != entry.count) {
    return Corruption("jsonl file '" + path_ + "' changed while open: " +
                      std::to_string(entry.count) + " records of collection '" +
                      collection + "' were indexed, " + std::to_string(seen) +
                      " found; reopen the store");
  }
  if (!page.empty()) RETURN_IF_ERROR(sink(page));
  return Status::Ok();
}

Result<RecordBatch> JsonlStoreImpl::Get(const std::string& collection,
                                        const std::vector<std::string>& ids,
                                        const Include& include) {
  std::unordered_set<std::string> wanted(ids.begin(), ids.end());
  RecordBatch out;
  if (wanted.empty()) {
    RETURN_IF_ERROR(Find(collection).status());
    return out;
  }
  ScanOptions options;
  options.include = include;
  RETURN_IF_ERROR(Scan(collection, options, [&](RecordBatch& page) {
    for (size_t i = 0; i < page.size(); ++i) {
      if (wanted.count(page.id(i)) != 0) out.AddFrom(page, i);
    }
    return Status::Ok();
  }));
  return out;
}

Status JsonlStoreImpl::CreateCollection(const CollectionInfo& info) {
  if (info.name.empty()) {
    return InvalidArgument("cannot create a collection with an empty name in " +
                           Describe());
  }
  if (by_name_.count(info.name) != 0) {
    return AlreadyExists("collection '" + info.name + "' already exists in " +
                         Describe());
  }
  std::string text;
  RETURN_IF_ERROR(AppendHeaderLine(info, &text));
  uint64_t offset = 0;
  int64_t line = 0;
  RETURN_IF_ERROR(AppendLines(text, 1, &offset, &line));
  Entry& e = EntryFor(info.name);
  e.info = info;
  e.has_header = true;
  e.header_line = line;
  return Status::Ok();
}

Status JsonlStoreImpl::Add(const std::string& collection,
                           const RecordBatch& batch) {
  auto it = by_name_.find(collection);
  if (it == by_name_.end()) {
    return NotFound("collection '" + collection + "' does not exist in " +
                    Describe() + "; create it first");
  }
  if (batch.empty()) return Status::Ok();
  std::string text;
  text.reserve(batch.size() * (64 + 12 * batch.UniformDimension()));
  for (size_t i = 0; i < batch.size(); ++i) {
    RETURN_IF_ERROR(AppendRecordLine(collection, batch, i, &text));
  }
  uint64_t offset = 0;
  int64_t line = 0;
  RETURN_IF_ERROR(
      AppendLines(text, static_cast<int64_t>(batch.size()), &offset, &line));
  Entry& e = entries_[it->second];
  if (e.count == 0) {
    e.begin = offset;
    e.begin_line = line;
  }
  e.count += static_cast<int64_t>(batch.size());
  e.end = size_;
  if (e.info.dimension == 0) {
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch.has_embedding(i)) {
        e.info.dimension = static_cast<int64_t>(batch.embedding_size(i));
        break;
      }
    }
  }
  return Status::Ok();
}

Status JsonlStoreImpl::AppendLines(const std::string& text, int64_t lines,
                                   uint64_t* offset, int64_t* line_number) {
  if (out_ == nullptr) {
    ASSIGN_OR_RETURN(out_, env_->NewAppendableFile(path_));
    exists_ = true;
  }
  if (needs_newline_) {
    pending_.push_back('\n');
    ++size_;
    needs_newline_ = false;
  }
  *offset = size_;
  *line_number = lines_ + 1;
  pending_.append(text);
  size_ += text.size();
  lines_ += lines;
  if (pending_.size() >= kWriteBufferBytes) return WritePending(false);
  return Status::Ok();
}

Status JsonlStoreImpl::WritePending(bool finish_member) {
  if (out_ == nullptr) return Status::Ok();
  if (!gzip_) {
    if (pending_.empty()) return Status::Ok();
    Status s = out_->Append(pending_);
    pending_.clear();
    return s;
  }
  if (pending_.empty() && !deflating_) return Status::Ok();
  if (!deflating_) {
    zs_ = z_stream{};
    if (deflateInit2(&zs_, kGzipLevel, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
      return Internal("zlib deflateInit2 failed for '" + path_ + "'");
    }
    deflating_ = true;
  }
  std::vector<unsigned char> chunk(1 << 18);
  zs_.next_in = reinterpret_cast<Bytef*>(pending_.data());
  zs_.avail_in = static_cast<uInt>(pending_.size());
  const int flush = finish_member ? Z_FINISH : Z_NO_FLUSH;
  while (true) {
    zs_.next_out = chunk.data();
    zs_.avail_out = static_cast<uInt>(chunk.size());
    int rc = deflate(&zs_, flush);
    if (rc == Z_STREAM_ERROR) {
      return Internal("zlib deflate failed for '" + path_ + "'");
    }
    size_t produced = chunk.size() - zs_.avail_out;
    if (produced > 0) {
      RETURN_IF_ERROR(out_->Append(std::string_view(
          reinterpret_cast<const char*>(chunk.data()), produced)));
    }
    if (finish_member ? rc == Z_STREAM_END
                      : (zs_.avail_in == 0 && zs_.avail_out != 0)) {
      break;
    }
  }
  pending_.clear();
  if (finish_member) {
    deflateEnd(&zs_);
    deflating_ = false;
  }
  return Status::Ok();
}

Status JsonlStoreImpl::Flush() { return WritePending(/*finish_member=*/true); }

}  // namespace

Result<std::unique_ptr<JsonlStore>> OpenJsonlFile(const std::string& path,
                                                  Env* env) {
  if (path.empty()) return InvalidArgument("jsonl store needs a file path");
  auto store = std::make_unique<JsonlStoreImpl>(path, env);
  RETURN_IF_ERROR(store->BuildIndex());
  return std::unique_ptr<JsonlStore>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenJsonlStore(const std::string& uri,
                                              const OpenOptions&) {
  const std::string prefix = "jsonl:";
  if (uri.compare(0, prefix.size(), prefix) != 0 || uri.size() == prefix.size()) {
    return InvalidArgument("'" + uri +
                           "' is not a jsonl store URI: expected jsonl:PATH, "
                           "e.g. jsonl:/data/export.jsonl.gz");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<JsonlStore> store,
                   OpenJsonlFile(uri.substr(prefix.size())));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace vecgate
