"""People in agenda text: their names, their roles, and whether the parser is sure a name is one.

Shapes read: "Name, Role", "Name (Role)", "Name – Role", "Role Name", "Role, Name", several people
joined by "et", "and", "&", ";" or commas; titles (Mme, M., Dr, Pr, Mr, Mrs, Ms, Prof.), particles
(de, du, Le, van, von, da, d'), compound and accented first names, all-caps surnames.

What tells a name from a role, in general:
- a role holds a word of `agenda_words` (directrice, chargée, expert, designer, ministère, lab,
  marketing, numérique...), however it is capitalised; a name never does;
- a role holds function words (de la, of, the, for...); a name only particles between its parts;
- after a bare comma comes a role, unless what follows is surely a name: a known first name, a
  title, an initial, or an all-caps surname ("Prénom NOM");
- a name the parser cannot make sure of is still read where its place says a person stands (first,
  or after "et"/"and"), and marked uncertain: never enrolled as a voice.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from .agenda_words import ABBREVIATIONS, BLOCKING, FUNCTION, PARTICLES, ROLES, STARTERS, TITLES
from .first_names import fold, is_first_name
from .types import AgendaSpeaker

WORD = re.compile(r"[^\W\d_](?:[\w'’·]|-(?=\w)|\.(?=-?[^\W\d_]))*\.?")
_SPACE = re.compile(r"\s+")
_GAP = re.compile(r"\s*,\s*|\s+")
_INITIAL = re.compile(r"[A-Z](?:\.-?[A-Z])*\.")  # J. / J.-P. / J.P.
# What may follow a name: the end, its role (",", "(", a dash), or the next person.
_AFTER_NAME = re.compile(
    r"\s*(?:$|[,;(\[\])»”\"/]|[–—]|[.:]\s)|\s+(?:-\s|(?:et|and|&|ainsi que|as well as|avec|with|par|by)\s)",
    re.IGNORECASE,
)
# Labels that introduce people inside a line: "Chair: Dr Mia Ridge. Speakers: ..."
LABELS = (
    r"(?:speakers?|panel(?:l)?ists?|intervenant(?:e|·e)?s?|chairs?|modérat(?:eur|rice|ion)s?|moderators?|moderation"
    r"|animat(?:eur|rice|ion)s?|invitée?s?|guests?|hosts?)"
)
LABEL_END = re.compile(rf"[.;,]?\s*{LABELS}\s*$", re.IGNORECASE)
# Between people. After a "weak" one (a bare comma, a dash, a slash) comes the previous person's
# role unless a name is sure; after "et", "and", "&", ";" a person is expected.
_SEPARATOR = re.compile(
    r"(?P<strong>\s*,?\s+(?:avec la participation d[e'’]|en présence d[e'’]|with the participation of"
    r"|in the presence of|featuring)\s*"
    r"|\s*,\s*(?:(?:et|and)(?:\s+de\s+|\s+du\s+|\s+d['’]|\s+)|(?:&|ainsi que|as well as|avec|with)\s+)"
    r"|\s+(?:et|and)(?:\s+de\s+|\s+du\s+|\s+d['’]|\s+)|\s+(?:ainsi que|as well as|avec|with)\s+"
    r"|\s*,?\s+(?:(?:moderated|chaired|hosted|introduced|presented|led|animée?s?|modérée?s?|présentée?s?"
    r"|introduite?s?)\s+)?(?:par|by)\s+"
    rf"|\s*[.;,]?\s*{LABELS}\s*:\s*|\.\s+|\s*[;&]\s*)"
    r"|(?P<weak>\s*,\s*|\s+[–—-]\s+|\s*/\s*)",
    re.IGNORECASE,
)
# A role does not start with a conjunction: "avec Jean Dupont et son équipe" gives him no role.
_NOT_A_ROLE = re.compile(r"\s*(?:et|and|&|avec|with|ainsi que|as well as|plus|puis|then)\b", re.IGNORECASE)
_LEAD = re.compile(r"(?:(?:madame|monsieur|mme|m\.)\s+)?(?:(?:le|la|les|the|notre|our)\s+|l['’](?=\w))?", re.IGNORECASE)
_OWN_ROLE = re.compile(r"\s*(?:\(|[–—]|-\s|,\s*(?P<word>[^\W\d_][\w'’·-]*))")
_NEXTWORD = re.compile(r"\s+(?P<word>[^\W\d_][\w'’·-]*)")


@dataclass(frozen=True)
class _Name:
    end: int  # where the name ends in the text
    text: str  # whitespace normalised, honorific dropped when a given name follows
    sure: bool


@dataclass(frozen=True)
class _Entry:
    start: int  # where the entry starts: its role, if written first, or its name
    name: _Name
    role: str | None  # the role written before the name ("la présidente Carole Delga")


def _in(table: frozenset[str], key: str) -> bool:
    return key in table or (len(key) > 3 and key[-1] in "sx" and key[:-1] in table)


def _parts(word: str) -> list[str]:
    key = fold(word).split("·")[0]  # "directeur·rice"
    return [key, *[p for p in key.split("-") if p and p != key]]


def _blocked(word: str) -> bool:
    return any(_in(BLOCKING, part) for part in _parts(word))


def is_role_word(word: str) -> bool:
    """A word that heads a role ("directrice", "Co-Founder", "chargé·e"), in any capitalisation."""
    parts = _parts(word)
    return _in(ROLES, parts[0]) or _in(ROLES, parts[-1])


def _abbreviation(word: str) -> bool:
    key = fold(word)
    return bool(_INITIAL.fullmatch(word)) or key in TITLES or key in ABBREVIATIONS


def _caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 3 and word.isupper()


def _words(text: str, pos: int, limit: int) -> list[tuple[int, int, str]]:
    """Words from `pos` separated by spaces only; a sentence's final dot is not part of a word."""
    out: list[tuple[int, int, str]] = []
    while len(out) < limit:
        m = WORD.match(text, pos)
        if not m:
            break
        start, end, word = m.start(), m.end(), m.group()
        if word.endswith(".") and not _abbreviation(word):
            end, word = end - 1, word[:-1]
        out.append((start, end, word))
        gap = _SPACE.match(text, end)
        if gap is None or end < m.end():
            break
        pos = gap.end()
    return out


def _name_word(word: str, first: bool) -> bool:
    if _INITIAL.fullmatch(word):
        return True
    elided = word[:2] in ("d'", "d’") and len(word) > 2  # "d'Arc": a surname, never a first word
    core = word[2:] if elided else word
    if (first and elided) or not core[:1].isupper() or _blocked(core):
        return False
    # "Maire de Villeurbanne", "Mayor Jane Castor": a role word starts a role, unless it is also a
    # first name ("Dean Martin").
    return not (first and (fold(word) in STARTERS or (is_role_word(word) and not is_first_name(word))))


def _ends_name(text: str, end: int) -> bool:
    if _AFTER_NAME.match(text, end):
        return True
    following = _NEXTWORD.match(text, end)  # "Quentin Rioual metteur en scène": a role without a comma
    return bool(following and is_role_word(following.group("word")))


def name_at(text: str, pos: int) -> _Name | None:
    """The person's name starting at `pos`, if one does (a title alone with a surname counts)."""
    words = _words(text, pos, 9)
    if not words:
        return None
    i = 0  # titles skipped: "Mme", "Prof. Dr.", "Professor Dame" reads as a role then a title
    while (
        i < min(len(words) - 1, 3)
        and fold(words[i][2]) in TITLES
        and (fold(words[i][2]) not in ("m", "mm") or words[i][2].endswith("."))
    ):
        i += 1
    titled = i > 0
    kinds: list[str] = []
    for j in range(i, min(len(words), i + 6)):
        word = words[j][2]
        if j > i and word in PARTICLES:
            kinds.append("particle")
        elif _name_word(word, first=j == i) or (titled and j == i and word[:1].isupper() and fold(word) in PARTICLES):
            kinds.append("name")
        else:
            break
    if not kinds:
        return None
    given = words[i][2]
    # "DUPONT Jean" reads surname first; "CNRS Lyon" is an organisation.
    surname_first = len(kinds) > 1 and kinds[1] == "name" and is_first_name(words[i + 1][2])
    if not titled and _caps(given) and not is_first_name(given) and not surname_first:
        return None
    for k in range(len(kinds) - 1, -1, -1):
        names = kinds[: k + 1].count("name")
        if kinds[k] != "name" or names < (1 if titled else 2) or not _ends_name(text, words[i + k][1]):
            continue
        later = [words[i + t][2] for t in range(1, k + 1) if kinds[t] == "name"]
        sure = (
            titled
            or bool(_INITIAL.fullmatch(given))
            or is_first_name(given)
            or (not _caps(given) and _caps(later[-1]))  # Prénom NOM
            or (_caps(given) and is_first_name(later[0]))  # NOM Prénom
        )
        start = words[i][0] if titled and names >= 2 else words[0][0]
        end = words[i + k][1]
        return _Name(end, " ".join(text[start:end].split()), sure)
    return None


def role_then_name(text: str, pos: int, allow_comma: bool, nested: bool = False) -> _Entry | None:
    """ "le maire de Lyon, Grégory Doucet", "Mayor Jane Smith": a role, then a name, sure unless it
    follows the role's head word itself ("la Ministre Rima Abdul Malak")."""
    start = _LEAD.match(text, pos).end()  # type: ignore[union-attr]
    here = start
    for count in range(10):
        m = WORD.match(text, here)
        if m is None or (count == 0 and not is_role_word(m.group())) or fold(m.group()) in ("et", "and"):
            return None
        gap = _GAP.match(text, m.end())
        if gap is None:
            return None
        comma = "," in gap.group()
        role = " ".join(text[start : m.end()].split())
        if fold(m.group()) not in FUNCTION and (allow_comma or not comma):
            name = name_at(text, gap.end())
            head = not comma and is_role_word(m.group()) and not _plural(m.group())  # not "Médecins Sans Frontières"
            if name is not None and (name.sure or head):
                return _Entry(pos, name, role)
            inner = None if name or not comma or nested else role_then_name(text, gap.end(), False, nested=True)
            if inner is not None:  # "the Vice-Chancellor, Professor Dame Ottoline Leyser"
                return _Entry(pos, inner.name, f"{role}, {inner.role}")
        if comma:
            return None
        here = gap.end()
    return None


def _entry_at(text: str, pos: int, allow_comma: bool) -> _Entry | None:
    first = WORD.match(text, pos)
    if (first is not None and is_role_word(first.group())) or _LEAD.match(text, pos).end() > pos:  # type: ignore[union-attr]
        entry = role_then_name(text, pos, allow_comma)
        if entry is not None:
            return entry
    name = name_at(text, pos)
    return _Entry(pos, name, None) if name is not None else None


def _maybe_is_person(text: str, before: str, name: _Name) -> bool:
    """An unsure name after "et"/"and": a person if a role of its own follows it, or if the text
    before the "et" is not a capitalised name of an organisation ("Ressources et Savoirs Artcena")."""
    own = _OWN_ROLE.match(text, name.end)
    if own and (own.group("word") is None or own.group("word")[:1].islower() or is_role_word(own.group("word"))):
        return True
    last = WORD.findall(before)
    return not last or before.rstrip().endswith(")") or not last[-1][:1].isupper() or is_role_word(last[-1])


def _listed(text: str, name: _Name, listing: bool) -> bool:
    """An unsure name after a bare comma, in a list of names without roles ("Kate Crawford, Timnit
    Gebru & Meredith Whittaker"): a person, where "Jane Smith, Acme Widgets" is her organisation."""
    if listing:
        return True
    sep = _SEPARATOR.match(text, name.end)
    following = _entry_at(text, sep.end(), allow_comma=False) if sep is not None else None
    return following is not None and following.name.sure


def _inside(before: str) -> bool:
    """Inside parentheses or quotes: "(CNRS, Lyon)", "« Arts et Sciences »"."""
    return before.count("(") > before.count(")") or inside_quotes(before)


def _next_entry(text: str, pos: int, listing: bool) -> tuple[_Entry | None, int]:
    """The next person after `pos`, and where the current person's role ends. `listing`: the
    people before the current one have no role."""
    for sep in _SEPARATOR.finditer(text, pos):
        before = text[pos : sep.start()]
        if _inside(before):
            continue
        weak = sep.group("weak") is not None
        has_role = bool(before.strip())
        entry = _entry_at(text, sep.end(), allow_comma=not weak)
        if entry is None:
            continue
        if entry.role is not None:
            if weak and not has_role:
                continue  # "Jean Dupont, directeur du musée, Marie Curie": his role, then her
            return entry, sep.start()
        if entry.name.sure:
            return entry, sep.start()
        if weak:
            # "Jane Smith (ODI), Xochitl Brandt": a closed parenthesis was her whole role.
            closed = bool(re.fullmatch(r"\s*\([^()]*\)\s*", before))
            person = (closed or not has_role) and _listed(text, entry.name, listing or closed)
        else:
            person = _maybe_is_person(text, before, entry.name)
        if person:
            return entry, sep.start()
    return None, len(text)


def _clean_role(text: str) -> str:
    text = " ".join(text.split()).strip(" ,;:–—-")
    if text.startswith("("):
        depth = 0
        for k, c in enumerate(text):
            depth += (c == "(") - (c == ")")
            if depth == 0:
                inner, rest = text[1:k].strip(), text[k + 1 :].strip(" ,;:–—-")
                return f"{inner}, {rest}" if inner and rest else inner or rest
    return text


def _plural(role: str) -> bool:
    """ "chercheurs au CNRS", "co-founders of X": a role several people share."""
    first = WORD.match(role)
    if first is None:
        return False
    key = _parts(first.group())[-1]
    return key not in ROLES and key[-1:] in ("s", "x") and key[:-1] in ROLES


def trim_end(text: str) -> str:
    """`text` without a sentence's final dot ("... du TMNlab."), keeping an abbreviation's ("Acme Corp.")."""
    text = text.strip()
    if text.endswith(".") and not text.endswith(".."):
        last = text.rsplit(None, 1)[-1]
        if not _abbreviation(last):
            text = text[:-1].rstrip()
    return text


@dataclass(frozen=True)
class Found:
    people: tuple[AgendaSpeaker, ...]
    published: tuple[str, ...]  # each person as written up to the name: "la présidente, Anne Le Gall"
    joins: tuple[str, ...]  # the words joining each person to the previous one: "et", "and", ""
    loose: bool  # some text after a name was no role ("Marie Curie et la radioactivité")


def _share(people: list[AgendaSpeaker], prefixed: set[int]) -> None:
    """A plural role goes to the people listed with it: "Jean Dupont et Marie Curie, chercheurs au
    CNRS", "les comédiens Jean Dupont et Marie Curie"."""
    for k, person in enumerate(list(people)):
        if not person.role or not _plural(person.role):
            continue
        others = range(k + 1, len(people)) if k in prefixed else range(k - 1, -1, -1)
        for j in others:
            if people[j].role is not None:
                break
            people[j] = dataclasses.replace(people[j], role=person.role)


def read_people(text: str, sure_only: bool = False) -> Found | None:
    """The people of `text`; None if it does not start with a person (or, with `sure_only`, if
    none of them is surely one)."""
    text = trim_end(text)
    entry = _entry_at(text, 0, allow_comma=True)
    people: list[AgendaSpeaker] = []
    published: list[str] = []
    prefixed: set[int] = set()  # people whose whole role came before their name
    joins: list[str] = []
    loose = False
    while entry is not None:
        following, role_end = _next_entry(text, entry.name.end, bool(people) and all(p.role is None for p in people))
        if following is not None:
            joins.append(" ".join(text[role_end : following.start].split()).lstrip(",").strip())
        tail = text[entry.name.end : role_end]
        loose = loose or bool(_NOT_A_ROLE.match(tail))
        role = "" if _NOT_A_ROLE.match(tail) else _clean_role(tail)
        if entry.role:
            if not role:
                prefixed.add(len(people))
            role = f"{entry.role}, {role}" if role else entry.role
        people.append(AgendaSpeaker(entry.name.text, role or None, uncertain=not entry.name.sure))
        published.append(" ".join(text[entry.start : entry.name.end].split()))
        entry = following
    if not people or (sure_only and all(p.uncertain for p in people)):
        return None
    _share(people, prefixed)
    return Found(tuple(people), tuple(published), tuple(joins), loose)


def parse_speakers(text: str, sure_only: bool = False) -> tuple[AgendaSpeaker, ...] | None:
    """People in "A B, role et C D (role)"; None if `text` does not start with a person.
    `sure_only`: None unless at least one of the names is surely a person's."""
    found = read_people(text, sure_only)
    return found.people if found else None


def inside_quotes(text: str) -> bool:
    return text.count("«") > text.count("»") or text.count("“") > text.count("”") or text.count('"') % 2 == 1
