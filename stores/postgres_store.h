// The postgresql:// adapter: a Store backed by PostgreSQL with pgvector,
// spoken to through libpq (the standard protocol only).
//
//   postgresql://[USER@]HOST[:PORT]/DATABASE[?PARAMS]    (also postgres://)
//
// A password in the URI (user:password@ or ?password=) is refused: libpq
// reads it from PGPASSWORD or ~/.pgpass. Other libpq parameters in PARAMS
// (sslmode, connect_timeout, application_name, ...) are passed through.
// vecgate's own parameters:
//   schema=NAME        the schema holding the collections (default public)
//   layout=tables      (default) every table of the schema with exactly one
//                      embedding column is a collection named by the table
//   layout=langchain   Python LangChain PGVector (langchain_postgres and
//                      langchain_community): a collection is a row of
//                      langchain_pg_collection, its records the rows of
//                      langchain_pg_embedding with that collection_id; the
//                      record id is `id`, or in the older form (uuid key)
//                      custom_id, else uuid
//   layout=langchain-js  LangChain JS PGVectorStore with a collection table
//                      (collection_table=, default langchain_pg_collection)
//                      and its embedding table (table=, else the one table
//                      with a collection_id column); id = its uuid `id`
//   layout=llamaindex  Python LlamaIndex: each table data_NAME is collection
//                      NAME; the record id is node_id
//   layout=llamaindex-ts  LlamaIndex TS: one table (table=, default
//                      llamaindex_embedding), a collection per value of its
//                      `collection` column; the record id is external_id
//                      when not empty, else `id`
//   collection=COLUMN  (tables) each table with that column holds one
//                      collection per distinct value (table= names one table)
//   id=, document=, metadata=, embedding=   name other columns (tables,
//                      langchain-js)
//
// layout=tables: id = the single-column primary key (text, varchar, uuid or
// integer, read as a string), document = a text column named document,
// content, text or page_content, metadata = a jsonb/json column named
// metadata, cmetadata, meta, langchain_metadata or metadata_. Embedding
// columns: pgvector vector(d), halfvec(d) (read as float32), real[] and
// double precision[].
//
// Keys a library writes itself into the metadata of every record are the
// layout's (LayoutOwnedKeys): LlamaIndex's _node_content, _node_type,
// doc_id, document_id and ref_doc_id; LlamaIndex TS's create_date. They are
// read and written like any other key, so a restore puts them back.
//
// On a table holding several collections (langchain, langchain-js,
// llamaindex-ts, collection=COLUMN) scans, counts, gets and queries are
// filtered to the collection. The collection's metadata and space live in
// the collection table's cmetadata (LangChain) or in a note in the table
// comment (llamaindex-ts, collection=COLUMN), where an empty collection is
// also listed.
//
// Metadata from json/jsonb keeps its types: strings, booleans and null as
// they are; a number written with a fraction or an exponent is a float,
// otherwise an int (jsonb keeps a number's digits, not its notation: 1e3
// is stored as 1000, an int). Nested arrays and objects are kept as their JSON text
// (a string). Floats are written with a fraction ("2.0"), so they come back
// as floats.
//
// Distance space: the operator class of an HNSW or IVFFlat index on the
// embedding column (vector_cosine_ops -> cosine, vector_l2_ops -> l2,
// vector_ip_ops -> ip, the same for halfvec); without one, the space vecgate
// recorded when it created the table (the table comment), else l2 (pgvector's
// <-> operator) for tables and cosine (the libraries' default) for the
// library layouts.
// CollectionInfo.configuration_json holds {"postgres": {...}}: the layout,
// the column names and types, "ann_index" (the index method, or null when
// no HNSW/IVFFlat index exists: queries are then exact scans) and
// "indexes" (every index's pg_indexes.indexdef), which CreateCollection
// replays so that a snapshot restores a table with its indexes.
//
// Reads page with keyset queries (ORDER BY id LIMIT page), one statement per
// page: memory is bounded by the page and no transaction stays open.
// Writes: multi-row INSERTs with parameters inside one transaction per Add.
// RenameCollectionWithMetadata writes the new metadata where it is read
// from (the table comment, the collection's note in it, or cmetadata for
// LangChain) in the transaction of the rename: rollback's aside collections
// carry its stamp, which snapshot cleanup checks before deleting one.
// Query uses pgvector's operators (<->, <=>, <#>) so an index answers it;
// distances are given in vecgate's convention (squared l2, 1 - cosine,
// 1 - inner product). On a shared table it is filtered to the collection,
// as the library's search is: an HNSW index may then give fewer than k
// rows, which are returned as they are, never padded.
//
// Every statement goes over the extended protocol (one statement each);
// identifiers are always quoted, and what the catalogue or an archive holds
// as text (index definitions, defaults, types) is replayed only when it
// parses as the one thing it should be (postgres_internal.h). --timeout
// bounds every statement (statement_timeout). A snapshot refuses a table it
// cannot hold as it is (CheckSnapshotFaithful) and a rollback one it cannot
// recreate (CheckRestorable); layout=tables restores by building a staging
// table and swapping it in (SwapInRestored). Names fit 63 bytes
// (max_name_bytes).
//
// Thread safety: one thread at a time (the Store contract); one connection.
#ifndef VECGATE_STORES_POSTGRES_STORE_H_
#define VECGATE_STORES_POSTGRES_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/store.h"

namespace vecgate {

enum class PostgresLayout { kTables, kLangchain, kLangchainJs, kLlamaIndex, kLlamaIndexTs };

// "tables", "langchain", "langchain-js", "llamaindex", "llamaindex-ts".
const char* PostgresLayoutName(PostgresLayout layout);
std::optional<PostgresLayout> ParsePostgresLayout(const std::string& name);

// A parsed postgresql:// URI.
struct PostgresUri {
  std::string user;  // empty: libpq's default (PGUSER, the login name)
  std::string host;
  int port = 0;  // 0: libpq's default (PGPORT, 5432)
  std::string database;
  std::string schema = "public";
  PostgresLayout layout = PostgresLayout::kTables;
  // Column names given by id=, document=, metadata=, embedding= (tables,
  // langchain-js).
  std::string id_column, document_column, metadata_column, embedding_column;
  std::string table;             // table= (langchain-js, llamaindex-ts, collection=)
  std::string collection_table;  // collection_table= (langchain-js)
  std::string collection_column; // collection= (tables)
  // Other parameters, passed to libpq as they are.
  std::vector<std::pair<std::string, std::string>> libpq_params;

  // The URI back, without credentials (there are none in it).
  std::string ToString() const;
};

// InvalidArgument, saying the expected form, for a malformed URI; a password
// is refused (and not echoed) with a pointer to PGPASSWORD / ~/.pgpass.
Result<PostgresUri> ParsePostgresUri(const std::string& uri);

// The opener registered for postgresql:// and postgres:// (register.cc).
// Connects and checks the schema exists (or that the layout's tables do).
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& uri,
                                                 const OpenOptions& options);

// Runs one SQL statement (no parameters) on the server of `uri`: for tests
// and tools that prepare a database. Errors are Status like the store's.
Status ExecutePostgres(const std::string& uri, const std::string& sql);

}  // namespace vecgate

#endif  // VECGATE_STORES_POSTGRES_STORE_H_
