// Copies one Chroma collection into PostgreSQL through LlamaIndex TS's
// PGVectorStore (@llamaindex/postgres: one shared table, each row naming
// its collection), the way a user of LlamaIndex TS migrates: each record
// becomes a TextNode carrying the embedding Chroma holds, added with
// PGVectorStore.add after setCollection(--target).
//
// Usage: node llamaindex_writer.mjs --chroma http://HOST:PORT --database DB
//   --collection NAME --pg postgresql://U:P@HOST:PORT/DB [--target NAME]
//   [--schema public] [--table llamaindex_embedding]
//   [--inject drop:0.02,replace_vector:0.01,stringify:0.03 --seed N
//    --fault-log FILE] [--id-key chroma_id]
//
// What the library does with the records (measured, see README.md): its id
// column is a uuid, so a Chroma id cannot be the row's id: each node keeps
// LlamaIndex's own random uuid and the writer keeps Chroma's id in the
// metadata under --id-key; external_id is always written empty; add() puts
// a create_date key into every metadata it is given. The store has no HNSW
// index API (its source says "TODO add IVFFlat or HNSW indexing?"), so
// none is made. It works on one pg Client, one connection.
import {
  injectFaults, parseOptions, pgOptions, readCollection, requireClient, writeFaultLog,
} from "./chroma_source.mjs";

const { PGVectorStore } = requireClient("@llamaindex/postgres");
const { TextNode } = requireClient("@llamaindex/core/schema");
const { BaseEmbedding } = requireClient("@llamaindex/core/embeddings");

// Nodes per add call: one INSERT of 6 parameters a row (PostgreSQL allows
// 65535 parameters in a statement).
const BATCH = 1000;

// A vector store wants an embedding model (Settings.embedModel, else it
// throws); the writer passes every vector itself, so embedding is a bug.
class NoEmbeddings extends BaseEmbedding {
  async getTextEmbedding() { throw new Error("llamaindex_writer must not embed text"); }
}

const usage = "usage: llamaindex_writer.mjs --chroma URL --collection NAME --pg URI [options]";
const options = parseOptions(usage, {
  schema: { type: "string", default: "public" },
  table: { type: "string", default: "llamaindex_embedding" },
});
const records = await readCollection(options);
const affected = injectFaults(records, options.faults, options.seed);

const store = new PGVectorStore({
  clientConfig: pgOptions(options.pg),
  schemaName: options.schema,
  tableName: options.table,
  dimensions: records.dimension,
  embedModel: new NoEmbeddings(),
});
store.setCollection(options.target);
try {
  for (let start = 0; start < records.ids.length; start += BATCH) {
    const nodes = records.ids.slice(start, start + BATCH).map((id, k) => new TextNode({
      text: records.documents[start + k] ?? "",
      metadata: { ...records.metadatas[start + k], [options["id-key"]]: id },
      embedding: records.embeddings[start + k],
    }));
    await store.add(nodes);
  }
} finally {
  const db = await store.client();
  await db.close();
}
writeFaultLog(options["fault-log"], affected);
process.stderr.write(`llamaindex_writer.mjs: ${records.ids.length} records of ${options.collection} ` +
                     `into ${options.schema}.${options.table} (collection ${options.target})\n`);
