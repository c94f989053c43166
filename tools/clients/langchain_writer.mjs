// Copies one Chroma collection into PostgreSQL through LangChain JS's
// PGVectorStore (@langchain/community/vectorstores/pgvector) with a
// collection table, the way a user of LangChain JS migrates: the records go
// in through addVectors with the embeddings Chroma holds, then the store's
// own createHnswIndex makes the HNSW index in the collection's space.
//
// Usage: node langchain_writer.mjs --chroma http://HOST:PORT --database DB
//   --collection NAME --pg postgresql://U:P@HOST:PORT/DB [--target NAME]
//   [--table langchainjs_embedding] [--collection-table langchainjs_collection]
//   [--inject drop:0.02,replace_vector:0.01,stringify:0.03 --seed N
//    --fault-log FILE] [--id-key chroma_id]
//
// What the library does with the records (measured, see README.md): its
// id column is a uuid, so a Chroma id (any string) cannot be the row's id:
// the library makes a uuid and the writer keeps Chroma's id in the metadata
// under --id-key. The collection is a row of the collection table, its
// metadata Chroma's collection metadata.
import {
  injectFaults, parseOptions, pgOptions, readCollection, requireClient, writeFaultLog,
} from "./chroma_source.mjs";

const { PGVectorStore } = requireClient("@langchain/community/vectorstores/pgvector");
const { Document } = requireClient("@langchain/core/documents");
const { Embeddings } = requireClient("@langchain/core/embeddings");

// Records per addVectors call; the store splits them into INSERTs of 500.
const BATCH = 2000;
const STRATEGIES = { cosine: "cosine", l2: "euclidean", ip: "innerProduct" };

// The writer passes every vector itself; embedding anything is a bug.
class NoEmbeddings extends Embeddings {
  async embedDocuments() { throw new Error("langchain_writer must not embed documents"); }
  async embedQuery() { throw new Error("langchain_writer must not embed queries"); }
}

const usage = "usage: langchain_writer.mjs --chroma URL --collection NAME --pg URI [options]";
const options = parseOptions(usage, {
  table: { type: "string", default: "langchainjs_embedding" },
  "collection-table": { type: "string", default: "langchainjs_collection" },
});
const table = options.table;
const records = await readCollection(options);
const affected = injectFaults(records, options.faults, options.seed);

// initialize() keeps one pooled client checked out for the store's life and
// queries through the pool, so the pool needs two connections (with one it
// waits forever). They never hold a transaction open at once, which is what
// PGlite's single backend needs.
const store = await PGVectorStore.initialize(new NoEmbeddings(), {
  postgresConnectionOptions: { ...pgOptions(options.pg), max: 2 },
  tableName: table,
  collectionTableName: options["collection-table"],
  collectionName: options.target,
  collectionMetadata: records.metadata,
  distanceStrategy: STRATEGIES[records.space],
  dimensions: records.dimension,
});
try {
  for (let start = 0; start < records.ids.length; start += BATCH) {
    const end = start + BATCH;
    const documents = records.ids.slice(start, end).map((id, k) => new Document({
      pageContent: records.documents[start + k] ?? "",
      metadata: { ...records.metadatas[start + k], [options["id-key"]]: id },
    }));
    await store.addVectors(records.embeddings.slice(start, end), documents);
  }
  await store.createHnswIndex({ dimensions: records.dimension, m: 16, efConstruction: 64 });
} finally {
  await store.end();
}
writeFaultLog(options["fault-log"], affected);
process.stderr.write(`langchain_writer.mjs: ${records.ids.length} records of ${options.collection} ` +
                     `into ${table} (collection ${options.target})\n`);
