"""The archive's full-text index: one SQLite database for every session, searched with FTS5.

    index_session(path, result, out_dir)   # writing.py: a session's rows, in one transaction
    search(path, '"économie circulaire"', speaker="Mabileau")   # searching.py: ranked hits
    rebuild(path, outputs_dir)             # writing.py: the whole index from the session.json files

The layout and how it is opened are in schema.py.
"""

from __future__ import annotations

from ..errors import SearchIndexError
from ..search_query import Hit, format_hits, hits_to_json
from .schema import SCHEMA_VERSION, check_database, open_index
from .searching import search
from .writing import INDEX_VERSION, check_free, index_session, optimize, rebuild, result_from_session_json

__all__ = [
    "INDEX_VERSION",
    "SCHEMA_VERSION",
    "Hit",
    "SearchIndexError",
    "check_database",
    "check_free",
    "format_hits",
    "hits_to_json",
    "index_session",
    "open_index",
    "optimize",
    "rebuild",
    "result_from_session_json",
    "search",
]
