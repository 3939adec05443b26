"""Corrections that change the words of a result: words respelled, inserted or deleted, an
inaudible stretch filled, speech retimed or moved to another voice.

Words a person wrote get probability 1.0 (they are no longer the decoder's guess) and times
shared out, by length, over the time of the words they replace; words left as they were keep
their pieces and times, so captions stay in sync.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from difflib import SequenceMatcher

from ..clock import hms
from ..types import Gap, Segment, SessionResult, Word
from .anchor import TOLERANCE, Slot, Token, locate, norm, slots, tokens
from .model import Correction
from .people import Unplaceable, voice_for, with_voice

WORD_SECONDS = 0.35  # time given to each inserted word when the speech around leaves room


def spread(start: float, end: float, texts: list[str]) -> list[Word]:
    """Words for `texts` sharing [start, end] by their length."""
    if not texts:
        return []
    total = sum(len(t) + 1 for t in texts)
    out, t = [], start
    for text in texts:
        step = (end - start) * (len(text) + 1) / total
        out.append(Word(round(t, 3), round(t + step, 3), " " + text, 1.0))
        t += step
    return out


def _rebuilt(
    result: SessionResult,
    removed: set[tuple[int, int]],
    added: dict[int, list[Word]],
    moved: dict[int, Word] | None = None,
) -> tuple[Segment, ...]:
    """The segments with pieces removed, words added and (for timing) words replaced."""
    moved = moved or {}
    out = []
    for i, seg in enumerate(result.segments):
        touched = i in added or any(r[0] == i for r in removed) or any(k[0] == i for k in moved)  # type: ignore[index]
        if not touched:
            out.append(seg)
            continue
        words = [moved.get((i, k), w) for k, w in enumerate(seg.words) if (i, k) not in removed]  # type: ignore[call-overload]
        words += added.get(i, [])
        if not words:
            continue  # every word of it deleted
        words.sort(key=lambda w: w.start)
        text = "".join(w.text for w in words).strip()
        out.append(Segment(min(w.start for w in words), max(w.end for w in words), text, tuple(words), seg.speaker))
    out.sort(key=lambda s: (s.start, s.end))
    return tuple(out)


def _key(token: Token) -> str:
    return token.norm or token.raw


def _respelled(
    old: list[Token], pieces: list[Slot], new: list[str], at: float, room: tuple[float, float], prefer: str | None
) -> tuple[set[tuple[int, int]], dict[int, list[Word]]]:
    """Pieces removed and words added to turn tokens `old` into `new`: a word left as it was keeps
    its pieces; a new one takes the time of the words it replaces, or shares the time of the
    word it follows (or precedes) when it replaces none."""
    removed: set[tuple[int, int]] = set()
    for t in old:
        removed |= {(pieces[k].seg, pieces[k].pos) for k in range(t.first, t.last + 1)}
    if not old:
        lo, hi = room
        lo = max(lo, at)
        hi = min(hi, lo + WORD_SECONDS * len(new)) if hi > lo else lo
        return removed, {-1: spread(lo, hi, new)}
    # Groups of new words sharing a span: [first old token, last old token, texts, untouched]
    groups: list[list] = []
    pending: list[str] = []  # inserted words waiting for the word before them, at the start
    keys = [" ".join(norm(x)) or x for x in new]
    for tag, a1, a2, b1, b2 in SequenceMatcher(None, [_key(t) for t in old], keys, autojunk=False).get_opcodes():
        if tag == "equal":
            for a, b in zip(range(a1, a2), range(b1, b2)):
                groups.append([a, a, [*pending, new[b]], old[a].raw == new[b] and not pending])
                pending = []
        elif tag == "replace":
            groups.append([a1, a2 - 1, [*pending, *new[b1:b2]], False])
            pending = []
        elif tag == "insert":
            if groups:
                groups[-1][2] += new[b1:b2]
                groups[-1][3] = False
            else:
                pending += new[b1:b2]
    if pending:  # every old word deleted but some written: they take the whole span
        groups.append([0, len(old) - 1, pending, False])
    added: dict[int, list[Word]] = defaultdict(list)
    for a1, a2, texts, untouched in groups:
        if untouched:
            t = old[a1]
            removed -= {(pieces[k].seg, pieces[k].pos) for k in range(t.first, t.last + 1)}
            continue
        # A word whose pieces two voices share goes to the voice the correction names.
        own = [k for t in old[a1 : a2 + 1] for k in range(t.first, t.last + 1)]
        seg = next(
            (pieces[k].seg for k in own if prefer is not None and pieces[k].speaker == prefer), pieces[own[0]].seg
        )
        added[seg] += spread(old[a1].start, max(old[a2].end, old[a1].start), texts)
    return removed, dict(added)


def words(result: SessionResult, c: Correction) -> tuple[SessionResult, str]:
    assert c.start is not None and c.end is not None
    label = voice_for(result, c.speaker) if c.speaker else None
    # That voice's words, then everyone's (a word whose pieces two voices share), where the
    # correction says; only then searched for nearby.
    views = [(p, tokens(p)) for p in (slots(result.segments, who) for who in ([label, None] if label else [None]))]
    # Searched for nearby only among the words of its voice while that voice is still there:
    # the same words said by someone else are another moment.
    tries = [(view, False) for view in views] + [(view, True) for view in views[:1]]
    found = next(
        ((view, span) for view, search in tries
         if (span := locate(view[1], c.start, c.end, c.old, c.before, c.after, search=search)) is not None),
        None,
    )  # fmt: skip
    if found is None:
        where = f"near {hms(c.start)}"
        raise Unplaceable(
            f"the words {c.old!r} are no longer {where}" if c.old else f"no place {where} fits the words around it"
        )
    (pieces, toks), (i, j) = found
    old = [t for t in toks[i:j]]
    new = c.new.split()
    if [t.raw for t in old] == new:
        return result, f"already reads {c.new!r}"
    prev_end = toks[i - 1].end if i > 0 else 0.0
    next_start = toks[j].start if j < len(toks) else result.audio.duration
    at = c.start if not old else old[0].start
    removed, added = _respelled(old, pieces, new, at, (prev_end, next_start), label)
    if -1 in added:  # an insertion: into the segment before it, or the one after
        near = pieces[toks[i - 1].last] if i > 0 else (pieces[toks[j].first] if j < len(toks) else None)
        inserted = added.pop(-1)
        if near is None:
            seg = Segment(inserted[0].start, inserted[-1].end, c.new, tuple(inserted), label)
            return dataclasses.replace(
                result, segments=tuple(sorted((*result.segments, seg), key=lambda s: (s.start, s.end)))
            ), c.describe()
        added[near.seg] = inserted
    return dataclasses.replace(result, segments=_rebuilt(result, removed, added)), c.describe()


def gap(result: SessionResult, c: Correction) -> tuple[SessionResult, str]:
    assert c.start is not None and c.end is not None
    start, end = c.start, c.end

    def overlap(g: Gap) -> float:
        return min(end, g.end) - max(start, g.start)

    found = max(result.gaps, key=overlap, default=None)
    if found is None or overlap(found) < -TOLERANCE:
        raise Unplaceable(f"no inaudible stretch near {hms(start)} any more (the transcript may have words there now)")
    speaker = voice_for(result, c.speaker, create=True) if c.speaker else found.speaker
    if speaker is not None and c.speaker:
        result = with_voice(result, speaker, c.speaker)
    new = spread(found.start, found.end, c.text.split())
    segs = list(result.segments)
    if new:
        segs.append(Segment(new[0].start, new[-1].end, c.text, tuple(new), speaker))
    gaps = tuple(g for g in result.gaps if g is not found)
    return dataclasses.replace(
        result, segments=tuple(sorted(segs, key=lambda s: (s.start, s.end))), gaps=gaps
    ), c.describe()


def _mid(w: Word) -> float:
    return (w.start + w.end) / 2


def timing(result: SessionResult, c: Correction) -> tuple[SessionResult, str]:
    assert c.start is not None and c.end is not None and c.to_start is not None and c.to_end is not None
    start, end, to_start, to_end = c.start, c.end, c.to_start, c.to_end
    scale = (to_end - to_start) / (end - start) if end > start else 0.0
    limit = result.audio.duration

    def mapped(t: float) -> float:
        return round(min(max(to_start + (t - start) * scale, 0.0), limit), 3)

    moved = {
        (i, k): Word(mapped(w.start), mapped(w.end), w.text, w.probability)
        for i, seg in enumerate(result.segments)
        if c.speaker in ("", seg.speaker)
        for k, w in enumerate(seg.words)
        if start - TOLERANCE <= _mid(w) <= end + TOLERANCE
    }
    if not moved:
        raise Unplaceable(f"no words between {hms(start)} and {hms(end)} any more")
    return dataclasses.replace(result, segments=_rebuilt(result, set(), {}, moved)), c.describe()  # type: ignore[arg-type]


def move(result: SessionResult, c: Correction) -> tuple[SessionResult, str]:
    """The speech in [start, end] said by voice `c.speaker` (made a new voice when it is a new name)."""
    assert c.start is not None and c.end is not None
    start, end = c.start, c.end
    target = voice_for(result, c.speaker, create=True)
    assert target is not None
    # Only the voice it was taken from, when it is still there: another voice talking over it stays.
    source = voice_for(result, c.old) if c.old else None
    result = with_voice(result, target, c.speaker)
    out: list[Segment] = []
    seconds: dict[str | None, float] = defaultdict(float)
    heard = False

    def within(a: float, b: float) -> bool:
        return start - TOLERANCE <= (a + b) / 2 <= end + TOLERANCE

    for seg in result.segments:
        if not seg.words:
            if within(seg.start, seg.end) and source in (None, seg.speaker):
                heard = True
                if seg.speaker != target:
                    seconds[seg.speaker] += seg.end - seg.start
                    seg = dataclasses.replace(seg, speaker=target)
            out.append(seg)
            continue
        if source is not None and seg.speaker != source and seg.speaker != target:
            out.append(seg)
            continue
        flags = [within(w.start, w.end) for w in seg.words]
        heard = heard or any(flags)
        if seg.speaker == target or not any(flags):
            out.append(seg)
            continue
        runs: list[tuple[bool, list[Word]]] = []
        for w, flag in zip(seg.words, flags):
            if runs and runs[-1][0] == flag:
                runs[-1][1].append(w)
            else:
                runs.append((flag, [w]))
        for flag, ws in runs:
            s = seg.start if ws[0] is seg.words[0] else ws[0].start
            e = seg.end if ws[-1] is seg.words[-1] else ws[-1].end
            if flag:
                seconds[seg.speaker] += e - s
            out.append(
                Segment(s, max(s, e), "".join(w.text for w in ws).strip(), tuple(ws), target if flag else seg.speaker)
            )
    if not heard:
        raise Unplaceable(f"no speech between {hms(start)} and {hms(end)} any more")
    total = sum(seconds.values())
    speakers = tuple(
        dataclasses.replace(
            s, seconds=round(max(0.0, s.seconds - seconds.get(s.id, 0.0) + (total if s.id == target else 0.0)), 3)
        )
        for s in result.speakers
    )
    out.sort(key=lambda s: (s.start, s.end))
    return dataclasses.replace(result, segments=tuple(out), speakers=speakers), c.describe()
