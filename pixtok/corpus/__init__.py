"""Corpora at scale: streaming inputs, batches, worker pools and Dask, resumable run logs,
WebDataset shards and grouped totals.

- `inputs`    files, folders, globs, stdin, JSON Lines, Parquet, Hugging Face datasets as records
- `batch`     measure or render a stream of records, in order, with failures kept per record
- `parallel`  worker processes and Dask behind one ordered interface
- `runlog`    resumable, atomic `-o` outputs
- `shards`    WebDataset tar shards of rendered pages
- `aggregate` totals per group
"""
