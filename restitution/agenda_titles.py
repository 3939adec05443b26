"""An item's text: its title and its speakers, wherever the line puts them.

Speakers follow "par"/"avec"/"by"/"with" (a name there may be uncertain), or, when surely names,
"de"/"from" after a speech ("Intervention de Jean Dupont", whose title keeps the names), a dash or
a colon after the title ("Mot d'accueil – Jean Dupont, maire") or before it ("Jane Smith (MIT):
The future of AI"). A line may also only name people: under an item ("Avec ...", "Speakers: ...")
or as an item of its own ("Jean Dupont, maire de Lyon"). agenda_names.py reads the people.
"""

from __future__ import annotations

import re

from .agenda_names import LABEL_END, WORD, Found, inside_quotes, parse_speakers, read_people, trim_end
from .agenda_words import SPEECHES
from .first_names import fold
from .types import AgendaSpeaker

# Speakers follow these in an item's text: "Atelier avec X", "Intervention de X", "Accueil – X".
_BY = re.compile(
    r"\s(?:(?:par|avec|entre|by|with|between|featuring|feat\.|ft\.|en présence d(?:e|u|es)|in the presence of)"
    r"\s*:?\s+|en présence d['’])",
    re.IGNORECASE,
)
_OF = re.compile(r"\s(?:de\s+|du\s+|d['’]|from\s+)", re.IGNORECASE)
_PUNCT = re.compile(r"\s*(?:[–—:|]|\s-)\s+")
MAX_TEXT = 2000  # characters: longer "lines" are not agenda lines, and are not searched for people
MAX_MARKERS = 12  # markers tried per line, so a pathological line costs little


def _speech_before(before: str) -> bool:
    words = [re.sub(r"^[dl]['’]", "", fold(w)) for w in WORD.findall(before)[-3:]]
    return any(w in SPEECHES for w in words)


def _joined(found: Found) -> str:
    """The people as the title names them: "Christiane Taubira par Léa Salamé", without roles."""
    text = found.published[0]
    for join, person in zip(found.joins, found.published[1:]):
        text += f" {join} {person}" if join else f", {person}"
    return text


def clean_title(text: str) -> str:
    return trim_end(text.strip().rstrip(" ,;:–—-|"))


def split_title(text: str) -> tuple[str, tuple[AgendaSpeaker, ...]]:
    """Title and speakers of an item's text (the first marker that leads to people wins)."""
    if len(text) > MAX_TEXT:
        return clean_title(text), ()
    markers = sorted(
        [(m, "by") for m in _BY.finditer(text)] + [(m, "of") for m in _OF.finditer(text)]
        + [(m, "punct") for m in _PUNCT.finditer(text)],
        key=lambda pair: pair[0].start(),
    )  # fmt: skip
    for m, kind in markers[:MAX_MARKERS]:
        before = text[: m.start()]
        if not before.strip() or inside_quotes(before) or (kind == "of" and not _speech_before(before)):
            continue
        if before.count("(") > before.count(")"):  # "Atelier (animé par Sophie Durand, médiatrice)"
            opened, closed = before.rindex("("), _closing(text, m.end())
            found = read_people(text[m.end() : closed], sure_only=kind != "by")
            if found:
                return clean_title(text[:opened] + text[closed + 1 :]), found.people
            continue
        found = read_people(text[m.end() :], sure_only=kind != "by")
        if found:
            if kind == "of":
                return clean_title(text[: m.end()] + _joined(found)), found.people
            return clean_title(LABEL_END.sub("", before)), found.people
        after = text[m.end() :]
        if kind == "punct" and after.strip() and (found := read_people(before, sure_only=True)) and not found.loose:
            return clean_title(after), found.people  # "Jane Smith (MIT): The future of AI"
    tail = re.search(r"\(([^()]*)\)\s*$", text)  # "Présentation de l'étude (Laurent Petit, CNRS)"
    if tail and tail.start() > 0 and (found := read_people(tail.group(1), sure_only=True)) and not found.loose:
        return clean_title(text[: tail.start()]), found.people
    # A line that only names people ("Jean Dupont, maire de Lyon", "With Dr Ruth Okoye") is its own title.
    label = _LABEL.match(text)
    alone = read_people(text[label.end() :] if label else text, sure_only=True)
    return clean_title(text), alone.people if alone and not alone.loose else ()


def _closing(text: str, pos: int) -> int:
    """Where the parenthesis open at `pos` closes (the end of the text if it never does)."""
    depth = 1
    for k in range(pos, len(text)):
        depth += (text[k] == "(") - (text[k] == ")")
        if depth == 0:
            return k
    return len(text)


# A line of its own naming an item's speakers: "Avec Jean Dupont", "Intervenants : ...".
_LABEL = re.compile(
    r"(?:(?:animée?s?|modérée?s?|présentée?s?|introduite?s?|moderated|chaired|hosted|presented|introduced|led)"
    r"\s+(?:par|by)\s+|(?:avec|par|with|by|featuring)\s+"
    r"|(?:intervenant(?:e|·e|\(e\))?s?|speakers?|panel(?:l)?ists?|modérat(?:eur|rice|ion)s?|moderators?|moderation"
    r"|animat(?:eur|rice|ion)s?|invitée?s?|guests?|chairs?|hosts?|orat(?:eur|rice)s?|avec|with)\s*:\s*)",
    re.IGNORECASE,
)


def speaker_line(line: str) -> tuple[AgendaSpeaker, ...] | None:
    """The people of a line that only names an item's speakers; None if it is not such a line."""
    if len(line) > MAX_TEXT:
        return None
    label = _LABEL.match(line)
    if label:
        return parse_speakers(line[label.end() :])
    return parse_speakers(line, sure_only=True)
