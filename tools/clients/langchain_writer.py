"""Copies one Chroma collection into PostgreSQL through LangChain's PGVector
(langchain_postgres.PGVector: the tables langchain_pg_collection and
langchain_pg_embedding), the way a user of LangChain migrates: the records
go in through PGVector.add_embeddings with the embeddings Chroma holds.

Usage (see chroma_source.parse_args for every option):
  langchain_writer.py --chroma http://127.0.0.1:8000 --database db \\
      --collection docs --pg postgresql://u:p@127.0.0.1:5432/db \\
      [--inject drop:0.02,replace_vector:0.01,stringify:0.03 --seed 1 \\
       --fault-log faults.json]

What the library does with the records (measured, see README.md): the
Chroma id becomes the row's id (a string primary key over all
collections), the document and metadata are kept as they are; the
collection is a row of langchain_pg_collection with Chroma's collection
metadata as its cmetadata. PGVector has no API for an HNSW index, so none
is made.
"""

import sys

from sqlalchemy import create_engine

import chroma_source
from langchain_core.embeddings import Embeddings
from langchain_postgres import PGVector
from langchain_postgres.vectorstores import DistanceStrategy

# Records per add_embeddings call (one INSERT statement each).
BATCH = 500

SPACES = {"cosine": DistanceStrategy.COSINE, "l2": DistanceStrategy.EUCLIDEAN,
          "ip": DistanceStrategy.MAX_INNER_PRODUCT}


class NoEmbeddings(Embeddings):
    """The writer passes every vector itself; embedding anything is a bug."""

    def embed_documents(self, texts):
        raise RuntimeError("langchain_writer must not embed documents")

    def embed_query(self, text):
        raise RuntimeError("langchain_writer must not embed queries")


def main():
    args = chroma_source.parse_args(__doc__.splitlines()[0])
    records = chroma_source.read_collection(args)
    affected = chroma_source.inject_faults(records, args.faults, args.seed)
    # PGlite serves one connection at a time: a pool of exactly one.
    url = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, pool_size=1, max_overflow=0)
    store = PGVector(NoEmbeddings(), connection=engine, collection_name=args.target,
                     collection_metadata=records.metadata or None,
                     embedding_length=records.dimension,
                     distance_strategy=SPACES[records.space])
    for start in range(0, len(records.ids), BATCH):
        end = start + BATCH
        store.add_embeddings(texts=[d if d is not None else "" for d in records.documents[start:end]],
                             embeddings=records.embeddings[start:end],
                             metadatas=records.metadatas[start:end],
                             ids=records.ids[start:end])
    engine.dispose()
    chroma_source.write_fault_log(args.fault_log, affected)
    chroma_source.progress(f"langchain_writer: {len(records.ids)} records of {args.collection} "
                           f"into collection {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
