"""Write data/lexicons/jieba_idf.npz from the IDF file of the installed jieba (jieba/analyse/idf.txt).

The keywords component reads this precomputed table instead of parsing jieba's 270k-line text file in every
process. Rerun after upgrading jieba if its idf.txt changed: tests/test_pipeline.py checks that the shipped
table matches the installed file.
"""

from __future__ import annotations

import numpy as np

from feedback_nlp.keywords import IDF_TABLE, build_idf_table, jieba_idf_source
from feedback_nlp.resources import lexicon_path


def main() -> None:
    source = jieba_idf_source()
    table = build_idf_table(source)
    target = lexicon_path(IDF_TABLE)
    np.savez_compressed(target, **table)
    print(f"{target}: {len(table['keys'])} words from {source} (sha256 {table['source_sha256']}), "
          f"{len(table['values'])} distinct IDF values, median {float(table['median'])}")


if __name__ == "__main__":
    main()
