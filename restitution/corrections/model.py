"""A person's correction of a session's result, as data: one `[[correction]]` table of
`outputs/<id>/corrections.toml` (see the README, "Correcting and republishing").

Times are seconds of the recording, as in session.json. Each kind uses a few fields; the
others stay empty (None or ""), and `to_table` leaves them out of the file.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ..errors import RestitutionError
from ..types import Record


class CorrectionsError(RestitutionError):
    """A corrections file, an edit or an edited export cannot be understood."""


# kind -> (required fields, optional fields)
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "words": (("start", "end", "new"), ("old", "before", "after", "speaker")),
    "speaker": (("start", "end", "speaker"), ("old",)),
    "rename": (("speaker", "name"), ("old",)),
    "merge": (("speaker", "into"), ()),
    "chapter": (("index",), ("title", "start", "old")),
    "gap": (("start", "end", "text"), ("speaker",)),
    "timing": (("start", "end", "to_start", "to_end"), ("speaker",)),
}
_FLOATS = {"start", "end", "to_start", "to_end"}
_TEXTS = {"old", "new", "before", "after", "speaker", "name", "into", "title", "text"}


@dataclass(frozen=True)
class Correction(Record):
    """One correction. `kind` says which fields it uses (KINDS):

    - words: the words in [start, end] that read `old` now read `new` ("" deletes them; an
      insertion has start == end and old = ""); `before`/`after` are up to three words around
      them as they were, to find them again on a transcript that changed underneath;
    - speaker: the speech in [start, end] moved to voice `speaker` (a label or a display name);
    - rename: voice `speaker` (label or display name) is called `name`;
    - merge: voice `speaker` is the same person as voice `into`;
    - chapter: chapter `index` (1-based) gets `title` and/or starts at `start` (snapped to a pause);
    - gap: the inaudible stretch in [start, end] reads `text` (said by `speaker`, if given);
    - timing: the speech in [start, end] is moved to [to_start, to_end] (a cue retimed in an editor).
    """

    kind: str
    start: float | None = None
    end: float | None = None
    old: str = ""
    new: str = ""
    before: str = ""
    after: str = ""
    speaker: str = ""
    name: str = ""
    into: str = ""
    index: int | None = None
    title: str | None = None
    text: str = ""
    to_start: float | None = None
    to_end: float | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Correction:
        """A checked correction, or a one-line CorrectionsError saying which field is wrong."""
        if not isinstance(data, dict):
            raise CorrectionsError("a correction must be a table of fields")
        kind = data.get("kind")
        if kind not in KINDS:
            raise CorrectionsError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        required, optional = KINDS[kind]
        allowed = {"kind", *required, *optional}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise CorrectionsError(
                f"a {kind} correction has no field {unknown[0]!r} (fields: {', '.join(sorted(allowed))})"
            )
        missing = [f for f in required if data.get(f) is None]
        if missing:
            raise CorrectionsError(f"a {kind} correction needs {missing[0]!r}")
        values: dict[str, Any] = {"kind": kind}
        for name, value in data.items():
            if name == "kind" or value is None:
                continue
            values[name] = _checked(kind, name, value)
        made = cls(**values)
        made.check()
        return made

    def check(self) -> None:
        """What no single field says: spans in order, a name that is not blank."""
        for a, b in (("start", "end"), ("to_start", "to_end")):
            lo, hi = getattr(self, a), getattr(self, b)
            if lo is not None and hi is not None and hi < lo:
                raise CorrectionsError(f"a {self.kind} correction ends ({hi}) before it starts ({lo})")
        if self.kind == "words" and not self.old and not self.new:
            raise CorrectionsError("a words correction needs the words it replaces ('old') or new ones ('new')")
        for name in ("speaker", "name", "into"):
            if name in KINDS[self.kind][0] and not getattr(self, name).strip():
                raise CorrectionsError(f"a {self.kind} correction has a blank {name!r}")
        if self.kind == "chapter":
            if self.index is not None and self.index < 1:
                raise CorrectionsError(f"chapter index {self.index} must be 1 or more")
            if self.title is None and self.start is None:
                raise CorrectionsError("a chapter correction needs a new 'title' or 'start'")
            if self.title is not None and not self.title.strip():
                raise CorrectionsError("a chapter correction has a blank 'title'")

    def to_table(self) -> dict[str, Any]:
        """The fields this kind uses, in a stable order, as written in corrections.toml."""
        required, optional = KINDS[self.kind]
        table: dict[str, Any] = {"kind": self.kind}
        for f in dataclasses.fields(self):
            if f.name == "kind" or f.name not in (*required, *optional):
                continue
            value = getattr(self, f.name)
            if value is None or (value == "" and f.name not in required):
                continue
            table[f.name] = value
        return table

    def describe(self) -> str:
        """One line for the report and the log."""
        from ..clock import hms

        at = f" at {hms(self.start)}" if self.start is not None else ""
        if self.kind == "words":
            if not self.old:
                return f"inserted {self.new!r}{at}"
            return f"{self.old!r} -> {self.new!r}{at}" if self.new else f"deleted {self.old!r}{at}"
        if self.kind == "speaker":
            return f"speech{at} to {hms(self.end or 0.0)} moved to {self.speaker}"
        if self.kind == "rename":
            return f"voice {self.speaker} renamed {self.name!r}"
        if self.kind == "merge":
            return f"voice {self.speaker} merged into {self.into}"
        if self.kind == "chapter":
            parts = [
                f"title {self.title!r}" if self.title is not None else "",
                f"start {self.start}" if self.start is not None else "",
            ]
            return f"chapter {self.index}: " + ", ".join(p for p in parts if p)
        if self.kind == "gap":
            return f"inaudible{at} filled with {self.text!r}"
        return f"speech{at} retimed to {hms(self.to_start or 0.0)}"


def _checked(kind: str, name: str, value: Any) -> Any:
    if name in _FLOATS:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise CorrectionsError(f"{name} = {value!r} must be a number of seconds, 0 or more")
        return round(float(value), 3)  # milliseconds, as every output writes them
    if name == "index":
        if isinstance(value, bool) or not isinstance(value, int):
            raise CorrectionsError(f"index = {value!r} must be a whole number")
        return value
    if name in _TEXTS:
        if not isinstance(value, str):
            raise CorrectionsError(f"{name} = {value!r} must be a string")
        return " ".join(value.split())  # one line of text, as every output shows it
    raise CorrectionsError(f"a {kind} correction has no field {name!r}")  # pragma: no cover - KINDS lists them
