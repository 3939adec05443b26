"""What a synthesized session holds, in media time: items, turns, sentences, events (`truth.json`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .audio import SynthSpeaker


@dataclass
class TruthItem:
    title: str
    session_time: float  # true start, session time
    agenda_time: float  # as written in agenda.txt (differs from session_time for `wrong_item`)
    start: float  # true start, media time, clamped at 0
    speakers: list[str]  # names the agenda gives
    voices: list[str]  # keys of the voices that speak in the item
    end: float = 0.0  # media time: the next item's start, or the end of the recording


@dataclass
class TruthTurn:
    start: float
    end: float
    speaker: str | None
    voice: str


@dataclass
class TruthSentence:
    start: float  # speech onset and end, media time
    end: float
    text: str
    speaker: str | None
    voice: str
    item: int
    cut: bool = False  # began before the recording did: only its end is heard


@dataclass
class TruthEvent:
    kind: str  # "applause", "music" or "silence"
    start: float
    end: float


@dataclass
class SynthTruth:
    offset: float
    duration: float
    seed: int
    recording: str
    agenda: str
    items: list[TruthItem] = field(default_factory=list)
    turns: list[TruthTurn] = field(default_factory=list)
    sentences: list[TruthSentence] = field(default_factory=list)
    events: list[TruthEvent] = field(default_factory=list)
    speakers: list[SynthSpeaker] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> SynthTruth:
        text = Path(text_or_path).read_text("utf-8") if isinstance(text_or_path, Path) else text_or_path
        d = json.loads(text)
        kinds = {
            "items": TruthItem,
            "turns": TruthTurn,
            "sentences": TruthSentence,
            "events": TruthEvent,
            "speakers": SynthSpeaker,
        }
        lists = {k: [c(**x) for x in d.pop(k)] for k, c in kinds.items()}
        return cls(**d, **lists)

    def reference_text(self, start: float = 0.0, end: float | None = None) -> str:
        """What is fully heard between `start` and `end` (media time), for word error rates."""
        end = self.duration if end is None else end
        return " ".join(s.text for s in self.sentences if not s.cut and s.start >= start and s.end <= end)

    def name_shares(self, turns, speakers) -> dict[str, float]:
        """How well `speakers` (with `source`) name the diarization `turns`, as time shares:
        "named", named speech under the right name; "unnamed", unnamed participants' speech
        under an agenda name; "conclusions", the returning speaker's "Conclusions" under the
        right name."""
        name_of = {s.id: (s.name, s.source) for s in speakers}
        concl = next((i for i in self.items if i.title.startswith("Conclusions")), None)
        concl_start = concl.start if concl else float("inf")
        concl_end = min([i.start for i in self.items if i.start > concl_start], default=float("inf"))
        got = dict.fromkeys(["named", "named_ok", "unnamed", "unnamed_agenda", "concl", "concl_ok"], 0.0)
        for ref in self.turns:
            in_concl = bool(ref.speaker) and concl_start <= ref.start < concl_end
            length = ref.end - ref.start
            got["named" if ref.speaker else "unnamed"] += length
            got["concl"] += length if in_concl else 0.0
            for hyp in turns:
                overlap = min(ref.end, hyp.end) - max(ref.start, hyp.start)
                if overlap <= 0:
                    continue
                name, source = name_of[hyp.speaker]
                if ref.speaker:
                    got["named_ok"] += overlap * (name == ref.speaker)
                    got["concl_ok"] += overlap * (name == ref.speaker and in_concl)
                else:
                    got["unnamed_agenda"] += overlap * (source == "agenda")
        return {
            "named": got["named_ok"] / max(got["named"], 1e-9),
            "unnamed": got["unnamed_agenda"] / max(got["unnamed"], 1e-9),
            "conclusions": got["concl_ok"] / max(got["concl"], 1e-9),
        }

    def rttm(self, uri: str = "recording") -> str:
        labels = {s.key: s.name or f"unnamed{i}" for i, s in enumerate(self.speakers)}
        return "".join(
            f"SPEAKER {uri} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> "
            f"{labels[t.voice].replace(' ', '_')} <NA> <NA>\n"
            for t in self.turns
        )


@dataclass(frozen=True)
class SynthSession:
    """A session folder made by `make_session`, as the test fixtures hand it out."""

    dir: Path
    recording: Path
    agenda: Path
    truth: SynthTruth

    @classmethod
    def load(cls, dest_dir: Path) -> SynthSession:
        truth = SynthTruth.from_json(Path(dest_dir) / "truth.json")
        return cls(Path(dest_dir), Path(dest_dir) / truth.recording, Path(dest_dir) / truth.agenda, truth)
