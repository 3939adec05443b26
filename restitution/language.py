"""Language codes, and a check that the language the user set is the one spoken.

`code("fr")` validates an option value (a Whisper language code, or "" to detect);
`check_spoken(audio, transcriber, "fr")` listens to the first minute of speech with the loaded
model and warns when it is clearly another language, because decoding English as French gives a
translation-like transcript that nobody is told about.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:  # numpy is imported where audio is heard: option checks stay light
    import numpy as np

log = logging.getLogger("restitution")

# Whisper's languages (the same 100 codes faster-whisper and openai-whisper accept), with their
# English names; kept here so that a config check needs neither engine installed.
_TABLE = (
    "en:english zh:chinese de:german es:spanish ru:russian ko:korean fr:french ja:japanese pt:portuguese "
    "tr:turkish pl:polish ca:catalan nl:dutch ar:arabic sv:swedish it:italian id:indonesian hi:hindi "
    "fi:finnish vi:vietnamese he:hebrew uk:ukrainian el:greek ms:malay cs:czech ro:romanian da:danish "
    "hu:hungarian ta:tamil no:norwegian th:thai ur:urdu hr:croatian bg:bulgarian lt:lithuanian la:latin "
    "mi:maori ml:malayalam cy:welsh sk:slovak te:telugu fa:persian lv:latvian bn:bengali sr:serbian "
    "az:azerbaijani sl:slovenian kn:kannada et:estonian mk:macedonian br:breton eu:basque is:icelandic "
    "hy:armenian ne:nepali mn:mongolian bs:bosnian kk:kazakh sq:albanian sw:swahili gl:galician "
    "mr:marathi pa:punjabi si:sinhala km:khmer sn:shona yo:yoruba so:somali af:afrikaans oc:occitan "
    "ka:georgian be:belarusian tg:tajik sd:sindhi gu:gujarati am:amharic yi:yiddish lo:lao uz:uzbek "
    "fo:faroese ht:haitian_creole ps:pashto tk:turkmen nn:nynorsk mt:maltese sa:sanskrit "
    "lb:luxembourgish my:myanmar bo:tibetan tl:tagalog mg:malagasy as:assamese tt:tatar haw:hawaiian "
    "ln:lingala ha:hausa ba:bashkir jw:javanese su:sundanese yue:cantonese"
)
LANGUAGES = {c: n.replace("_", " ") for c, n in (pair.split(":") for pair in _TABLE.split())}
# Names people type for a language: Whisper's aliases, and a few names in French and in the
# language itself, so that "--language français" gets a suggestion too.
_ALIASES = {
    "burmese": "my", "valencian": "ca", "flemish": "nl", "haitian": "ht", "letzeburgesch": "lb",
    "pushto": "ps", "panjabi": "pa", "moldavian": "ro", "moldovan": "ro", "sinhalese": "si",
    "castilian": "es", "mandarin": "zh", "français": "fr", "francais": "fr", "anglais": "en",
    "allemand": "de", "deutsch": "de", "espagnol": "es", "español": "es", "italien": "it",
    "italiano": "it", "néerlandais": "nl", "nederlands": "nl", "portugais": "pt", "português": "pt",
    "arabe": "ar", "chinois": "zh", "russe": "ru", "breton": "br", "occitan": "oc", "basque": "eu",
    "catalan": "ca", "català": "ca", "euskara": "eu", "polonais": "pl", "japonais": "ja",
    "fra": "fr", "fre": "fr", "eng": "en", "deu": "de", "ger": "de", "spa": "es", "ita": "it",
    "nld": "nl", "dut": "nl", "por": "pt", "ara": "ar", "zho": "zh", "chi": "zh", "rus": "ru",
}  # fmt: skip
EXAMPLES = ("fr", "en", "de", "es", "it", "nl", "pt")

# The speech is "clearly" another language when that language's probability is over 0.9, or
# over 0.5 and ten times the set language's. Measured with Whisper base on the first minute:
# real French (10 FLEURS clips, 18 realfr_dev files) gives French 0.89 to 0.999; English
# meetings (AMI: the 1-minute mix and 12 excerpts) give English only 0.60 to 0.99 (Welsh takes
# the rest), but French under 0.05, 17 to 5000 times less likely than English.
WARN_PROBABILITY = 0.9
WARN_RATIO = 10.0
CHECK_SECONDS = 60.0  # speech listened to: two 30 s windows of the model
SEARCH_SECONDS = 600.0  # how far into the recording speech is looked for
_BLOCK_SECONDS = 120.0
SAMPLE_RATE = 16000
_WINDOW = 30 * SAMPLE_RATE  # Whisper hears 30 s at a time


def name(code: str) -> str:
    """'fr' -> 'French'; an unknown code as given."""
    return LANGUAGES.get(code, code).title()


def code(value: str, key: str = "language") -> str:
    """The Whisper code for an option value ("fr", "FR", " en " -> "en"; "" means detect), or a
    one-line ConfigError with a suggestion ("did you mean 'fr'?") and a few valid codes."""
    text = value.strip().lower()
    if text == "" or text in LANGUAGES:
        return text
    guess = _guess(text)
    hint = f" (did you mean '{guess}'?)" if guess else ""
    examples = ", ".join(EXAMPLES)
    raise ConfigError(
        f"'{key}' = {value!r} is not a language code Whisper knows{hint}; "
        f'give a code such as {examples}, or "" to detect the language'
    )


def _guess(text: str) -> str | None:
    names = {v: k for k, v in LANGUAGES.items()} | _ALIASES
    if text in names:
        return names[text]
    head = text.replace("_", "-").split("-")[0]  # locales: fr-FR, fr_CA, en-US
    if head in LANGUAGES:
        return head
    near = difflib.get_close_matches(text, list(names), n=1, cutoff=0.75)
    return names[near[0]] if near else None


@dataclass(frozen=True)
class Detection:
    language: str  # the code most likely spoken
    probability: float  # its mean probability over the windows heard
    seconds: float  # speech heard
    probabilities: tuple[tuple[str, float], ...] = ()  # every language's, most likely first

    def of(self, language: str) -> float:
        return dict(self.probabilities).get(language, 0.0)

    def contradicts(self, language: str) -> bool:
        """Whether the speech is clearly not `language` (see WARN_PROBABILITY)."""
        if self.language == language:
            return False
        p = self.probability
        return p > WARN_PROBABILITY or (p > 0.5 and p >= WARN_RATIO * self.of(language))


def _speech(audio: np.ndarray) -> np.ndarray:
    """Up to CHECK_SECONDS of speech from the first SEARCH_SECONDS of the recording (Silero VAD),
    so that music or silence before the session starts does not decide."""
    import numpy as np
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from .audio import read_block

    wanted = int(CHECK_SECONDS * SAMPLE_RATE)
    block = int(_BLOCK_SECONDS * SAMPLE_RATE)
    pieces: list[np.ndarray] = []
    got = 0
    for first in range(0, min(len(audio), int(SEARCH_SECONDS * SAMPLE_RATE)), block):
        samples = read_block(audio, first, first + block)
        for chunk in get_speech_timestamps(samples, VadOptions()):
            pieces.append(samples[chunk["start"] : chunk["end"]])
            got += chunk["end"] - chunk["start"]
            if got >= wanted:
                return np.concatenate(pieces)[:wanted]
    return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)


def _window_probabilities(transcriber: Any, window: np.ndarray) -> dict[str, float] | None:
    """Language probabilities of one 30 s window from the transcriber's own loaded model, or
    None when it cannot tell (an English-only model, an engine without detection)."""
    model = getattr(transcriber, "model", None)
    engine = getattr(transcriber, "engine", "")
    if engine == "faster-whisper" and model is not None:
        if not model.model.is_multilingual:
            return None
        _, _, probabilities = model.detect_language(audio=window)
        return dict(probabilities)
    if engine == "openai-whisper" and model is not None:
        import torch
        import whisper

        if not model.is_multilingual:
            return None
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(torch.from_numpy(window)), model.dims.n_mels)
        with torch.inference_mode():
            _, probabilities = model.detect_language(mel)
        return {k: float(v) for k, v in probabilities.items()}
    return None


def from_windows(windows: Sequence[dict[str, float]], seconds: float) -> Detection | None:
    """The detection from the language probabilities of some 30 s windows of speech (their mean)."""
    if not windows:
        return None
    totals: dict[str, float] = {}
    for probabilities in windows:
        for lang, p in probabilities.items():
            totals[lang] = totals.get(lang, 0.0) + p
    n = len(windows)
    ranked = tuple(sorted(((k, round(v / n, 4)) for k, v in totals.items()), key=lambda kv: -kv[1]))
    return Detection(ranked[0][0], ranked[0][1], round(seconds, 1), ranked)


def detect(audio: np.ndarray, transcriber: Any) -> Detection | None:
    """The language of the first minute of speech, or None if there is no speech to hear or the
    model cannot tell."""
    speech = _speech(audio)
    if len(speech) < SAMPLE_RATE:  # under a second: nothing to judge by
        return None
    windows: list[dict[str, float]] = []
    for first in range(0, len(speech), _WINDOW):
        window = speech[first : first + _WINDOW]
        if windows and len(window) < 5 * SAMPLE_RATE:  # a short tail would only add noise
            break
        probabilities = _window_probabilities(transcriber, window)
        if probabilities is None:
            return None
        windows.append(probabilities)
    return from_windows(windows, len(speech) / SAMPLE_RATE)


def warn_if_other(found: Detection | None, language: str) -> Detection | None:
    """Warn (one log line) when `found` says the speech is clearly not `language`; return it then."""
    if found is None or not found.contradicts(language):
        return None
    log.warning(
        "language is set to '%s' (%s), but the first %.0f s of speech sound like %s ('%s', probability %.2f; "
        "%s %.3f): the transcript will be forced into %s; pass --language %s, or set language = \"\" in "
        "config.toml or session.toml to detect it",
        language, name(language), found.seconds, name(found.language), found.language, found.probability,
        name(language), found.of(language), name(language), found.language,
    )  # fmt: skip
    return found


def check_spoken(audio: np.ndarray, transcriber: Any, language: str) -> Detection | None:
    """Warn (one log line) when `language` is set but the speech is clearly another language.
    Returns the detection when it disagrees, None otherwise."""
    return warn_if_other(detect(audio, transcriber), language)


__all__ = ["LANGUAGES", "Detection", "check_spoken", "code", "detect", "from_windows", "name", "warn_if_other"]
