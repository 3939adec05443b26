"""Labels to agenda names, and names written as the agenda writes them.

`hints(agenda, extra)` and `respell(segments, agenda, extra)` take `extra` names beside the
agenda's: spellings a person corrected in earlier sessions, so later sessions expect them too.
"""

from .spelling import hints, respell

__all__ = ["hints", "respell"]
