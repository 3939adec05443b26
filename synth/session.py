"""Synthesized French sessions with a known truth, for tests and benchmarks.

`make_session` speaks a session with espeak-ng voices, writes `recording.<ext>`, the published
`agenda.txt` (déroulé format, SESSION times) and `truth.json` (everything in MEDIA time: the
recording starts `offset` seconds late, so media time = session time - offset).

Audio is assembled in session order and written to a WAV file as it goes, then encoded once
with ffmpeg, so a three-hour session needs little memory. Long sessions reuse each voice's
sentences in a varied order, because espeak-ng calls, not numpy, would dominate otherwise.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from restitution.clock import hms

from . import text as txt
from .audio import FEMALE, VOICES, SynthSpeaker, Tape, Voices, encode, noise_section
from .truth import SynthTruth, TruthEvent, TruthItem, TruthSentence, TruthTurn

# Shares of the real published agenda of issue 2 (seconds between its item times).
_DEFAULT_SHARES = [720, 457, 1440, 973, 1340, 520, 600]
_DEFAULT_MINUTES = 4.0
_POOL = 40  # sentences kept per voice before long sessions start reusing them


@dataclass
class ItemSpec:
    title: str
    speakers: list[SynthSpeaker]  # who speaks, in turn order (cycled)
    named: bool = True  # the agenda line names the item's speakers that have a name
    seconds: float = 20.0  # target length; scaled when make_session gets `minutes`
    joiner: str = "par"  # "par" or "avec", as in the published agenda


def default_speakers(seed: int = 0, named: int = 8, unnamed: int = 2) -> list[SynthSpeaker]:
    """Distinct voices with French names and roles; names, roles and voices vary with `seed`."""
    rng = random.Random(f"speakers{seed}")
    if named + unnamed > len(VOICES):
        raise ValueError(f"at most {len(VOICES)} distinct voices")
    voices = rng.sample(VOICES, named + unnamed)
    firsts = {g: [f for f, gg in txt.FIRST_NAMES if gg == g] for g in "fm"}
    for names in firsts.values():
        rng.shuffle(names)
    lasts = rng.sample(txt.LAST_NAMES, named)
    roles = rng.sample(txt.ROLES, named)
    out = []
    for (v, p, s), last, role in zip(voices, lasts, roles):
        g = "f" if v in FEMALE else "m"  # a female name for a female voice
        out.append(SynthSpeaker(f"{firsts[g].pop()} {last}", role[g == "f"], v, p, s))
    return out + [SynthSpeaker(None, None, v, p, s) for v, p, s in voices[named:]]


def default_items(speakers: list[SynthSpeaker], seed: int = 0) -> list[ItemSpec]:
    """The seven-item structure of the real agenda: intro, method, three workshops, conclusions, Q&A."""
    named = [s for s in speakers if s.name]
    unnamed = [s for s in speakers if not s.name]
    if len(named) < 3:
        raise ValueError("the default agenda needs at least 3 named speakers")
    rng = random.Random(f"items{seed}")
    rest = named[3:] if len(named) > 3 else named[2:3]
    groups = [
        rest[: (len(rest) + 2) // 3],
        rest[(len(rest) + 2) // 3 : 2 * ((len(rest) + 2) // 3)],
        rest[2 * ((len(rest) + 2) // 3) :],
    ]
    groups = [g or [named[2]] for g in groups]
    workshops = rng.sample(txt.WORKSHOPS, 3)
    secs = [s / sum(_DEFAULT_SHARES) * _DEFAULT_MINUTES * 60 for s in _DEFAULT_SHARES]
    items = [
        ItemSpec("Introduction", named[:2], seconds=secs[0]),
        ItemSpec("Présentation de la méthode des ateliers", [named[2]], seconds=secs[1]),
    ]
    items += [
        ItemSpec(f"Restitution de l'atelier « {title} »", g, seconds=sec, joiner="avec")
        for (title, _), g, sec in zip(workshops, groups, secs[2:5])
    ]
    items.append(ItemSpec("Conclusions et perspectives", [named[0]], named=False, seconds=secs[5]))
    floor = [named[1]] + [x for pair in zip(unnamed, [named[2]] * len(unnamed)) for x in pair]
    items.append(ItemSpec("Échanges avec les participants", floor, named=False, seconds=secs[6]))
    return items


def agenda_text(items: list[ItemSpec], times: list[float]) -> str:
    lines = ["Déroulé (l'enregistrement a démarré avec quelques secondes de retard) :", ""]
    for item, t in zip(items, times):
        names = [f"{s.name}, {s.role}" if s.role else s.name for s in _named(item)]
        who = (
            f" {item.joiner} {', '.join(names[:-1])} et {names[-1]}"
            if len(names) > 1
            else (f" {item.joiner} {names[0]}" if names else "")
        )
        stamp = f"{hms(t, nearest=True)} : " if t > 0 else ""
        lines.append(f"- {stamp}{item.title}{who}{'.' if names else ''}")
    return "\n".join(lines) + "\n"


def _named(item: ItemSpec) -> list[SynthSpeaker]:
    seen: dict[str, SynthSpeaker] = {}
    for s in item.speakers:
        if item.named and s.name:
            seen.setdefault(s.name, s)
    return list(seen.values())


def make_session(
    dest_dir: Path,
    *,
    seed: int = 0,
    offset: float = 5.0,
    items: list[ItemSpec] | None = None,
    speakers: list[SynthSpeaker] | None = None,
    minutes: float | None = None,
    pauses: bool = True,
    noise_sections: bool = False,
    audio_format: str = "mp3",
    bitrate: str = "64k",
    wrong_item: int | None = None,
    wrong_shift: float = 120.0,
    background: float = 0.002,
) -> SynthTruth:
    """Write recording.<audio_format>, agenda.txt and truth.json into `dest_dir`; return the truth.

    `items` defaults to the seven-item agenda of `default_items(speakers)`; `minutes` rescales
    the items' target lengths to that session length. `pauses=False` leaves only short gaps
    between sentences and turns. `wrong_item` moves that item's agenda time by about
    `wrong_shift` seconds (staying between its neighbours) to test robustness.
    """
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    if items is None:
        items = default_items(speakers or default_speakers(seed), seed)
    targets = [i.seconds for i in items]
    if minutes is not None:
        speech = minutes * 60 - (_noise_estimate(len(items), minutes * 60) if noise_sections else 0)
        targets = [t * max(speech, 10.0 * len(items)) / sum(targets) for t in targets]
    targets[0] = max(targets[0], offset + 10)  # the late start must not swallow a whole item
    voices = Voices()
    rate = voices.probe_rate(items[0].speakers[0])
    with tempfile.TemporaryDirectory(prefix="synth-") as tmp:
        wav = Path(tmp) / "session.wav"
        tape = Tape(wav, rate, offset, background, seed)
        sess = _speak(tape, voices, rng, items, targets, pauses, noise_sections)
        duration = tape.close()
        recording = dest / f"recording.{audio_format.lstrip('.').lower()}"
        encode(wav, recording, bitrate)
    truth = _to_media(sess, offset, duration, seed, recording.name, items)
    agenda_times = [it.session_time for it in truth.items]
    if wrong_item is not None:
        agenda_times[wrong_item] = _shifted(agenda_times, wrong_item, wrong_shift)
    for it, t in zip(truth.items, agenda_times):
        it.agenda_time = float(round(t))
    (dest / "agenda.txt").write_text(agenda_text(items, [it.agenda_time for it in truth.items]), "utf-8")
    (dest / "truth.json").write_text(truth.to_json(), "utf-8")
    return truth


def _long_scale(seconds: float) -> float:
    """Noise sections grow with the session: seconds in a short test, a minute in a long one."""
    return min(6.0, max(1.0, seconds / 900))


def _noise_estimate(n_items: int, seconds: float) -> float:
    return (n_items - 1) * 9.5 * _long_scale(seconds)


def _shifted(times: list[float], k: int, shift: float) -> float:
    lo = times[k - 1] + 2 if k > 0 else 1.0
    hi = times[k + 1] - 2 if k + 1 < len(times) else times[k] + abs(shift)
    for cand in (times[k] + shift, times[k] - shift):
        if lo <= cand <= hi:
            return cand
    return hi if hi - times[k] > times[k] - lo else lo


def _speak(
    tape: Tape,
    voices: Voices,
    rng: random.Random,
    items: list[ItemSpec],
    targets: list[float],
    pauses: bool,
    noise_sections: bool,
) -> dict[str, Any]:
    """Speak every item onto the tape; return sentences, items and events in session time."""
    within = (0.3, 0.8) if pauses else (0.05, 0.15)
    between = (0.8, 2.0) if pauses else (0.1, 0.3)
    long_scale = _long_scale(sum(targets))
    sentences: list[dict[str, Any]] = []
    starts: list[float] = []
    events: list[dict[str, Any]] = []
    greeted: set[str] = set()
    pools: dict[str, list[str]] = {}
    last: SynthSpeaker | None = None
    tape.silence(0.4)
    for k, item in enumerate(items):
        topic = txt.topic_of(item.title)
        if k > 0:
            if noise_sections:
                tape.silence(rng.uniform(*between))
                kind = ("applause", "music", "silence")[k % 3]
                secs = rng.uniform(4, 10) * long_scale * (2 if kind == "silence" else 1)
                a, b = tape.add(noise_section(rng, kind, secs, tape.rate))
                events.append({"kind": kind, "start": a, "end": b})
            tape.silence(rng.uniform(*between))
            if pauses:  # published times have whole seconds: start the item on one
                tape.silence(np.ceil(tape.now) - tape.now)
        starts.append(0.0 if k == 0 else tape.now)
        spoken: set[str] = set()
        # Greetings and hand-overs overrun the targets: later items absorb the overrun.
        planned = sum(targets[: k + 1]) + sum(e["end"] - e["start"] for e in events)
        end = max(starts[-1] + 0.5 * targets[k], planned)
        turn = 0
        while True:
            spk = item.speakers[turn % len(item.speakers)]
            lines: list[str] = []
            if turn == 0 and k == 0:
                lines.append(txt.opening())
            if last is not None and last.key != spk.key:
                lines.append(txt.thanks(last.name))
            if spk.name and spk.key not in greeted:
                lines.append(txt.welcome(spk.name, spk.role))
            elif not spk.name:
                lines += (
                    [txt.question(rng)]
                    if spk.key in greeted
                    else ["Bonjour, merci pour ces présentations.", txt.question(rng)]
                )
            elif turn == 0 and item.title.startswith("Échanges"):
                lines.append(txt.open_floor())
            greeted.add(spk.key)
            spoken.add(spk.key)
            everyone = spoken >= {s.key for s in item.speakers}
            fixed = max(1, len(lines))  # greetings and questions are always said in full
            count = rng.randint(3, 6) if len(item.speakers) == 1 else rng.randint(2, 5)
            lines += [_pick(pools, rng, spk, topic) for _ in range(count)]
            for i, line in enumerate(lines):
                if i >= fixed and tape.now >= end:
                    break
                if i:
                    tape.silence(rng.uniform(*within))
                a, b = tape.add(voices.say(spk, line))
                sentences.append({"start": a, "end": b, "text": line, "spk": spk, "item": k})
            last = spk
            turn += 1
            if everyone and tape.now >= end:
                break
            tape.silence(rng.uniform(*between))
        if k + 1 < len(items):
            nxt = items[k + 1].speakers[0]
            if nxt.name and nxt.key != last.key:
                conclude = "conclu" in items[k + 1].title.lower()
                line = txt.handover_conclusion(nxt.name) if conclude else txt.handover(nxt.name, items[k + 1].title)
                tape.silence(rng.uniform(*within))
                a, b = tape.add(voices.say(last, line))
                sentences.append({"start": a, "end": b, "text": line, "spk": last, "item": k})
    tape.silence(rng.uniform(1.0, 2.0))
    return {"sentences": sentences, "starts": starts, "events": events}


def _pick(pools: dict[str, list[str]], rng: random.Random, spk: SynthSpeaker, topic: str) -> str:
    """A content sentence; past _POOL per voice, mostly one already said (greetings never recur)."""
    pool = pools.setdefault(spk.key, [])
    if len(pool) >= _POOL and rng.random() < 0.9:
        return rng.choice(pool)
    text = txt.sentence(rng, topic)
    pool.append(text)
    return text


def _to_media(
    sess: dict[str, Any], offset: float, duration: float, seed: int, recording: str, items: list[ItemSpec]
) -> SynthTruth:
    truth = SynthTruth(offset=offset, duration=round(duration, 3), seed=seed, recording=recording, agenda="agenda.txt")
    for s in sess["sentences"]:
        a, b = s["start"] - offset, s["end"] - offset
        if b <= 0.05:
            continue
        spk = s["spk"]
        truth.sentences.append(
            TruthSentence(round(max(a, 0.0), 3), round(b, 3), s["text"], spk.name, spk.key, s["item"], cut=a < 0)
        )
        prev = truth.turns[-1] if truth.turns else None
        if prev and prev.voice == spk.key and a - prev.end < 3.0:  # a long gap (applause...) ends a turn
            prev.end = round(b, 3)
        else:
            truth.turns.append(TruthTurn(round(max(a, 0.0), 3), round(b, 3), spk.name, spk.key))
    for k, (item, t) in enumerate(zip(items, sess["starts"])):
        keys = list(dict.fromkeys(s.key for s in item.speakers))
        truth.items.append(
            TruthItem(
                item.title,
                round(t, 3),
                round(t, 3),
                round(max(0.0, t - offset), 3),
                [s.name for s in _named(item)],
                keys,
            )
        )
        if k > 0 and t - offset <= 0:
            raise ValueError(f"offset {offset} s cuts off item {k + 1} entirely; lengthen the first item")
    for k, item in enumerate(truth.items):
        item.end = truth.items[k + 1].start if k + 1 < len(truth.items) else truth.duration
    truth.events = [
        TruthEvent(e["kind"], round(e["start"] - offset, 3), round(e["end"] - offset, 3))
        for e in sess["events"]
        if e["end"] - offset > 0
    ]
    seen: dict[str, SynthSpeaker] = {}
    for item in items:
        for s in item.speakers:
            seen.setdefault(s.key, s)
    truth.speakers = list(seen.values())
    return truth
