"""Copies one Chroma collection into PostgreSQL through LlamaIndex's
PGVectorStore (llama_index.vector_stores.postgres: one table data_NAME a
collection), the way a user of LlamaIndex migrates: each record becomes a
TextNode carrying the embedding Chroma holds, added with
PGVectorStore.add; the store's own HNSW index is made through its
hnsw_kwargs, in the collection's distance space.

Usage: as langchain_writer.py (chroma_source.parse_args has every option).
The table is data_ plus --target (default: the collection's name);
LlamaIndex lower-cases it as PostgreSQL does.

What the library does with the records (measured, see README.md): the
Chroma id becomes the node_id column (the row's id is a bigserial), the
document the text column, and the metadata gains LlamaIndex's own keys
(_node_content, _node_type, document_id, doc_id, ref_doc_id).
"""

import sys

import chroma_source
from llama_index.core.schema import TextNode
from llama_index.vector_stores.postgres import PGVectorStore

# Nodes per add call (one transaction each).
BATCH = 500

# pgvector operator classes for Chroma's spaces.
OPS = {"cosine": "vector_cosine_ops", "l2": "vector_l2_ops", "ip": "vector_ip_ops"}


def main():
    args = chroma_source.parse_args(__doc__.splitlines()[0])
    records = chroma_source.read_collection(args)
    affected = chroma_source.inject_faults(records, args.faults, args.seed)
    rest = args.pg.split("://", 1)[1]
    store = PGVectorStore(
        connection_string="postgresql+psycopg2://" + rest,
        async_connection_string="postgresql+asyncpg://" + rest,
        table_name=args.target, embed_dim=records.dimension, use_jsonb=True,
        hnsw_kwargs={"hnsw_m": 16, "hnsw_ef_construction": 64, "hnsw_ef_search": 40,
                     "hnsw_dist_method": OPS[records.space]},
        # PGlite serves one connection at a time: a pool of exactly one.
        create_engine_kwargs={"pool_size": 1, "max_overflow": 0},
        initialization_fail_on_error=True)
    for start in range(0, len(records.ids), BATCH):
        end = start + BATCH
        nodes = [TextNode(id_=id_, text=document or "", metadata=metadata, embedding=embedding)
                 for id_, document, metadata, embedding in zip(
                     records.ids[start:end], records.documents[start:end],
                     records.metadatas[start:end], records.embeddings[start:end])]
        store.add(nodes)
    store._engine.dispose()  # the store has no public close for its sync engine
    chroma_source.write_fault_log(args.fault_log, affected)
    chroma_source.progress(f"llamaindex_writer: {len(records.ids)} records of {args.collection} "
                           f"into table data_{args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
