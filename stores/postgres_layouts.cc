// Where the library layouts of the postgresql:// store keep their
// collections (see postgres_store.h and docs/pgvector.md), and how a
// collection is created, renamed and deleted in each:
//
//   langchain      langchain_pg_collection + langchain_pg_embedding
//                  (langchain_postgres vectorstores.py; the older
//                  langchain_community form keyed by uuid with custom_id)
//   langchain-js   a collection table + one embedding table
//                  (@langchain/community 1.1.x vectorstores/pgvector.ts)
//   llamaindex     data_NAME tables (llama-index-vector-stores-postgres)
//   llamaindex-ts  llamaindex_embedding, a collection per `collection` value
//                  (@llamaindex/postgres PGVectorStore.ts)
//   tables with collection=COLUMN: a collection per value of that column
//
// The column names and types come from each library's own DDL; the tests
// (tests/postgres_layouts_test.cc) make the tables the same way.
#include <algorithm>
#include <cstring>
#include <set>

#include "core/text.h"
#include "stores/postgres_internal.h"

namespace vecgate::postgres_internal {

namespace {

constexpr char kLangchainCollections[] = "langchain_pg_collection";
constexpr char kLangchainEmbeddings[] = "langchain_pg_embedding";
constexpr char kLlamaIndexTsTable[] = "llamaindex_embedding";
constexpr char kLlamaIndexPrefix[] = "data_";
// LangChain JS rows set aside keep their id under this metadata key.
constexpr char kAsideIdKey[] = "vecgate_aside_id";

bool IsLangchain(PostgresLayout l) {
  return l == PostgresLayout::kLangchain || l == PostgresLayout::kLangchainJs;
}

// The kind and dimension of embedding column `name` of `table`; false when
// the table has no such column of an embedding type.
bool SetEmbedding(const TableDesc& table, const std::string& name, Target* t) {
  const Column* c = table.Find(name);
  if (c == nullptr || KindOfType(c->typname) == EmbeddingKind::kNone) return false;
  t->embedding_col = name;
  t->kind = KindOfType(c->typname);
  if (IsPgvectorKind(t->kind) && c->typmod > 0) t->typmod_dimension = c->typmod;
  return true;
}

// The space a note or LangChain's hnsw:space key records, else `fallback`.
DistanceSpace HintedSpace(const Metadata& metadata, DistanceSpace fallback) {
  auto hinted = metadata.find("hnsw:space");
  if (hinted != metadata.end()) {
    if (auto* s = std::get_if<std::string>(&hinted->second)) {
      if (auto space = ParseDistanceSpace(*s)) return *space;
    }
  }
  return fallback;
}

// configuration_json: the layout, the table, its columns and the column
// each field is read from, plus `extra`; ApplyIndexes adds the indexes.
Json LayoutJson(PostgresLayout layout, const TableDesc& table, const Target& t, Json extra) {
  Json pg = {{"layout", PostgresLayoutName(layout)},
             {"table", table.name},
             {"columns", ColumnsJson(table)},
             {"id", t.id_col.empty() ? Json(t.id_sql) : Json(t.id_col)},
             {"document", t.document_col.empty() ? Json(nullptr) : Json(t.document_col)},
             {"metadata", t.metadata_col.empty() ? Json(nullptr) : Json(t.metadata_col)},
             {"embedding", t.embedding_col}};
  for (auto it = extra.begin(); it != extra.end(); ++it) pg[it.key()] = it.value();
  return pg;
}

}  // namespace

Store::OwnedKeys PostgresStore::LayoutOwnedKeys() const {
  switch (layout()) {
    case PostgresLayout::kLlamaIndex:
      // node_to_metadata_dict: the node without its text and embedding
      // (_node_content), its class (_node_type) and the source document's
      // id under three names.
      return {"llamaindex", {"_node_content", "_node_type", "doc_id", "document_id", "ref_doc_id"}};
    case PostgresLayout::kLlamaIndexTs:
      // PGVectorStore.add stamps every node it writes.
      return {"llamaindex-ts", {"create_date"}};
    default:
      return {};
  }
}

Status PostgresStore::WriteComment(const std::string& table, const std::string& comment,
                                   const std::string& what) {
  char* literal = PQescapeLiteral(conn_.get(), comment.c_str(), comment.size());
  if (literal == nullptr) return Internal(Prefix() + what + ": cannot escape the comment");
  const std::string sql = "COMMENT ON TABLE " + Table(table) + " IS " + literal;
  PQfreemem(literal);
  return Exec(sql, {}, what + ", the table comment").status();
}

// ------------------------------------------------------------ langchain

Result<PostgresStore::LangchainTables> PostgresStore::FindLangchainTables() {
  LangchainTables found;
  if (layout() == PostgresLayout::kLangchain) {
    found.collections = kLangchainCollections;
    found.embeddings = kLangchainEmbeddings;
  } else {
    found.collections =
        uri_.collection_table.empty() ? kLangchainCollections : uri_.collection_table;
    found.embeddings = uri_.table;
  }
  if (!found.embeddings.empty()) {
    ASSIGN_OR_RETURN(auto tables, DescribeTables(&found.embeddings));
    auto it = tables.find(found.embeddings);
    if (it != tables.end()) found.embeddings_desc = std::move(it->second);
  } else {
    // LangChain JS names its embedding table as the application likes: the
    // one table with a collection_id column and an embedding column.
    ASSIGN_OR_RETURN(auto tables, DescribeTables(nullptr));
    std::vector<std::string> candidates;
    for (auto& [name, table] : tables) {
      if (name == found.collections || table.Find("collection_id") == nullptr) continue;
      const bool has_embedding =
          std::any_of(table.columns.begin(), table.columns.end(), [](const Column& c) {
            return KindOfType(c.typname) != EmbeddingKind::kNone;
          });
      if (has_embedding) candidates.push_back(name);
    }
    if (candidates.size() > 1) {
      std::string names;
      for (const auto& c : candidates) names += (names.empty() ? "" : ", ") + c;
      return InvalidArgument(Prefix() + "schema '" + uri_.schema + "' has " +
                             std::to_string(candidates.size()) +
                             " tables with a collection_id and an embedding column (" + names +
                             "); name LangChain JS's embedding table with ?table=NAME");
    }
    if (candidates.size() == 1) {
      found.embeddings = candidates[0];
      found.embeddings_desc = std::move(tables[candidates[0]]);
    }
  }
  return found;
}

Result<Target> PostgresStore::ResolveLangchain(const std::string& name, const std::string& uuid,
                                               const std::string& cmetadata,
                                               const LangchainTables& tables) {
  const TableDesc& desc = *tables.embeddings_desc;
  const std::string where = Prefix() + "table '" + Printable(desc.name, true) + "' (layout=" +
                            PostgresLayoutName(layout()) + ")";
  Target t;
  if (layout() == PostgresLayout::kLangchainJs) {
    // Columns as LangChain JS's `columns` option names them: found by type
    // like a plain table's, or given with id=, document=, metadata=.
    ASSIGN_OR_RETURN(t, ResolveTable(desc));
    const Column* metadata = desc.Find(t.metadata_col);
    if (metadata != nullptr && metadata->typname == "jsonb") {
      // A row set aside by a rollback keeps its id in this key and takes a
      // new uuid, freeing its id for the restored collection.
      t.id_col.clear();
      t.id_sql = "COALESCE(" + QuoteIdent(t.metadata_col) + "->>'" + kAsideIdKey + "', " +
                 QuoteIdent(t.key_col) + "::text)";
      t.metadata_sql = "(" + QuoteIdent(t.metadata_col) + " - '" + kAsideIdKey + "')";
    }
  } else if (const Column* id = desc.Find("id")) {
    // langchain_postgres: id varchar PRIMARY KEY, the user's id, unique
    // across collections. A row set aside by a rollback has its id
    // prefixed with its collection's uuid and ':', which reading removes.
    t.id_write_col = t.key_col = "id";
    t.id_sql = "CASE WHEN starts_with(\"id\", \"collection_id\"::text || ':') THEN "
               "substr(\"id\", 38) ELSE \"id\"::text END";
    t.id_typname = id->typname;
  } else if (desc.Find("uuid") != nullptr && desc.Find("custom_id") != nullptr) {
    // langchain_community before langchain_postgres: uuid uuid PRIMARY KEY
    // and the user's id in custom_id (nullable).
    t.key_col = "uuid";
    t.id_sql = "COALESCE(\"custom_id\", \"uuid\"::text)";
    t.id_write_col = "custom_id";
    t.uuid_col = "uuid";
  } else {
    return InvalidArgument(where + " has neither an id column nor uuid and custom_id: is this "
                           "LangChain PGVector's schema?");
  }
  if (layout() == PostgresLayout::kLangchain) {
    if (desc.Find("document")) t.document_col = "document";
    if (desc.Find("cmetadata")) t.metadata_col = "cmetadata";
    if (!SetEmbedding(desc, "embedding", &t)) {
      return InvalidArgument(where + " has no embedding column of type vector: is this "
                             "LangChain PGVector's schema?");
    }
  }
  t.layout = layout();
  t.table_name = desc.name;
  t.table_sql = Table(desc.name);
  t.collection_col = "collection_id";
  t.collection_value = uuid;
  t.collection_cast = "::uuid";
  t.collection_table = tables.collections;
  t.info = CollectionInfo();
  t.info.name = name;
  if (!cmetadata.empty()) {
    RecordJsonReader reader;
    ASSIGN_OR_RETURN(t.info.metadata,
                     ParseMetadataText(reader, cmetadata.data(), cmetadata.size(),
                                       Prefix() + "cmetadata of collection '" + name + "'"));
  }
  t.info.space = HintedSpace(t.info.metadata, DefaultSpace(layout()));
  Json pg = LayoutJson(layout(), desc, t,
                       {{"collection_table", tables.collections}, {"collection_uuid", uuid}});
  ApplyIndexes(desc, &t, &pg);
  t.info.configuration_json = DumpJson(Json{{"postgres", pg}});
  return t;
}

Status PostgresStore::EnsureLangchainTables(const CollectionInfo& info, LangchainTables* tables) {
  RETURN_IF_ERROR(EnsureSchemaAndExtension(true));
  const std::string what = "creating LangChain's tables for collection '" + info.name + "'";
  const std::string collections = Table(tables->collections);
  if (layout() == PostgresLayout::kLangchain) {
    // langchain_postgres's CollectionStore and EmbeddingStore.
    RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS " + collections +
                             " (uuid uuid PRIMARY KEY, name varchar NOT NULL UNIQUE, "
                             "cmetadata json)",
                         {}, what)
                        .status());
    RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS " + Table(tables->embeddings) +
                             " (id varchar PRIMARY KEY, collection_id uuid REFERENCES " +
                             collections +
                             " (uuid) ON DELETE CASCADE, embedding vector, document varchar, "
                             "cmetadata jsonb)",
                         {}, what)
                        .status());
  } else {
    // LangChain JS's ensureCollectionTableInDatabase and
    // ensureTableInDatabase.
    RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS " + collections +
                             " (uuid uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, "
                             "name character varying, cmetadata jsonb)",
                         {}, what)
                        .status());
    if (!tables->embeddings_desc) {
      if (tables->embeddings.empty()) {
        return FailedPrecondition(Prefix() + what + ": schema '" + uri_.schema +
                                  "' has no LangChain JS embedding table yet; name the one to "
                                  "create with ?table=NAME");
      }
      const std::string vector =
          info.dimension > 0 ? "vector(" + std::to_string(info.dimension) + ")" : "vector";
      RETURN_IF_ERROR(Exec("CREATE TABLE " + Table(tables->embeddings) +
                               " (id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, "
                               "text text, metadata jsonb, embedding " + vector +
                               ", collection_id uuid REFERENCES " + collections +
                               " (uuid) ON DELETE CASCADE)",
                           {}, what)
                          .status());
    }
  }
  ASSIGN_OR_RETURN(*tables, FindLangchainTables());
  return Status::Ok();
}

// ----------------------------------------------------------- llamaindex

Result<Target> PostgresStore::ResolveLlamaIndex(const TableDesc& table) {
  const std::string where = Prefix() + "table '" + Printable(table.name, true) + "'";
  Target t;
  t.layout = layout();
  t.table_name = table.name;
  t.table_sql = Table(table.name);
  // get_data_model: id bigint (autoincrement) PRIMARY KEY, text varchar NOT
  // NULL, metadata_ json or jsonb, node_id varchar, embedding vector(d).
  if (!SetEmbedding(table, "embedding", &t) || table.Find("node_id") == nullptr ||
      table.Find("id") == nullptr) {
    return InvalidArgument(where +
                           " has no id, node_id and embedding columns: it is not a collection "
                           "of LlamaIndex's PGVectorStore");
  }
  t.key_col = "id";
  t.id_sql = "COALESCE(\"node_id\", \"id\"::text)";
  t.id_write_col = "node_id";
  if (const Column* text = table.Find("text")) {
    t.document_col = "text";
    t.document_not_null = text->not_null;
  }
  if (const Column* m = table.Find("metadata_"); m && IsJsonType(m->typname)) {
    t.metadata_col = "metadata_";
  }
  t.info.name = table.name.substr(std::strlen(kLlamaIndexPrefix));
  TableComment comment = ParseComment(table.comment);
  t.info.metadata = comment.metadata;
  t.info.space = comment.space.value_or(DefaultSpace(layout()));
  Json pg = LayoutJson(layout(), table, t, Json::object());
  ApplyIndexes(table, &t, &pg);
  t.info.configuration_json = DumpJson(Json{{"postgres", pg}});
  return t;
}

// --------------------------------------------------------- shared tables

Result<std::vector<TableDesc>> PostgresStore::SharedTables() {
  std::vector<TableDesc> out;
  const std::string only =
      layout() == PostgresLayout::kLlamaIndexTs && uri_.table.empty() ? kLlamaIndexTsTable
                                                                         : uri_.table;
  ASSIGN_OR_RETURN(auto tables, DescribeTables(only.empty() ? nullptr : &only));
  const std::string column =
      layout() == PostgresLayout::kLlamaIndexTs ? "collection" : uri_.collection_column;
  for (auto& [name, table] : tables) {
    if (table.Find(column) != nullptr) out.push_back(std::move(table));
  }
  return out;
}

Result<Target> PostgresStore::ResolveShared(const TableDesc& table, const std::string& value,
                                            const TableComment& comment) {
  const std::string where = Prefix() + "table '" + Printable(table.name, true) + "'";
  Target t;
  if (layout() == PostgresLayout::kLlamaIndexTs) {
    // PGVectorStore.checkSchema: id uuid DEFAULT gen_random_uuid() PRIMARY
    // KEY, external_id VARCHAR, collection VARCHAR, document TEXT, metadata
    // JSONB DEFAULT '{}', embeddings VECTOR(d). add() writes the node id
    // to id and '' to external_id.
    if (!SetEmbedding(table, "embeddings", &t) || table.Find("id") == nullptr ||
        table.Find("external_id") == nullptr) {
      return InvalidArgument(where + " has no id, external_id and embeddings columns: is this "
                             "LlamaIndex TS's PGVectorStore table? (layout=llamaindex-ts)");
    }
    t.key_col = "id";
    t.id_sql = "COALESCE(NULLIF(\"external_id\", ''), \"id\"::text)";
    t.uuid_col = "id";
    t.id_write_col = "external_id";
    t.id_write_external = true;
    if (table.Find("document")) t.document_col = "document";
    if (table.Find("metadata")) t.metadata_col = "metadata";
    t.collection_col = "collection";
  } else {
    ASSIGN_OR_RETURN(t, ResolveTable(table));
    const Column* c = table.Find(uri_.collection_column);
    if (c == nullptr || !IsTextType(c->typname)) {
      return InvalidArgument(where + ": collection column '" + uri_.collection_column +
                             "' (from ?collection=) must be of a text type");
    }
    t.collection_col = uri_.collection_column;
  }
  t.layout = layout();
  t.table_name = table.name;
  t.table_sql = Table(table.name);
  t.collection_value = value;
  t.info = CollectionInfo();
  t.info.name = value;
  t.info.space = DefaultSpace(layout());
  auto note = comment.collections.find(value);
  if (note != comment.collections.end()) {
    t.info.metadata = note->second.metadata;
    t.info.space = note->second.space.value_or(t.info.space);
  }
  Json pg = LayoutJson(layout(), table, t, {{"collection_column", t.collection_col}});
  ApplyIndexes(table, &t, &pg);
  t.info.configuration_json = DumpJson(Json{{"postgres", pg}});
  return t;
}

// ------------------------------------------------------ every library layout

Result<std::vector<std::string>> PostgresStore::LayoutCollectionNames() {
  std::set<std::string> names;
  if (IsLangchain(layout())) {
    ASSIGN_OR_RETURN(LangchainTables tables, FindLangchainTables());
    if (!tables.embeddings_desc) return std::vector<std::string>();
    ASSIGN_OR_RETURN(auto collection_table, DescribeTables(&tables.collections));
    if (collection_table.empty()) return std::vector<std::string>();
    ASSIGN_OR_RETURN(PgResult r, Exec("SELECT name FROM " + Table(tables.collections) +
                                          " WHERE name IS NOT NULL",
                                      {}, "listing " + tables.collections));
    for (int i = 0; i < PQntuples(r.get()); ++i) names.insert(PQgetvalue(r.get(), i, 0));
  } else if (layout() == PostgresLayout::kLlamaIndex) {
    ASSIGN_OR_RETURN(auto tables, DescribeTables(nullptr));
    for (const auto& [name, table] : tables) {
      if (name.rfind(kLlamaIndexPrefix, 0) != 0 || name.size() == std::strlen(kLlamaIndexPrefix)) {
        continue;
      }
      Result<Target> t = ResolveLlamaIndex(table);
      if (t.ok()) names.insert(t->info.name);
    }
  } else {
    ASSIGN_OR_RETURN(std::vector<TableDesc> tables, SharedTables());
    for (const TableDesc& table : tables) {
      const std::string column = QuoteIdent(
          layout() == PostgresLayout::kLlamaIndexTs ? "collection" : uri_.collection_column);
      // Rows without a collection (NULL or '') belong to none.
      ASSIGN_OR_RETURN(PgResult r, Exec("SELECT DISTINCT " + column + "::text FROM " +
                                            Table(table.name) + " WHERE " + column +
                                            " IS NOT NULL AND " + column + "::text <> ''",
                                        {}, "listing the collections of table " + table.name));
      for (int i = 0; i < PQntuples(r.get()); ++i) names.insert(PQgetvalue(r.get(), i, 0));
      for (const auto& [name, note] : ParseComment(table.comment).collections) names.insert(name);
    }
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<Target> PostgresStore::ResolveInLayout(const std::string& collection) {
  const std::string missing =
      Prefix() + "collection '" + Printable(collection, true) + "' does not exist: ";
  if (IsLangchain(layout())) {
    ASSIGN_OR_RETURN(LangchainTables tables, FindLangchainTables());
    if (!tables.embeddings_desc) {
      return NotFound(missing + "schema '" + uri_.schema + "' has no " +
                      (tables.embeddings.empty() ? std::string("LangChain JS embedding")
                                                 : tables.embeddings) +
                      " table (layout=" + PostgresLayoutName(layout()) + ")");
    }
    Result<PgResult> r =
        Exec("SELECT uuid::text, COALESCE(cmetadata::text, '') FROM " +
                 Table(tables.collections) + " WHERE name = $1 ORDER BY uuid LIMIT 1",
             {collection}, "looking up collection '" + collection + "'");
    if (!r.ok() && r.status().code() == StatusCode::kNotFound) {
      return NotFound(missing + "schema '" + uri_.schema + "' has no " + tables.collections +
                      " table");
    }
    if (!r.ok()) return r.status();
    if (PQntuples(r->get()) == 0) {
      return NotFound(missing + "no row of that name in " + tables.collections);
    }
    return ResolveLangchain(collection, PQgetvalue(r->get(), 0, 0), PQgetvalue(r->get(), 0, 1),
                            tables);
  }
  if (layout() == PostgresLayout::kLlamaIndex) {
    const std::string table = LlamaTable(collection);
    ASSIGN_OR_RETURN(auto tables, DescribeTables(&table));
    auto it = tables.find(table);
    if (it == tables.end()) {
      return NotFound(missing + "no table " + table + " in schema '" + uri_.schema + "'");
    }
    return ResolveLlamaIndex(it->second);
  }
  ASSIGN_OR_RETURN(std::vector<TableDesc> tables, SharedTables());
  std::vector<std::pair<const TableDesc*, TableComment>> holders;
  for (const TableDesc& table : tables) {
    TableComment comment = ParseComment(table.comment);
    bool holds = comment.collections.count(collection) > 0;
    if (!holds) {
      const std::string column =
          layout() == PostgresLayout::kLlamaIndexTs ? "collection" : uri_.collection_column;
      ASSIGN_OR_RETURN(PgResult r,
                       Exec("SELECT 1 FROM " + Table(table.name) + " WHERE " +
                                QuoteIdent(column) + " = $1 LIMIT 1",
                            {collection}, "looking up collection '" + collection + "'"));
      holds = PQntuples(r.get()) > 0;
    }
    if (holds) holders.emplace_back(&table, std::move(comment));
  }
  if (holders.empty()) {
    return NotFound(missing + "no row of table" + (tables.size() == 1 ? " " + tables[0].name : "s") +
                    " in schema '" + uri_.schema + "' has that collection");
  }
  if (holders.size() > 1) {
    return InvalidArgument(Prefix() + "collection '" + Printable(collection, true) +
                           "' is in tables " + holders[0].first->name + " and " +
                           holders[1].first->name + "; name one with ?table=NAME");
  }
  return ResolveShared(*holders[0].first, collection, holders[0].second);
}

Status PostgresStore::CreateInLayout(const CollectionInfo& info, const Json& configuration) {
  const std::string what = "creating collection '" + info.name + "'";
  if (IsLangchain(layout())) {
    ASSIGN_OR_RETURN(LangchainTables tables, FindLangchainTables());
    RETURN_IF_ERROR(EnsureLangchainTables(info, &tables));
    Metadata metadata = info.metadata;
    if (info.space != DistanceSpace::kCosine && !metadata.count("hnsw:space")) {
      metadata["hnsw:space"] = std::string(DistanceSpaceName(info.space));
    }
    std::string cmetadata;
    RETURN_IF_ERROR(AppendPgMetadataJson(metadata, Prefix() + what, &cmetadata));
    // cmetadata is json (Python) or jsonb (JS): the parameter takes the
    // column's type.
    return Exec("INSERT INTO " + Table(tables.collections) +
                    " (uuid, name, cmetadata) VALUES (gen_random_uuid(), $1, $2)",
                {info.name, cmetadata}, what)
        .status();
  }
  if (layout() == PostgresLayout::kLlamaIndex) {
    // get_data_model with LlamaIndex's defaults (use_jsonb=False).
    std::string columns =
        "id bigserial PRIMARY KEY, text varchar NOT NULL, metadata_ json, node_id varchar, "
        "embedding vector";
    if (info.dimension > 0) columns += "(" + std::to_string(info.dimension) + ")";
    return CreateTable(info, configuration, LlamaTable(info.name), columns);
  }
  ASSIGN_OR_RETURN(std::vector<TableDesc> tables, SharedTables());
  if (tables.empty() && layout() == PostgresLayout::kLlamaIndexTs) {
    RETURN_IF_ERROR(EnsureSchemaAndExtension(true));
    const std::string name = uri_.table.empty() ? kLlamaIndexTsTable : uri_.table;
    const std::string vector =
        info.dimension > 0 ? "VECTOR(" + std::to_string(info.dimension) + ")" : "VECTOR";
    RETURN_IF_ERROR(Exec("CREATE TABLE " + Table(name) +
                             " (id uuid DEFAULT gen_random_uuid() PRIMARY KEY, external_id "
                             "VARCHAR, collection VARCHAR, document TEXT, metadata JSONB "
                             "DEFAULT '{}', embeddings " + vector + ")",
                         {}, what)
                        .status());
    for (const char* column : {"external_id", "collection"}) {
      const std::string index = "idx_" + name + "_" + column;
      if (index.size() > kMaxIdentifierBytes) continue;
      RETURN_IF_ERROR(Exec("CREATE INDEX " + QuoteIdent(index) + " ON " + Table(name) + " (" +
                               column + ")",
                           {}, what)
                          .status());
    }
    ASSIGN_OR_RETURN(tables, SharedTables());
  }
  if (tables.size() != 1) {
    return FailedPrecondition(
        Prefix() + what + ": " +
        (tables.empty() ? "no table of schema '" + uri_.schema + "' has collection column '" +
                              uri_.collection_column + "'"
                        : std::string("several tables have the collection column")) +
        "; name the table to hold it with ?table=NAME");
  }
  // The collection exists, empty, by its note in the table comment.
  ASSIGN_OR_RETURN(Json note, NoteJson(info.metadata, info.space, Prefix() + what));
  return WriteComment(tables[0].name, CommentWithCollection(tables[0].comment, info.name, &note),
                      what);
}

Status PostgresStore::RenameInLayout(const Target& t, const std::string& to,
                                     const std::string* metadata_json, const std::string& what) {
  // Rows of a collection set aside by a rollback free their keys, which
  // are unique across collections, for the restored one; the record ids
  // they read as stay the same (see ResolveLangchain and ResolveShared).
  const bool aside = IsRollbackAsideName(to);
  if (IsLangchain(layout())) {
    std::string free_keys;
    if (aside && t.key_col == "uuid") {
      free_keys = "SET custom_id = COALESCE(custom_id, uuid::text), uuid = gen_random_uuid()";
    } else if (aside && layout() == PostgresLayout::kLangchain) {
      free_keys = "SET id = collection_id::text || ':' || id";
    } else if (aside && !t.metadata_sql.empty()) {
      const std::string m = QuoteIdent(t.metadata_col);
      free_keys = "SET " + m + " = jsonb_set(COALESCE(" + m + ", '{}'::jsonb), '{" +
                  kAsideIdKey + "}', to_jsonb(" + t.id_sql + ")), " + QuoteIdent(t.key_col) +
                  " = gen_random_uuid()";
    }
    RETURN_IF_ERROR(Begin(what));
    auto run = [&]() -> Status {
      // The name and the metadata change together.
      if (metadata_json == nullptr) {
        RETURN_IF_ERROR(Exec("UPDATE " + Table(t.collection_table) +
                                 " SET name = $2 WHERE uuid = $1::uuid",
                             {*t.collection_value, to}, what)
                            .status());
      } else {
        RETURN_IF_ERROR(Exec("UPDATE " + Table(t.collection_table) +
                                 " SET name = $2, cmetadata = $3 WHERE uuid = $1::uuid",
                             {*t.collection_value, to, *metadata_json}, what)
                            .status());
      }
      if (!free_keys.empty()) {
        RETURN_IF_ERROR(Exec("UPDATE " + t.table_sql + " " + free_keys +
                                 " WHERE collection_id = $1::uuid",
                             {*t.collection_value}, what + ", freeing the ids set aside")
                            .status());
      }
      return Commit(what);
    };
    Status s = run();
    if (!s.ok()) Rollback();
    return s;
  }
  if (layout() == PostgresLayout::kLlamaIndex) {
    return RenameTable(t.table_name, LlamaTable(to), metadata_json ? *metadata_json : "", what);
  }
  // A shared table: the rows change collection and the note moves, in one
  // transaction.
  ASSIGN_OR_RETURN(auto tables, DescribeTables(&t.table_name));
  const std::string comment = tables[t.table_name].comment;
  ASSIGN_OR_RETURN(Json note, NoteJson(t.info.metadata, t.info.space, Prefix() + what));
  if (metadata_json != nullptr) note["metadata"] = Json::parse(*metadata_json);
  const std::string moved = CommentWithCollection(
      CommentWithCollection(comment, t.info.name, nullptr), to, &note);
  RETURN_IF_ERROR(Begin(what));
  auto run = [&]() -> Status {
    std::string free_keys;
    if (aside && layout() == PostgresLayout::kLlamaIndexTs) {
      free_keys = ", external_id = COALESCE(NULLIF(external_id, ''), id::text), "
                  "id = gen_random_uuid()";
    }
    RETURN_IF_ERROR(Exec("UPDATE " + t.table_sql + " SET " + QuoteIdent(t.collection_col) +
                             " = $2" + free_keys + " WHERE " + QuoteIdent(t.collection_col) +
                             " = $1",
                         {*t.collection_value, to}, what)
                        .status());
    RETURN_IF_ERROR(WriteComment(t.table_name, moved, what));
    return Commit(what);
  };
  Status s = run();
  if (!s.ok()) Rollback();
  return s;
}

Status PostgresStore::DeleteInLayout(const Target& t, const std::string& what) {
  if (layout() == PostgresLayout::kLlamaIndex) {
    return Exec("DROP TABLE " + t.table_sql, {}, what).status();
  }
  std::string comment;
  if (!IsLangchain(layout())) {
    ASSIGN_OR_RETURN(auto tables, DescribeTables(&t.table_name));
    comment = CommentWithCollection(tables[t.table_name].comment, t.info.name, nullptr);
  }
  RETURN_IF_ERROR(Begin(what));
  auto run = [&]() -> Status {
    RETURN_IF_ERROR(Exec("DELETE FROM " + t.table_sql + " WHERE " + QuoteIdent(t.collection_col) +
                             " = $1" + t.collection_cast,
                         {*t.collection_value}, what)
                        .status());
    if (IsLangchain(layout())) {
      RETURN_IF_ERROR(Exec("DELETE FROM " + Table(t.collection_table) + " WHERE uuid = $1::uuid",
                           {*t.collection_value}, what)
                          .status());
    } else {
      RETURN_IF_ERROR(WriteComment(t.table_name, comment, what));
    }
    return Commit(what);
  };
  Status s = run();
  if (!s.ok()) Rollback();
  return s;
}

}  // namespace vecgate::postgres_internal
