// Inside the postgresql:// adapter: what postgres_store.cc (connection,
// catalog, reads and writes) and postgres_layouts.cc (where each layout keeps
// its collections) share. Not a public interface: only stores/ includes it.
#ifndef VECGATE_STORES_POSTGRES_INTERNAL_H_
#define VECGATE_STORES_POSTGRES_INTERNAL_H_

#include <libpq-fe.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codec/record_json.h"
#include "core/store.h"
#include "stores/postgres_store.h"

namespace vecgate::postgres_internal {

using Json = nlohmann::json;

// PostgreSQL truncates identifiers longer than this many bytes.
constexpr size_t kMaxIdentifierBytes = 63;

// "name" -> "\"name\"", doubling quotes: every identifier vecgate writes into
// SQL goes through it. Values never do: they are parameters.
std::string QuoteIdent(const std::string& s);

enum class EmbeddingKind { kNone, kVector, kHalfvec, kReal, kDouble };
EmbeddingKind KindOfType(const std::string& typname);
bool IsPgvectorKind(EmbeddingKind k);
bool IsTextType(const std::string& typname);
bool IsIntType(const std::string& typname);
bool IsJsonType(const std::string& typname);
// 8-4-4-4-12 hex digits, either case.
bool IsUuidText(const std::string& s);
// A UUID as PostgreSQL prints one (lower case), so that it reads back as
// the same text.
bool IsCanonicalUuid(const std::string& s);

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;
using Params = std::vector<std::optional<std::string>>;

// One column of a table.
struct Column {
  std::string name;
  std::string type;     // format_type: "vector(8)", "text", "jsonb"
  std::string typname;  // pg_type.typname: "vector", "_float4", "text"
  int typmod = -1;
  bool not_null = false;
  bool primary_key = false;
  std::string default_sql;  // pg_get_expr of the default, "" for none
};

struct IndexDef {
  std::string name;
  std::string definition;  // pg_get_indexdef
  std::string method;      // "btree", "hnsw", "ivfflat"
  std::string opclass;     // of the first key column
  std::string first_column;
  bool primary = false;
};

struct TableDesc {
  std::string name;
  std::vector<Column> columns;
  std::vector<IndexDef> indexes;
  std::string comment;

  const Column* Find(const std::string& column) const;
};

// A collection resolved to SQL: where its records are and how to read and
// write them.
struct Target {
  PostgresLayout layout = PostgresLayout::kTables;
  std::string table_sql;  // "schema"."table"
  std::string table_name;
  // Tables holding several collections: the collection's rows are those
  // whose `collection_col` equals `collection_value` (cast with
  // `collection_cast`, "::uuid" for LangChain's collection_id).
  std::string collection_col;
  std::optional<std::string> collection_value;
  std::string collection_cast;
  // LangChain's collection table, whose row `collection_value` names it.
  std::string collection_table;
  // The unique column scans page by (keyset) and order by: the primary key.
  std::string key_col;
  // The record id as SQL text: a column, or an expression of the layout's
  // columns (LangChain's COALESCE(custom_id, uuid::text)).
  std::string id_sql;
  // The id column when `id_sql` is that column alone (Get compares it in
  // its own type); empty when the id is an expression.
  std::string id_col;
  std::string id_typname;
  // Writing a record: its id goes to `id_write_col`; when `uuid_col` is
  // set, that uuid key gets the id if it is a UUID, else a new UUID; with
  // `id_write_external` the id column gets '' for a UUID id (LlamaIndex TS's
  // external_id, which the library leaves empty).
  std::string id_write_col;
  std::string uuid_col;
  bool id_write_external = false;
  std::string document_col, metadata_col, embedding_col;
  // The metadata as read, when not the column alone (LangChain JS's rows set
  // aside keep their id in a key that is not shown).
  std::string metadata_sql;
  bool document_not_null = false;
  EmbeddingKind kind = EmbeddingKind::kNone;
  int64_t typmod_dimension = 0;
  std::string ann_method;  // "hnsw", "ivfflat" or "" (no ANN index)
  CollectionInfo info;
};

// Metadata of json/jsonb columns (see postgres_store.cc).
extern const MetadataReadRules kPgMetadata;
Status AppendPgMetadataJson(const Metadata& metadata, const std::string& where,
                            std::string* out);
Result<Metadata> ParseMetadataText(RecordJsonReader& reader, const char* text,
                                   size_t length, const std::string& where);

// Picks the ANN index of the embedding column (its method and space) and
// lists every index in `pg` ("indexes", "ann_index").
void ApplyIndexes(const TableDesc& table, Target* t, Json* pg);
Json ColumnsJson(const TableDesc& table);

// The comment vecgate writes on tables it creates: {"vecgate": {"metadata":
// {...}, "space": "l2"}}; on a table holding several collections (a
// collection column) also {"vecgate": {"collections": {NAME: {"metadata":
// {...}, "space": ...}}}}, so that an empty collection exists and each
// keeps its metadata.
struct CollectionNote {
  Metadata metadata;
  std::optional<DistanceSpace> space;
};
struct TableComment {
  Metadata metadata;
  std::optional<DistanceSpace> space;
  std::map<std::string, CollectionNote> collections;
};
TableComment ParseComment(const std::string& comment);
// A note as JSON; InvalidArgument naming `where` for metadata PostgreSQL
// cannot hold.
Result<Json> NoteJson(const Metadata& metadata, std::optional<DistanceSpace> space,
                      const std::string& where);
// `comment` with collection `name`'s note set (or removed when `note` is
// null); a comment vecgate did not write is kept under "comment".
std::string CommentWithCollection(const std::string& comment, const std::string& name,
                                  const Json* note);
std::string CommentWithMetadata(const std::string& comment, const std::string& metadata_json);

// True for ResolveTable's refusal of a table that is not a collection
// (no embedding column, or several): listing skips such tables.
bool IsNotACollection(const Status& s);

// InvalidArgument unless `name` can be a PostgreSQL identifier.
Status CheckIdentifier(const std::string& prefix, const std::string& name);
// An index definition as pg_get_indexdef prints it, taken apart by its
// structure: CREATE [UNIQUE] INDEX name ON [ONLY] [schema.]table USING ...
// (identifiers as quote_ident prints them). `tail` is "USING ...", which
// holds no ';' outside quotes. nullopt for anything else.
struct ParsedIndexDefinition {
  bool unique = false;
  std::string name;
  std::string table;
  std::string tail;
};
std::optional<ParsedIndexDefinition> ParseIndexDefinition(const std::string& definition);
// True for a column type as format_type prints it: a name, optionally
// schema-qualified and with a type modifier (vector(8), numeric(10,2)),
// or one of SQL's multi-word names, followed by any number of [].
bool IsPlainTypeName(const std::string& type);
// True for text that is one SQL expression: parentheses balanced and no ';'
// or top-level ',' outside quotes (a recorded default, replayed as
// DEFAULT (text)).
bool IsOneExpression(const std::string& text);
// `name` cut to fit PostgreSQL's 63 bytes with 8 hex digits of its hash,
// or `name` when it fits.
std::string FitIdentifier(const std::string& name);
std::string MovedIndexName(const std::string& index, const std::string& from,
                           const std::string& to);

// The postgresql:// store. Methods on reads and writes common to every
// layout are in postgres_store.cc; what differs by layout (which tables
// hold a collection, how a collection is created, renamed and deleted) is in
// postgres_layouts.cc.
class PostgresStore : public Store {
 public:
  PostgresStore(PostgresUri uri, const OpenOptions& options)
      : uri_(std::move(uri)), options_(options), schema_sql_(QuoteIdent(uri_.schema)) {}

  Status Connect();

  std::string Describe() const override { return uri_.ToString(); }
  std::string EmptyStoreHint() const override {
    return "check the URI's schema= and layout= (schema names are case-sensitive)";
  }
  Result<std::vector<CollectionInfo>> ListCollections() override;
  Result<CollectionInfo> GetCollection(const std::string& name) override;
  Result<int64_t> Count(const std::string& collection) override;
  Status Scan(const std::string& collection, const ScanOptions& options,
              const PageSink& sink) override;
  // Scan's pages, inside the snapshot Scan opened (or the caller's).
  Status ScanIn(const Target& t, const std::string& collection, const ScanOptions& options,
                const PageSink& sink);
  Result<RecordBatch> Get(const std::string& collection, const std::vector<std::string>& ids,
                          const Include& include) override;
  // LlamaIndex's node keys, LlamaIndex TS's create_date.
  OwnedKeys LayoutOwnedKeys() const override;
  bool writable() const override { return true; }
  Status CreateCollection(const CollectionInfo& info) override;
  Status RenameCollection(const std::string& from, const std::string& to) override;
  // The new metadata goes where CollectionInfo.metadata is read from: the
  // table comment (tables, llamaindex, and the collection's note in the
  // comment of a table holding several collections) or cmetadata
  // (langchain, langchain-js), in the transaction of the rename, so
  // rollback's aside collections carry its stamp.
  Status RenameCollectionWithMetadata(const std::string& from, const std::string& to,
                                      const Metadata* new_metadata) override;
  Status DeleteCollection(const std::string& name) override;
  Status Add(const std::string& collection, const RecordBatch& batch) override;
  // Queries use pgvector's distance operators: a server without the
  // extension (plain PostgreSQL with real[] embeddings) answers none, and
  // the checks then judge exact neighbours only.
  bool can_query() const override { return has_pgvector_; }
  // On a table shared by several collections the query is filtered to the
  // collection, as the library's own search is; an HNSW index then returns
  // at most hnsw.ef_search candidates before the filter, so a query can
  // get fewer than k rows. They are returned as the server gave them,
  // never padded.
  Result<QueryResult> Query(const std::string& collection, const float* queries, size_t n,
                            size_t dim, size_t k) override;

  // Runs `sql` with `params`; `what` says what was being done, for the
  // error. Rows come back as text, or in PostgreSQL's binary form when
  // `binary` (every column: text as its bytes).
  // One statement, always over the extended protocol (PQexecParams), which
  // refuses several: no text from a catalogue, archive or journal can add a
  // statement of its own.
  Result<PgResult> Exec(const std::string& sql, const Params& params, const std::string& what,
                        bool binary = false);
  // Several statements through the simple protocol: only for
  // ExecutePostgres, whose SQL its caller (a test, a tool) wrote itself.
  Status ExecScript(const std::string& sql, const std::string& what);

  // layout=tables: a restored table is built under a staging name and
  // swapped in with the live one set aside, in one transaction. The other
  // layouts share tables between collections and set aside, then refill.
  bool can_swap_in_restored() const override {
    return layout() == PostgresLayout::kTables && uri_.collection_column.empty();
  }
  Status SwapInRestored(const std::string& staging, const std::string& name,
                        const std::string& aside, const Metadata* aside_metadata) override;

  // PostgreSQL's identifiers: 63 bytes.
  size_t max_name_bytes() const override { return kMaxIdentifierBytes; }
  // layout=tables: FailedPrecondition for a table a snapshot cannot hold as
  // it is -- columns beyond the id, document, metadata and embedding,
  // double precision[] embeddings (read as float32), metadata holding
  // nested objects or arrays (read as their JSON text), identity or serial
  // columns, CHECK, exclusion or foreign-key constraints (either way),
  // triggers, a partitioned table -- naming each.
  Status CheckSnapshotFaithful(const std::string& collection) override;
  // FailedPrecondition for a snapshot's collection whose recorded table
  // (configuration_json's postgres.columns and indexes) this store could
  // not recreate exactly or safely: the above, a column type that is not a
  // plain type name, a default that is not one expression, an index
  // definition that does not parse as CREATE [UNIQUE] INDEX name ON table
  // USING ... of the recorded table.
  Status CheckRestorable(const CollectionInfo& info) override;

 private:
  std::string Prefix() const { return Describe() + ": "; }
  PostgresLayout layout() const { return uri_.layout; }
  std::string Table(const std::string& name) const {
    return schema_sql_ + "." + QuoteIdent(name);
  }
  Status ErrorFrom(const PGresult* result, const std::string& what);

  Result<bool> SchemaExists();
  // Tables of the schema (all, or the one named) with columns, indexes and
  // comment.
  Result<std::map<std::string, TableDesc>> DescribeTables(const std::string* only);
  // A table as one collection (layout=tables) or as the holder of several
  // (its columns picked the same way). NotFound for no table;
  // InvalidArgument for a table that is not a collection, saying why.
  Result<Target> ResolveTable(const TableDesc& table);
  Result<Target> Resolve(const std::string& collection);
  Status FillDimension(Target* target);
  std::string CollectionFilter(const Target& t, Params* params) const;
  Status Begin(const std::string& what);
  void Rollback();
  Status Commit(const std::string& what);
  Status EnsureSchemaAndExtension(bool need_vector);
  // Sets has_pgvector_ from the database's extensions.
  Status CheckVectorExtension();
  Status InsertRange(const Target& t, const RecordBatch& batch, size_t begin, size_t end);
  // Creates table `table_name` for collection `info`: the columns and
  // indexes its configuration_json recorded, else `default_columns` and an
  // HNSW index in the collection's space; the comment holds its metadata.
  Status CreateTable(const CollectionInfo& info, const Json& configuration,
                     const std::string& table_name, const std::string& default_columns);
  // The statements renaming table `from` to `to` with its indexes and
  // writing `metadata_json` (when not empty) in its comment; NotFound when
  // `from` does not exist.
  Result<std::vector<std::string>> RenameTableStatements(const std::string& from,
                                                         const std::string& to,
                                                         const std::string& metadata_json,
                                                         const std::string& what);
  // Runs `statements` in one transaction (rolled back on error).
  Status RunInTransaction(const std::vector<std::string>& statements, const std::string& what);
  // Renames table `from` to `to` with its indexes, and writes
  // `metadata_json` (when not empty) in its comment, in one transaction.
  Status RenameTable(const std::string& from, const std::string& to,
                     const std::string& metadata_json, const std::string& what);

  // --- postgres_layouts.cc: the library layouts. ---
  // The names of the collections of a layout other than tables, sorted.
  Result<std::vector<std::string>> LayoutCollectionNames();
  // A collection of a layout other than tables; NotFound when absent.
  Result<Target> ResolveInLayout(const std::string& collection);
  Status CreateInLayout(const CollectionInfo& info, const Json& configuration);
  Status RenameInLayout(const Target& t, const std::string& to,
                        const std::string* metadata_json, const std::string& what);
  Status DeleteInLayout(const Target& t, const std::string& what);
  // Tables of LangChain's layouts: the collection table and the embedding
  // table (nullopt when the schema has none yet).
  struct LangchainTables {
    std::string collections;
    std::string embeddings;
    std::optional<TableDesc> embeddings_desc;
  };
  Result<LangchainTables> FindLangchainTables();
  Result<Target> ResolveLangchain(const std::string& name, const std::string& uuid,
                                  const std::string& cmetadata, const LangchainTables& tables);
  Status EnsureLangchainTables(const CollectionInfo& info, LangchainTables* tables);
  // Tables holding several collections in a column (llamaindex-ts,
  // collection=COLUMN): the candidates, described.
  Result<std::vector<TableDesc>> SharedTables();
  Result<Target> ResolveShared(const TableDesc& table, const std::string& value,
                               const TableComment& comment);
  // The llamaindex table of a collection: data_NAME.
  static std::string LlamaTable(const std::string& collection) { return "data_" + collection; }
  Result<Target> ResolveLlamaIndex(const TableDesc& table);
  // COMMENT ON TABLE `table` IS `comment` (escaped by libpq: COMMENT takes
  // no parameters).
  Status WriteComment(const std::string& table, const std::string& comment,
                      const std::string& what);

  PostgresUri uri_;
  OpenOptions options_;
  std::string schema_sql_;
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_{nullptr, PQfinish};
  bool has_pgvector_ = false;  // the vector extension is created in the database
};

// The default space of a layout's collections when no ANN index and no note
// of vecgate says otherwise: what the library's own queries use.
DistanceSpace DefaultSpace(PostgresLayout layout);

}  // namespace vecgate::postgres_internal

#endif  // VECGATE_STORES_POSTGRES_INTERNAL_H_
