"""Harder synthesized sessions for the naming benchmark (benchmarks/naming.py).

The seed's seven-item agenda (two names in the introduction and in two of the workshops), with
what the project's own sessions lack: voices drawn per seed (espeak-ng variants with any pitch
and speed, so two voices may be close), co-presented items where each speaker talks for a
minute, one sentence at a time, or one of them only briefly, a late start that cuts the whole
first turn of the first speaker (the second voice is heard first), spoken names (hand-overs,
thanks, self-introductions) in some sessions and none in others, pairs of one or both genders,
and real French voices (FLEURS, SPPAS, PFC, CFPP, TCOF, Picovoice clips of ../shared/eval, read
in place) mixed with synthesized ones.

    spec = draw_spec(seed)            # what the seed makes: voices, names, styles, offset rule
    truth = make(dest, spec)          # recording.mp3, agenda.txt, truth.json (SynthTruth)
"""

from __future__ import annotations

import json
import random
import tempfile
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from restitution import audio
from synth import text as txt
from synth.audio import SynthSpeaker, Tape, Voices, encode
from synth.session import ItemSpec, agenda_text
from synth.truth import SynthTruth, TruthItem, TruthSentence, TruthTurn

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"

MALE_VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "robert", "michel", "Mike", "edward", "david", "gustave"]
FEMALE_VARIANTS = ["f1", "f2", "f3", "f4", "f5", "steph", "shelby", "Andrea", "Annie"]

# The seed session's people (issue 2's published agenda), by gender; other seeds draw names.
SEED_NAMES = {
    "m": [
        ("Romain Delassus", "chef du service du numérique du ministère de la Culture"),
        ("Yves-Armel Martin", "fondateur du Bureau des Possibles"),
        ("Quentin Rioual", "metteur en scène et codirecteur de l'Augures Lab Scénogrrraphie"),
        ("Pierre Beffeyte", "producteur Scène & Public"),
    ],
    "f": [
        ("Anne Le Gall", "présidente du TMNlab"),
        ("Stéphanie Mabileau", "coordinatrice du Réseau des ressourceries artistiques et culturelles"),
        ("Manon Picard", "chargée d'étude des fictions interactives pour le Collectif Or Normes"),
        ("Dorothée Burillon", "responsable Ressources et savoirs Artcena"),
    ],
}

# Real voices: clips of one person each (grouped by CAM++ similarity for FLEURS, whose clip
# files do not name their speaker), with the gender the corpus gives or, failing that, a clear
# pitch (FLEURS and SPPAS; "u": unclear, given a name that says nothing of gender).
_R = "realfr_dev/"
REAL_VOICES = {
    "fleurs_f1": (["fleurs_fr/fleurs-fr-001.ogg", "fleurs_fr/fleurs-fr-007.ogg"], "f"),
    "fleurs_m1": (
        [
            "fleurs_fr/fleurs-fr-002.ogg",
            "fleurs_fr/fleurs-fr-005.ogg",
            "fleurs_fr/fleurs-fr-006.ogg",
            "fleurs_fr/fleurs-fr-009.ogg",
        ],
        "m",
    ),
    "fleurs_f2": (["fleurs_fr/fleurs-fr-003.ogg", "fleurs_fr/fleurs-fr-004.ogg", "fleurs_fr/fleurs-fr-008.ogg"], "f"),
    "fleurs_f3": (["fleurs_fr/fleurs-fr-000.ogg"], "f"),
    "sppas_eb": ([_R + "sppas-samples/samples-fra/EB_track_0641.wav"], "m"),
    "sppas_mg": ([_R + "sppas-samples/samples-fra/MG_track_0702.wav"], "f"),
    "sppas_nh": ([_R + "sppas-samples/samples-fra/NH_track_636.wav"], "f"),
    "sppas_mb": ([_R + "sppas-samples/samples-fra/MB_track_0674.wav"], "f"),
    "pfc_aab1": ([_R + f"sppas-samples/samples-frq/Sample_{i}_PFCquebec_CQAAB1.wav" for i in (1, 2, 3)], "f"),
    "pfc_ags1": ([_R + f"sppas-samples/samples-frq/Sample_{i}_PFCquebec_CQAGS1.wav" for i in (1, 2)], "u"),
    "picovoice": ([_R + "picovoice-leopard/test_fr.wav"], "m"),
    "cfpp": ([_R + "ssak-linto/audio/cfpp2channels.mp3"], "f"),
    "tcof": ([_R + "ssak-linto/audio/tcof13bits.wav"], "f"),
}
UNISEX = ["Camille", "Dominique", "Claude", "Sacha"]


@dataclass
class Spec:
    seed: int
    handovers: bool  # names spoken: hand-overs, thanks, self-introductions
    cut_first: bool  # the late start swallows the first speaker's whole first turn
    pairs: str  # "mixed" (a man and a woman, as in the seed) or "same" gender
    real: bool  # some speakers are real voices
    styles: list[str] = field(default_factory=list)  # per co-presented item: "long" | "alternate" | "brief"
    seed_names: bool = True  # the seed's eight names, or names drawn from synth_text
    question_in_pair: bool = False  # a participant asks a question inside a co-presented item


def draw_spec(seed: int) -> Spec:
    """Names spoken in even seeds, the first turn cut in seeds 0, 1 (mod 4): each condition in
    half the sessions; the rest drawn."""
    rng = random.Random(f"naming-spec-{seed}")
    return Spec(
        seed=seed,
        handovers=seed % 2 == 0,
        cut_first=seed % 4 < 2,
        pairs="mixed" if rng.random() < 0.6 else "same",
        real=rng.random() < 0.35,
        styles=[rng.choice(["long", "alternate", "brief"]) for _ in range(3)],
        seed_names=rng.random() < 0.5,
        question_in_pair=rng.random() < 0.3,
    )


def _espeak_voice(rng: random.Random, g: str, used: set[str]) -> tuple[str, int, int]:
    """A variant not yet used in the session (some are still close: f1 and f4, m1 and m4),
    with any pitch and speed of its gender's range."""
    variants = [v for v in (MALE_VARIANTS if g == "m" else FEMALE_VARIANTS) if v not in used]
    variant = rng.choice(variants or (MALE_VARIANTS if g == "m" else FEMALE_VARIANTS))
    used.add(variant)
    pitch = rng.randint(28, 60) if g == "m" else rng.randint(42, 75)
    return f"fr+{variant}", pitch, rng.randint(138, 172)


def _people(spec: Spec, rng: random.Random) -> tuple[list[SynthSpeaker], list[SynthSpeaker]]:
    """Eight named speakers in agenda order (pairs at 0-1, 3-4, 6-7) and two participants."""
    if spec.pairs == "mixed":
        genders = ["m", "f", "m", "m", "f", "f", "f", "m"]  # as the seed's agenda
    else:
        a, b, c = (rng.choice("mf") for _ in range(3))
        genders = [a, a, rng.choice("mf"), b, b, rng.choice("mf"), c, c]
    real_pool = {g: [k for k, (_, gg) in REAL_VOICES.items() if gg == g] for g in "mfu"}
    for pool in real_pool.values():
        rng.shuffle(pool)
    if spec.real and EVAL.is_dir():  # both of one pair, one of another, and a single speaker
        real_at = {0, 1, 4, 5} if spec.pairs == "mixed" else {0, 1, 3, 5}
    else:
        real_at = set()
    seed_pool = {g: list(v) for g, v in SEED_NAMES.items()}
    drawn = {g: [f for f, gg in txt.FIRST_NAMES if gg == g] for g in "mf"}
    for pool in (*seed_pool.values(), *drawn.values()):
        rng.shuffle(pool)
    lasts = rng.sample(txt.LAST_NAMES, 8)
    roles = rng.sample(txt.ROLES, 8)
    named = []
    used: set[str] = set()
    for i, g in enumerate(genders):
        voice: tuple[str, int, int]
        if i in real_at and (real_pool[g] or real_pool["u"]):
            key = real_pool[g].pop() if real_pool[g] else real_pool["u"].pop()
            voice = (f"real:{key}", 0, 0)
            g = REAL_VOICES[key][1]
        else:
            voice = _espeak_voice(rng, g, used)
        if g == "u":
            name, role = f"{UNISEX[i % len(UNISEX)]} {lasts[i]}", roles[i][0]
        elif spec.seed_names and seed_pool[g]:
            name, role = seed_pool[g].pop()
        else:
            name, role = f"{drawn[g].pop()} {lasts[i]}", roles[i][g == "f"]
        named.append(SynthSpeaker(name, role, *voice))
    guests = [SynthSpeaker(None, None, *_espeak_voice(rng, rng.choice("mf"), used)) for _ in range(2)]
    return named, guests


class MixedVoices(Voices):
    """espeak-ng voices, and real ones: a "real:<key>" voice plays its clips in turn."""

    def __init__(self, rng: random.Random):
        super().__init__()
        self.rng = rng
        self.clips: dict[str, list[np.ndarray]] = {}
        self.turn: dict[str, int] = {}

    def say(self, spk: SynthSpeaker, text: str) -> np.ndarray:
        if not spk.voice.startswith("real:"):
            return super().say(spk, text)
        key = spk.voice[5:]
        if key not in self.clips:
            self.clips[key] = [self._load(EVAL / p, spk.key) for p in REAL_VOICES[key][0]]
        clips = self.clips[key]
        n = self.turn.get(key, 0)
        self.turn[key] = n + 1
        x = clips[n % len(clips)]
        if len(x) > 4 * self.rate and self.rng.random() < 0.5:  # a long clip: say part of it
            start = self.rng.randrange(0, len(x) - 3 * self.rate)
            x = x[start : start + self.rng.randrange(3 * self.rate, len(x) - start + 1)]
        return x

    def _load(self, path: Path, key: str) -> np.ndarray:
        from scipy.signal import resample_poly

        x = resample_poly(audio.read(path), self.rate, 16000).astype(np.float32)
        loud = np.flatnonzero(np.abs(x) > 0.02 * (np.abs(x).max() or 1))
        x = x[max(0, loud[0] - 160) : loud[-1] + 160] if len(loud) else x
        rms = float(np.sqrt(np.mean(x**2))) or 1.0
        return (x * (0.08 / rms)).astype(np.float32)


def _items(named: list[SynthSpeaker], guests: list[SynthSpeaker], spec: Spec, rng: random.Random) -> list[ItemSpec]:
    workshops = rng.sample(txt.WORKSHOPS, 3)
    items = [
        ItemSpec("Introduction", named[0:2]),
        ItemSpec("Présentation de la méthode des ateliers", [named[2]]),
        ItemSpec(f"Restitution de l'atelier « {workshops[0][0]} »", named[3:5], joiner="avec"),
        ItemSpec(f"Restitution de l'atelier « {workshops[1][0]} »", [named[5]], joiner="avec"),
        ItemSpec(f"Restitution de l'atelier « {workshops[2][0]} »", named[6:8], joiner="avec"),
        ItemSpec("Conclusions et perspectives", [named[0]], named=False),
        ItemSpec("Échanges avec les participants", [named[1], guests[0], named[2], guests[1], named[5]], named=False),
    ]
    return items


@dataclass
class _Line:
    spk: SynthSpeaker
    text: str
    item: int
    start: float = 0.0
    end: float = 0.0


def _turn_lines(
    spk: SynthSpeaker,
    prev: SynthSpeaker | None,
    greeted: set[str],
    spec: Spec,
    rng: random.Random,
    topic: str,
    count: int,
) -> list[str]:
    """What one speaker says in one turn: names only when the session speaks them."""
    lines = []
    real = spk.voice.startswith("real:")
    if prev is not None and prev.key != spk.key and not real:
        lines.append(txt.thanks(prev.name) if spec.handovers else rng.choice(["Merci.", "Merci beaucoup."]))
    if spk.key not in greeted and spk.name and not real:
        lines.append(txt.welcome(spk.name, spk.role) if spec.handovers else "Bonjour à toutes et à tous.")
    greeted.add(spk.key)
    return lines + [txt.sentence(rng, topic) for _ in range(count)]


def _pair_turns(item: ItemSpec, style: str, rng: random.Random) -> list[tuple[SynthSpeaker, int]]:
    """(speaker, content sentences) per turn of a co-presented item."""
    a, b = item.speakers[0], item.speakers[1]
    if style == "long":  # about a minute each, sometimes a short reply
        turns = [(a, rng.randint(9, 13)), (b, rng.randint(9, 13))]
        return turns + ([(a, rng.randint(1, 3))] if rng.random() < 0.5 else [])
    if style == "alternate":  # one sentence at a time
        return [(s, 1) for _ in range(rng.randint(4, 6)) for s in (a, b)]
    long_one, brief = (a, b) if rng.random() < 0.5 else (b, a)  # "brief": one of them says a sentence
    turns = [(long_one, rng.randint(10, 14))]
    return [(brief, 1)] + turns if rng.random() < 0.5 else turns + [(brief, 1)]


def _script(
    items: list[ItemSpec], spec: Spec, guests: list[SynthSpeaker], rng: random.Random
) -> list[list[tuple[SynthSpeaker, str]]]:
    """Per item, the (speaker, line) sequence, in session order."""
    greeted: set[str] = set()
    out: list[list[tuple[SynthSpeaker, str]]] = []
    prev: SynthSpeaker | None = None
    styles = iter(spec.styles)
    for k, item in enumerate(items):
        topic = txt.topic_of(item.title)
        lines: list[tuple[SynthSpeaker, str]] = []
        if len(item.speakers) == 2:
            turns = _pair_turns(item, next(styles), rng)
            if spec.question_in_pair:
                turns.insert(rng.randint(1, len(turns)), (guests[0], 0))
        elif item.title.startswith("Échanges"):
            turns = [(s, 1 if s.name else 0) for s in item.speakers]
        else:
            turns = [(item.speakers[0], rng.randint(4, 7))]
        for n, (spk, count) in enumerate(turns):
            if k == 0 and n == 0:
                lines.append((spk, txt.opening()))
            if not spk.name:
                lines += [(spk, "Bonjour, merci pour ces présentations."), (spk, txt.question(rng))]
                prev = spk
                continue
            lines += [(spk, t) for t in _turn_lines(spk, prev, greeted, spec, rng, topic, count)]
            prev = spk
        host = next((s for s, _ in reversed(lines) if s.name), prev)  # a participant does not hand over
        if k + 1 < len(items) and spec.handovers and not host.voice.startswith("real:"):
            nxt = items[k + 1].speakers[0]
            if nxt.name and nxt.key != host.key:
                both = [s.name for s in items[k + 1].speakers if s.name] if items[k + 1].named else [nxt.name]
                who = " et ".join(dict.fromkeys(both)) if len(both) > 1 and rng.random() < 0.5 else nxt.name
                conclude = "conclu" in items[k + 1].title.lower()
                lines.append(
                    (host, txt.handover_conclusion(nxt.name) if conclude else txt.handover(who, items[k + 1].title))
                )
                prev = host
        out.append(lines)
    return out


def make(dest: Path, spec: Spec) -> SynthTruth:
    """Write recording.mp3, agenda.txt and truth.json (media time) into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"naming-session-{spec.seed}")
    named, guests = _people(spec, rng)
    items = _items(named, guests, spec, rng)
    script = _script(items, spec, guests, rng)
    voices = MixedVoices(rng)
    rate = voices.probe_rate(SynthSpeaker(None, None, "fr+m1", 40, 150))
    spoken: list[_Line] = []
    starts: list[float] = []
    with tempfile.TemporaryDirectory(prefix="naming-") as tmp:
        wav = Path(tmp) / "session.wav"
        tape = Tape(wav, rate, 0.0, 0.002, spec.seed)
        tape.silence(0.4)
        for k, lines in enumerate(script):
            if k:
                tape.silence(rng.uniform(1.0, 2.0))
                tape.silence(np.ceil(tape.now) - tape.now)  # published times are whole seconds
            starts.append(0.0 if k == 0 else tape.now)
            last = None
            for spk, text in lines:
                tape.silence(rng.uniform(0.3, 0.8) if last is spk else rng.uniform(0.6, 1.4))
                a, b = tape.add(voices.say(spk, text))
                spoken.append(_Line(spk, text if not spk.voice.startswith("real:") else "", k, a, b))
                last = spk
        tape.silence(1.5)
        tape.close()
        offset = _offset(spec, spoken, rng)
        recording = dest / "recording.mp3"
        _cut(wav, offset, Path(tmp) / "late.wav")
        encode(Path(tmp) / "late.wav", recording, "64k")
        duration = len(audio.read(recording)) / 16000
    truth = _truth(spoken, starts, items, offset, duration, spec.seed)
    times = [round(it.session_time) for it in truth.items]
    for it, t in zip(truth.items, times):
        it.agenda_time = float(t)
    (dest / "agenda.txt").write_text(agenda_text(items, times), "utf-8")
    (dest / "truth.json").write_text(truth.to_json(), "utf-8")
    (dest / "spec.json").write_text(json.dumps(asdict(spec), indent=1), "utf-8")
    return truth


def _offset(spec: Spec, spoken: list[_Line], rng: random.Random) -> float:
    """A few seconds late, or late enough to swallow the first speaker's first turn (its end
    give or take a second: sometimes the second speaker's first words go too)."""
    if not spec.cut_first:  # now and then the recording starts early, on room tone
        return round(rng.uniform(-3.0, 8.0), 2)
    first = spoken[0].spk.key
    end = next(line.start for line in spoken if line.spk.key != first) - 0.3
    return round(max(2.0, end + rng.uniform(-0.5, 2.5)), 2)


def _cut(wav: Path, offset: float, dest: Path) -> None:
    """The recording: the session from `offset` on (before it, room tone, if negative)."""
    with wave.open(str(wav), "rb") as src, wave.open(str(dest), "wb") as out:
        out.setparams(src.getparams())
        rate = src.getframerate()
        if offset < 0:
            tone = np.random.default_rng(0).normal(0, 0.002, round(-offset * rate))
            out.writeframes((tone * 32767).astype("<i2").tobytes())
        src.setpos(min(src.getnframes(), max(0, round(offset * rate))))
        while chunk := src.readframes(1 << 16):
            out.writeframes(chunk)


def _truth(
    spoken: list[_Line], starts: list[float], items: list[ItemSpec], offset: float, duration: float, seed: int
) -> SynthTruth:
    truth = SynthTruth(
        offset=offset, duration=round(duration, 3), seed=seed, recording="recording.mp3", agenda="agenda.txt"
    )
    for line in spoken:
        a, b = line.start - offset, line.end - offset
        if b <= 0.05:
            continue
        spk = line.spk
        truth.sentences.append(
            TruthSentence(round(max(a, 0.0), 3), round(b, 3), line.text, spk.name, spk.key, line.item, cut=a < 0)
        )
        prev = truth.turns[-1] if truth.turns else None
        if prev and prev.voice == spk.key and a - prev.end < 3.0:
            prev.end = round(b, 3)
        else:
            truth.turns.append(TruthTurn(round(max(a, 0.0), 3), round(b, 3), spk.name, spk.key))
    for item, t in zip(items, starts):
        keys = list(dict.fromkeys(s.key for s in item.speakers))
        names = list(dict.fromkeys(s.name for s in item.speakers if s.name)) if item.named else []
        truth.items.append(TruthItem(item.title, round(t, 3), round(t, 3), round(max(0.0, t - offset), 3), names, keys))
    for k, it in enumerate(truth.items):
        it.end = truth.items[k + 1].start if k + 1 < len(truth.items) else truth.duration
    seen: dict[str, SynthSpeaker] = {}
    for item in items:
        for s in item.speakers:
            seen.setdefault(s.key, s)
    truth.speakers = list(seen.values())
    return truth


def make_replica(dest: Path, seed: int, minutes: float = 6.0) -> SynthTruth:
    """The project's own session maker (synth: names always spoken, the seven items
    of default_items) with the seed's eight names, voices drawn per seed and a late start of
    5-60 s, which often swallows the first speaker's whole first turn."""
    from synth import default_items, make_session

    rng = random.Random(f"naming-replica-{seed}")
    genders = ["m", "f", "m", "m", "f", "f", "f", "m"]
    pools = {g: list(v) for g, v in SEED_NAMES.items()}
    for pool in pools.values():
        rng.shuffle(pool)
    used: set[str] = set()
    speakers = [SynthSpeaker(*pools[g].pop(), *_espeak_voice(rng, g, used)) for g in genders]
    speakers += [SynthSpeaker(None, None, *_espeak_voice(rng, rng.choice("mf"), used)) for _ in range(2)]
    items = default_items(speakers, seed)
    # default_items puts named[3:] in three workshops of 2, 2 and 1: the seed's pairs.
    truth = make_session(dest, seed=seed, offset=round(rng.uniform(5.0, 60.0), 2), items=items, minutes=minutes)
    heard_first = next(t for t in truth.turns if t.end - t.start > 1.0).speaker
    spec = Spec(
        seed=seed,
        handovers=True,
        cut_first=heard_first != speakers[0].name,
        pairs="mixed",
        real=False,
        styles=["replica"] * 3,
        seed_names=True,
    )
    (dest / "spec.json").write_text(json.dumps(asdict(spec), indent=1), "utf-8")
    return truth
