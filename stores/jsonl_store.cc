// The jsonl: store (format and behaviour are described in jsonl_store.h).
//
// Reading: a LineReader pulls lines out of the file through the Env (a
// RandomAccessFile; gzip files are inflated with zlib as they are read) into
// a padded buffer, and simdjson's On Demand parser walks each line in place.
// Values go through the record codec (codec/record_json.h): embedding arrays
// are taken as raw text and rounded straight to float32, metadata objects and
// `_collection` headers are read by its DOM reader.
// Writing: lines are serialised by the codec's writers (no DOM), buffered,
// and appended through the Env, deflated into gzip members for ".gz" paths.
#include "stores/jsonl_store.h"

#include <sys/stat.h>

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <simdjson.h>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "codec/record_json.h"
#include "core/text.h"

namespace vecgate {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kReadChunk = 1 << 20;            // bytes per read
constexpr size_t kInflateInput = 1 << 18;         // compressed bytes per read
constexpr size_t kMaxLineBytes = size_t{1} << 28;  // 256 MiB: surely damage
constexpr size_t kWriteBufferBytes = 4 << 20;      // flush threshold
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

// The uncompressed bytes of a jsonl file, read through the Env (so that tests
// can inject read faults). A plain file is read at any offset; a gzip file is
// inflated from its start, member after member, and a seek skips forward by
// inflating (gzip has no index; Scan seeks once, to where its collection's
// lines begin). Every read fault of the Env is an IoError naming the file.
class FileBytes {
 public:
  ~FileBytes() {
    if (inflating_) inflateEnd(&zs_);
  }

  // NotFound / IoError when the file cannot be opened.
  static Result<std::unique_ptr<FileBytes>> Open(Env* env,
                                                 const std::string& path) {
    auto file = env->NewRandomAccessFile(path);
    if (!file.ok()) {
      return file.status().WithContext("cannot open jsonl file '" + path + "'");
    }
    std::unique_ptr<FileBytes> bytes(
        new FileBytes(path, std::move(file).value()));
    // Two bytes tell gzip (1f 8b) from text, as zlib's gzopen decides.
    char magic[2];
    size_t got = 0;
    RETURN_IF_ERROR(bytes->ReadFile(0, sizeof(magic), magic, &got));
    bytes->empty_ = got == 0;
    bytes->gzip_ = got == 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
                   static_cast<unsigned char>(magic[1]) == 0x8b;
    if (bytes->gzip_) RETURN_IF_ERROR(bytes->StartInflating());
    return bytes;
  }

  bool gzip() const { return gzip_; }
  bool empty() const { return empty_; }

  // Reads up to `n` uncompressed bytes; *got is 0 only at the end.
  Status Read(char* dst, size_t n, size_t* got) {
    *got = 0;
    if (!gzip_) {
      RETURN_IF_ERROR(ReadFile(offset_, n, dst, got));
      offset_ += *got;
      return Status::Ok();
    }
    return Inflate(dst, n, got);
  }

  // Positions the next Read at uncompressed byte `offset`; Corruption when
  // the file is shorter.
  Status Seek(uint64_t offset) {
    if (!gzip_) {
      offset_ = offset;
      return Status::Ok();
    }
    if (offset < offset_) {
      inflateEnd(&zs_);
      inflating_ = false;
      compressed_offset_ = 0;
      offset_ = 0;
      RETURN_IF_ERROR(StartInflating());
    }
    std::vector<char> discard(std::min<uint64_t>(offset - offset_, kReadChunk));
    while (offset_ < offset) {
      size_t got = 0;
      RETURN_IF_ERROR(Inflate(
          discard.data(), std::min<uint64_t>(offset - offset_, discard.size()),
          &got));
      if (got == 0) {
        return Corruption("jsonl file '" + path_ + "' ends before byte " +
                          std::to_string(offset) + "; was it truncated?");
      }
    }
    return Status::Ok();
  }

 private:
  FileBytes(std::string path, std::unique_ptr<RandomAccessFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}

  Status ReadFile(uint64_t offset, size_t n, char* dst, size_t* got) {
    Status s = file_->Read(offset, n, dst, got);
    if (s.ok()) return s;
    return IoError("cannot read jsonl file '" + path_ + "' at byte " +
                   std::to_string(offset) + ": " + s.message());
  }

  Status StartInflating() {
    zs_ = z_stream{};
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
      return Internal("zlib inflateInit2 failed for '" + path_ + "'");
    }
    inflating_ = true;
    member_open_ = false;
    input_.resize(kInflateInput);
    return Status::Ok();
  }

  // Inflates up to `n` bytes into `dst`; *got is 0 only at the end of the
  // last member. A member cut short is Corruption, as are bytes after the
  // last member that are not gzip: damaged input is never skipped.
  Status Inflate(char* dst, size_t n, size_t* got) {
    *got = 0;
    while (*got == 0 && n > 0) {
      bool input_ended = false;
      if (zs_.avail_in == 0) {
        size_t read = 0;
        RETURN_IF_ERROR(ReadFile(compressed_offset_, input_.size(),
                                 input_.data(), &read));
        compressed_offset_ += read;
        if (read == 0) {
          if (!member_open_) return Status::Ok();
          // zlib may still hold output of the member; inflate it below.
          input_ended = true;
        } else {
          zs_.next_in = reinterpret_cast<Bytef*>(input_.data());
          zs_.avail_in = static_cast<uInt>(read);
        }
      }
      member_open_ = true;
      zs_.next_out = reinterpret_cast<Bytef*>(dst);
      zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      *got = static_cast<size_t>(reinterpret_cast<char*>(zs_.next_out) - dst);
      offset_ += *got;
      if (rc == Z_STREAM_END) {
        // The next member, if any, starts a new stream.
        if (inflateReset(&zs_) != Z_OK) {
          return Internal("zlib inflateReset failed for '" + path_ + "'");
        }
        member_open_ = false;
      } else if (rc == Z_DATA_ERROR) {
        return Corruption("cannot read jsonl file '" + path_ + "': " +
                          (zs_.msg != nullptr ? zs_.msg : "not gzip data") +
                          " at compressed byte " +
                          std::to_string(compressed_offset_ - zs_.avail_in));
      } else if (rc == Z_MEM_ERROR) {
        return Internal("zlib ran out of memory reading '" + path_ + "'");
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Internal("zlib inflate failed (" + std::to_string(rc) +
                        ") for '" + path_ + "'");
      } else if (input_ended && *got == 0) {
        return Corruption("cannot read jsonl file '" + path_ +
                          "': the gzip stream is truncated");
      }
    }
    return Status::Ok();
  }

  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  bool gzip_ = false;
  bool empty_ = false;
  uint64_t offset_ = 0;  // uncompressed bytes before the next Read
  // gzip only.
  z_stream zs_{};
  bool inflating_ = false;
  bool member_open_ = false;  // inside a member: its end must come
  uint64_t compressed_offset_ = 0;
  std::vector<char> input_;
};

// Streams the lines of a (possibly gzip) file. Each returned line is followed
// in memory by at least SIMDJSON_PADDING readable bytes, as simdjson needs.
class LineReader {
 public:
  // NotFound / IoError when the file cannot be opened.
  static Result<std::unique_ptr<LineReader>> Open(Env* env,
                                                  const std::string& path) {
    ASSIGN_OR_RETURN(std::unique_ptr<FileBytes> bytes,
                     FileBytes::Open(env, path));
    return std::unique_ptr<LineReader>(new LineReader(path, std::move(bytes)));
  }

  // Positions the reader at uncompressed byte `offset`, where line number
  // `line_number` starts.
  Status Seek(uint64_t offset, int64_t line_number) {
    RETURN_IF_ERROR(bytes_->Seek(offset));
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
  bool gzip() const { return bytes_->gzip(); }
  bool empty_file() const { return bytes_->empty(); }

 private:
  LineReader(std::string path, std::unique_ptr<FileBytes> bytes)
      : path_(std::move(path)), bytes_(std::move(bytes)) {
    buf_.resize(kReadChunk + simdjson::SIMDJSON_PADDING);
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
    size_t n = 0;
    RETURN_IF_ERROR(bytes_->Read(buf_.data() + end_, usable - end_, &n));
    if (n == 0) eof_ = true;
    end_ += n;
    return Status::Ok();
  }

  std::string path_;
  std::unique_ptr<FileBytes> bytes_;
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

// The parsers of one pass over the file: On Demand walks each line, the
// codec's DOM reader takes the metadata and header objects.
struct LineParsers {
  od::parser lines;
  RecordJsonReader values;
};

// The readable bytes behind `part`, a view into `line` whose readable
// capacity is `line_capacity`.
size_t CapacityOf(std::string_view part, std::string_view line,
                  size_t line_capacity) {
  return line_capacity - static_cast<size_t>(part.data() - line.data());
}

// Reads a metadata object (its type checked by the caller) through the
// codec. `what` names it in errors.
Status ParseMetadata(RecordJsonReader& reader, od::value value,
                     std::string_view line, size_t line_capacity,
                     const LineContext& ctx, const char* what, Metadata* out) {
  od::object object;
  std::string_view raw;
  if (auto e = value.get_object().get(object)) return ctx.JsonError(what, e);
  if (auto e = object.raw_json().get(raw)) return ctx.JsonError(what, e);
  Result<Metadata> parsed =
      reader.ParseMetadata(raw, CapacityOf(raw, line, line_capacity), what,
                           LargeIntegers::kRefuse);
  if (!parsed.ok()) return ctx.Error(parsed.status().message());
  *out = std::move(parsed).value();
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

// Reads a `_collection` header object through the codec.
Status ParseHeader(RecordJsonReader& reader, od::value value,
                   std::string_view line, size_t line_capacity,
                   const LineContext& ctx, CollectionInfo* info) {
  od::object object;
  std::string_view raw;
  if (auto e = value.get_object().get(object)) {
    return ctx.JsonError("\"_collection\" must be an object", e);
  }
  if (auto e = object.raw_json().get(raw)) return ctx.JsonError("_collection", e);
  Result<simdjson::dom::element> root =
      reader.Parse(raw.data(), raw.size(), CapacityOf(raw, line, line_capacity),
                   "\"_collection\"");
  if (!root.ok()) return ctx.Error(root.status().message());
  Result<CollectionInfo> parsed = CollectionInfoFromDom(*root, "_collection");
  if (!parsed.ok()) return ctx.Error(parsed.status().message());
  *info = std::move(parsed).value();
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
Status IndexLine(LineParsers& parsers, std::string_view line, size_t capacity,
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
  if (auto e = parsers.lines.iterate(simdjson::padded_string_view(line.data(),
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
      RETURN_IF_ERROR(ParseHeader(parsers.values, field.value(), line, capacity,
                                  ctx, &out->header));
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
Status ScanLine(LineParsers& parsers, std::string_view line, size_t capacity,
                const LineContext& ctx, const std::string& collection,
                const Include& include, RecordBatch* batch, bool* appended) {
  *appended = false;
  size_t first = 0;
  while (first < line.size() && IsJsonSpace(line[first])) ++first;
  if (first == line.size()) return Status::Ok();
  od::document doc;
  if (auto e = parsers.lines.iterate(simdjson::padded_string_view(line.data(),
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
      Status s =
          ParseMetadata(parsers.values, v, line, capacity, ctx, "metadata", &m);
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
      if (!ParseEmbeddingJson(raw, &values, &what)) {
        return rollback(ctx.Error(what));
      }
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

Status AppendRecordLine(const std::string& collection, const RecordBatch& b,
                        size_t i, std::string* out) {
  const std::string what =
      "record '" + b.id(i) + "' of collection '" + collection + "'";
  if (b.id(i).empty()) {
    return InvalidArgument("a record of collection '" + collection +
                           "' has an empty id");
  }
  out->append("{\"collection\":");
  AppendJsonString(collection, out);
  out->append(",\"id\":");
  RETURN_IF_ERROR(AppendJsonText(
      b.id(i), "the id of a record of collection '" + collection + "'", out));
  out->append(",\"document\":");
  if (b.document(i)) {
    RETURN_IF_ERROR(AppendJsonText(*b.document(i), "the document of " + what, out));
  } else {
    out->append("null");
  }
  out->append(",\"metadata\":");
  if (b.metadata(i)) {
    RETURN_IF_ERROR(
        AppendMetadataJson(*b.metadata(i), what, MetadataNulls::kWrite, out));
  } else {
    out->append("null");
  }
  out->append(",\"embedding\":");
  if (b.has_embedding(i)) {
    AppendEmbeddingJson(b.embedding(i), b.embedding_size(i), out);
  } else {
    out->append("null");
  }
  out->append("}\n");
  return Status::Ok();
}

Status AppendHeaderLine(const CollectionInfo& info, std::string* out) {
  out->append("{\"_collection\":");
  RETURN_IF_ERROR(AppendCollectionInfoJson(info, out));
  out->append("}\n");
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
  std::string EmptyStoreHint() const override {
    return "check the path: the file holds no record and no collection header";
  }

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

  // Get reads the collection's lines once, whatever the number of ids.
  size_t get_batch_size() const override { return size_t{1} << 20; }

  // The file as the file system describes it: a writer that appends,
  // rewrites or replaces it changes one of these.
  Result<std::string> ChangeMarker(const std::string&) override {
    // Records this store buffered are written first, as before any read:
    // its own writes are not another writer's.
    RETURN_IF_ERROR(Flush());
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) return std::string("no file");
    return std::to_string(st.st_size) + " bytes, modified " + std::to_string(st.st_mtim.tv_sec) +
           "." + std::to_string(st.st_mtim.tv_nsec) + " s, inode " + std::to_string(st.st_ino);
  }

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
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader,
                   LineReader::Open(env_, path_));
  LineParsers parsers;
  if (auto e = parsers.lines.allocate(kReadChunk, kMaxJsonDepth)) {
    return Internal("cannot allocate a JSON parser: " +
                    std::string(simdjson::error_message(e)));
  }
  if (!reader->empty_file()) {
    if (gzip_ && !reader->gzip()) {
      return Corruption("jsonl file '" + path_ +
                        "' ends in .gz but is not gzip-compressed");
    }
    if (!gzip_ && reader->gzip()) {
      return Corruption("jsonl file '" + path_ +
                        "' is gzip-compressed; name it *.gz");
    }
  }
  std::unordered_map<std::string, size_t> known_dims;
  std::string_view line;
  uint64_t offset = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->Next(&line, &offset));
    if (!more) break;
    LineContext ctx(path_, reader->line_number());
    IndexedLine parsed;
    try {
      RETURN_IF_ERROR(IndexLine(parsers, line, reader->CapacityFrom(line.data()),
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
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader,
                   LineReader::Open(env_, path_));
  RETURN_IF_ERROR(reader->Seek(entry.begin, entry.begin_line));
  LineParsers parsers;
  if (auto e = parsers.lines.allocate(kReadChunk, kMaxJsonDepth)) {
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
      RETURN_IF_ERROR(ScanLine(parsers, line, reader->CapacityFrom(line.data()),
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
