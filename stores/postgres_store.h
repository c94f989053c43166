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
//   layout=langchain   LangChain PGVector's tables: a collection is a row of
//                      langchain_pg_collection, its records are the rows of
//                      langchain_pg_embedding with that collection_id
//   id=, document=, metadata=, embedding=   name other columns (tables)
//
// layout=tables: id = the single-column primary key (text, varchar, uuid or
// integer, read as a string), document = a text column named document,
// content, text or page_content, metadata = a jsonb/json column named
// metadata, cmetadata or meta. Embedding columns: pgvector vector(d),
// halfvec(d) (read as float32), real[] and double precision[].
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
// <-> operator) for tables and cosine (LangChain's default) for langchain.
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
// from (the table comment, or cmetadata for langchain) in the transaction of
// the rename: rollback's aside tables carry its stamp, which snapshot
// cleanup checks before deleting one.
// Query uses pgvector's operators (<->, <=>, <#>) so an index answers it;
// distances are given in vecgate's convention (squared l2, 1 - cosine,
// 1 - inner product).
//
// Thread safety: one thread at a time (the Store contract); one connection.
#ifndef VECGATE_STORES_POSTGRES_STORE_H_
#define VECGATE_STORES_POSTGRES_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/store.h"

namespace vecgate {

enum class PostgresLayout { kTables, kLangchain };

// A parsed postgresql:// URI.
struct PostgresUri {
  std::string user;  // empty: libpq's default (PGUSER, the login name)
  std::string host;
  int port = 0;  // 0: libpq's default (PGPORT, 5432)
  std::string database;
  std::string schema = "public";
  PostgresLayout layout = PostgresLayout::kTables;
  // Column names given by id=, document=, metadata=, embedding= (tables).
  std::string id_column, document_column, metadata_column, embedding_column;
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
