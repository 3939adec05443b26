"""`from_file`: an edited export (`restitution apply`) turned into corrections.

The published result is rendered again exactly as it was exported (the same cues, paragraphs
or segments), its words lined up with the edited file's by difflib on normalised words, and
the differences become corrections: changed words (anchored on the original words, so their
times are kept), a filled `[inaudible]`, a cue whose times changed, a cue or paragraph said by
another voice (all of a voice's cues renamed: that voice renamed, or merged into the voice
whose name it now has; some of them: that speech moved), a chapter heading retitled or
moved (transcript.txt).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher
from pathlib import Path

from ..types import SessionResult
from .anchor import CONTEXT
from .edited import READERS, Block, kind_of, read_text
from .model import Correction, CorrectionsError
from .rendered import Original, Said, key, original

NEW = "\x00"  # prefix of a speaker name no voice of the session has
# Editors that snap times to video frames move every cue by up to a frame: not a correction.
RETIMED = 0.04
MIN_MATCH = 0.5  # below this share of its words matching, a file is not an export of this session
_NAME_PREFIX = re.compile(r"^([^\W\d_][^:\[\]]{0,60}?):\s+(.*)$")


def _written_speaker(block: Block, kind: str, heads: dict[str, str | None]) -> tuple[str | None, str]:
    """(voice label or NEW + name or None, text without the name) of an edited block."""
    if kind in ("vtt", "json"):
        name = None if block.speaker is None else " ".join(block.speaker.split())
        return (None if name is None else heads.get(name, NEW + name)), block.text
    for head in sorted(heads, key=len, reverse=True):
        if block.text.startswith(head + ":"):
            return heads[head], block.text[len(head) + 1 :].strip()
    match = _NAME_PREFIX.match(block.text)
    if match and len(match.group(1).split()) <= 5:
        return NEW + match.group(1).strip(), match.group(2)
    return None, block.text


def from_file(result: SessionResult, path: Path) -> tuple[Correction, ...]:
    """The corrections that turn the published `result` into what the edited export `path` says."""
    path = Path(path)
    kind = kind_of(path)
    edited = READERS[kind](read_text(path), path)
    before = original(result, kind, path)
    spoken = [b for b in edited if b.heading is None]
    e_keys, e_raw, e_block, e_who = [], [], [], []
    for k, block in enumerate(spoken):
        who, body = _written_speaker(block, kind, before.heads)
        for tok in body.split():
            e_keys.append(key(tok))
            e_raw.append(tok)
            e_block.append(k)
            e_who.append(who)
    o = before.said
    matcher = SequenceMatcher(None, [s.key for s in o], e_keys, autojunk=False)
    ops = matcher.get_opcodes()
    same = sum(a2 - a1 for tag, a1, a2, _, _ in ops if tag == "equal")
    if o and same < MIN_MATCH * len(o):
        raise CorrectionsError(
            f"only {same} of its {len(o)} words are those of session {result.session.id}: "
            "not an export of this session (or of another run of it)",
            path,
        )
    builder = _Builder(result, o)
    pairs: dict[int, set[int]] = defaultdict(set)
    back: dict[int, set[int]] = defaultdict(set)
    for tag, a1, a2, b1, b2 in ops:
        if tag == "equal":
            for a, b in zip(range(a1, a2), range(b1, b2)):
                builder.heard(a, e_who[b])
                pairs[o[a].block].add(e_block[b])
                back[e_block[b]].add(o[a].block)
                if o[a].raw != e_raw[b]:
                    builder.change(a, a + 1, [e_raw[b]])
        else:
            for a in range(a1, a2):
                if b1 < b2:
                    builder.heard(a, e_who[b1])
            builder.change(a1, a2, e_raw[b1:b2])
    # Words first, then voices, then times: a move is placed by the times the words had.
    out = builder.corrections() + builder.voices()
    if kind != "txt":
        out += _retimed(before, spoken, pairs, back)
    out += _chapters(result, [b for b in edited if b.heading is not None], path)
    return tuple(out)


class _Builder:
    """Collects the differences between the published words and the edited ones."""

    def __init__(self, result: SessionResult, said: list[Said]):
        self.result, self.said = result, said
        self.changes: list[tuple[int, int, list[str]]] = []
        self.written: dict[int, str | None] = {}

    def heard(self, a: int, who: str | None) -> None:
        if who is not None:
            self.written[a] = who

    def change(self, a1: int, a2: int, new: list[str]) -> None:
        if self.changes and self.changes[-1][1] == a1:
            p1, _, pnew = self.changes[-1]
            self.changes[-1] = (p1, a2, pnew + new)
        else:
            self.changes.append((a1, a2, list(new)))

    def _whole(self, a1: int, a2: int, new: list[str]) -> tuple[int, int, list[str]]:
        """The change widened to whole reader words; an insertion takes the word before it (or after)."""
        o = self.said
        if a1 == a2:
            if a1 > 0:
                a1, new = a1 - 1, [o[a1 - 1].raw, *new]
            elif a2 < len(o):
                a2, new = a2 + 1, [*new, o[a2].raw]
            else:
                return a1, a2, new
        while a1 > 0 and o[a1 - 1].unit == o[a1].unit:
            a1, new = a1 - 1, [o[a1 - 1].raw, *new]
        while a2 < len(o) and o[a2].unit == o[a2 - 1].unit:
            a2, new = a2 + 1, [*new, o[a2].raw]
        return a1, a2, new

    def _context(self, a1: int, a2: int, speaker: str | None) -> tuple[str, str]:
        o = self.said
        before = [s.raw for s in o[:a1] if s.speaker == speaker and s.gap is None][-CONTEXT:]
        after = [s.raw for s in o[a2:] if s.speaker == speaker and s.gap is None][:CONTEXT]
        return " ".join(before), " ".join(after)

    def corrections(self) -> list[Correction]:
        out = []
        for a1, a2, new in self.changes:
            a1, a2, new = self._whole(a1, a2, new)
            if a1 == a2:
                continue  # words added to an empty session: nothing to anchor them to
            out += self._pieces(a1, a2, new)
        return out

    def _pieces(self, a1: int, a2: int, new: list[str]) -> list[Correction]:
        """One correction per run of one voice (or one [inaudible] mark) in the changed span."""
        o = self.said
        keys = [s.key for s in o[a1:a2]]
        owner = [a1] * len(new)
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, keys, [key(t) for t in new], autojunk=False).get_opcodes():
            for j in range(j1, j2):
                if tag == "equal":
                    owner[j] = a1 + i1 + (j - j1)
                elif tag == "replace":
                    owner[j] = a1 + i1 + (j - j1) * (i2 - i1) // (j2 - j1)
                else:  # insert: with the word before it
                    owner[j] = a1 + max(i1 - 1, 0)
        runs: list[tuple[int, int]] = []
        for a in range(a1, a2):
            if runs and o[a].speaker == o[runs[-1][0]].speaker and o[a].gap == o[runs[-1][0]].gap:
                runs[-1] = (runs[-1][0], a + 1)
            else:
                runs.append((a, a + 1))
        out = []
        for r1, r2 in runs:
            words = [t for t, a in zip(new, owner) if r1 <= a < r2]
            first = o[r1]
            if first.gap is not None:
                if words:
                    g = self.result.gaps[first.gap]
                    who = self.written.get(r1)
                    speaker = "" if who is None else who.removeprefix(NEW)
                    out.append(
                        Correction.from_dict(
                            {
                                "kind": "gap",
                                "start": g.start,
                                "end": g.end,
                                "text": " ".join(words),
                                "speaker": speaker or None,
                            }
                        )
                    )
                continue
            old = [s.raw for s in o[r1:r2]]
            if old == words:
                continue
            before, after = self._context(r1, r2, first.speaker)
            out.append(
                Correction.from_dict(
                    {
                        "kind": "words",
                        "start": first.start,
                        "end": max(s.end for s in o[r1:r2]),
                        "old": " ".join(_unit_texts(o[r1:r2])),
                        "new": " ".join(words),
                        "before": before,
                        "after": after,
                        "speaker": first.speaker or None,
                    }
                )
            )
        return out

    def voices(self) -> list[Correction]:
        """Voices renamed or merged, and speech moved. A voice none of whose words is left under
        its own name is renamed when one new name takes them (the rest said by known voices:
        moves), merged when one known voice takes them all; otherwise what changed voice moved."""
        o, names = self.said, {s.id: s.name for s in self.result.speakers}
        by_voice: dict[str, Counter[str]] = defaultdict(Counter)
        for a, who in self.written.items():
            voice = o[a].speaker
            if voice is not None and who is not None:
                by_voice[voice][who] += 1
        out: list[Correction] = []
        becomes: dict[str, str] = {}  # voice -> what all of it is now called
        for label, seen in by_voice.items():
            if label in seen:
                continue  # some of it still under its own name
            new = [t for t in seen if t.startswith(NEW)]
            if len(new) == 1:
                becomes[label] = new[0]
                fields = {"kind": "rename", "speaker": label, "name": new[0][len(NEW) :], "old": names.get(label)}
                out.append(Correction.from_dict(fields))
            elif not new and len(seen) == 1:
                (into,) = seen
                becomes[label] = into
                out.append(Correction.from_dict({"kind": "merge", "speaker": label, "into": into}))
        run: list[int] = []
        for a in sorted(self.written):
            speaker, who = o[a].speaker, self.written[a]
            moved = speaker is not None and who is not None and who not in (speaker, becomes.get(speaker))
            if run and moved and o[run[-1]].speaker == speaker and self.written[run[-1]] == who and a == run[-1] + 1:
                run.append(a)
                continue
            if run:
                out.append(self._moved(run))
            run = [a] if moved else []
        if run:
            out.append(self._moved(run))
        return out

    def _moved(self, run: list[int]) -> Correction:
        o = self.said
        who = self.written[run[0]] or ""
        return Correction.from_dict(
            {
                "kind": "speaker",
                "start": o[run[0]].start,
                "end": max(o[a].end for a in run),
                "speaker": who.removeprefix(NEW),
                "old": o[run[0]].speaker,
            }
        )


def _unit_texts(said: Sequence[Said]) -> list[str]:
    return [s.raw for s in said]


def _retimed(
    before: Original, spoken: list[Block], pairs: dict[int, set[int]], back: dict[int, set[int]]
) -> list[Correction]:
    """A cue (or segment) whose edited counterpart has other times: its speech moves with it."""
    out = []
    for ob, ebs in sorted(pairs.items()):
        if len(ebs) != 1:
            continue
        (eb,) = ebs
        if back[eb] != {ob}:
            continue
        start, end, speaker = before.blocks[ob]
        e = spoken[eb]
        if e.start is None or e.end is None:
            continue
        if abs(e.start - start) > RETIMED or abs(e.end - end) > RETIMED:
            out.append(
                Correction.from_dict(
                    {
                        "kind": "timing",
                        "start": start,
                        "end": end,
                        "to_start": e.start,
                        "to_end": e.end,
                        "speaker": speaker,
                    }
                )
            )
    return out


def _chapters(result: SessionResult, headings: list[Block], path: Path) -> list[Correction]:
    out = []
    for h in headings:
        assert h.heading is not None
        if not 1 <= h.heading <= len(result.chapters):
            raise CorrectionsError(f"line {h.line}: no chapter {h.heading} in session {result.session.id}", path)
        ch = result.chapters[h.heading - 1]
        fields: dict[str, object] = {}
        if h.text != ch.title:
            fields["title"] = h.text
        if h.start is not None and abs(h.start - int(ch.start)) >= 1 and h.heading > 1:
            fields["start"] = float(h.start)
        if fields:
            out.append(Correction.from_dict({"kind": "chapter", "index": h.heading, "old": ch.title, **fields}))
    return out


def summary(corrections: Sequence[Correction]) -> str:
    """One line: what an edited file changed."""
    counts = Counter(c.kind for c in corrections)
    words = sum(max(len(c.old.split()), len(c.new.split())) for c in corrections if c.kind == "words")
    parts = [
        f"{words} words changed",
        f"{counts['rename']} voices renamed",
        f"{counts['merge']} merged",
        f"{counts['speaker']} stretches moved to another voice",
        f"{counts['timing']} cues retimed",
        f"{counts['gap']} inaudible filled",
        f"{counts['chapter']} chapters changed",
    ]
    return ", ".join(parts)
