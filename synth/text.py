"""French sentences, names and roles for synthesized sessions (see `session.py`).

A small grammar rather than a fixed list, so that sessions made with different seeds say
different things and a transcript cannot be matched by memorising one text.
"""

from __future__ import annotations

import random

# Fictional people: (first name, "f" or "m"); voices and roles follow the name's gender.
# Hyphenated first names and particles in last names keep agenda parsers honest.
FIRST_NAMES = [
    ("Hugo", "m"),
    ("Léa", "f"),
    ("Jean-Marc", "m"),
    ("Sophie", "f"),
    ("Marie-Laure", "f"),
    ("Bastien", "m"),
    ("Claire", "f"),
    ("Julien", "m"),
    ("Nadia", "f"),
    ("Nicolas", "m"),
    ("Camille", "f"),
    ("Thomas", "m"),
    ("Hélène", "f"),
    ("Mathieu", "m"),
    ("Élise", "f"),
    ("Antoine", "m"),
    ("Lucie", "f"),
    ("Bertrand", "m"),
    ("Agnès", "f"),
    ("Olivier", "m"),
    ("Margot", "f"),
    ("Karim", "m"),
    ("Inès", "f"),
    ("Paul-Henri", "m"),
]
LAST_NAMES = [
    "Delorme",
    "Kerbrat",
    "Le Floch",
    "Marchand",
    "Fournier",
    "Lambert",
    "Moreau",
    "Girard",
    "Bonnet",
    "Mercier",
    "Rousseau",
    "Chevalier",
    "Garnier",
    "Faure",
    "Perrin",
    "Morel",
    "Blanchard",
    "Leclerc",
    "de Villiers",
    "Le Bihan",
    "Benali",
    "Tessier",
]
# (masculine, feminine); fictional bodies, shaped like the roles of a real published agenda.
ROLES = [
    ("chef du service du numérique du ministère", "cheffe du service du numérique du ministère"),
    ("président du réseau des lieux numériques", "présidente du réseau des lieux numériques"),
    (
        "fondateur de l'agence Cap Commun, expert en innovation collaborative",
        "fondatrice de l'agence Cap Commun, experte en innovation collaborative",
    ),
    (
        "metteur en scène et codirecteur du laboratoire Scène Ouverte",
        "metteuse en scène et codirectrice du laboratoire Scène Ouverte",
    ),
    ("coordinateur du réseau des ressourceries culturelles", "coordinatrice du réseau des ressourceries culturelles"),
    (
        "chargé d'étude des fictions interactives pour le collectif Horizon",
        "chargée d'étude des fictions interactives pour le collectif Horizon",
    ),
    (
        "responsable des ressources du centre de documentation théâtrale",
        "responsable des ressources du centre de documentation théâtrale",
    ),
    ("producteur de spectacles", "productrice de spectacles"),
    ("directeur d'une scène nationale", "directrice d'une scène nationale"),
    ("chargé de mission transition écologique", "chargée de mission transition écologique"),
    ("administrateur de compagnie", "administratrice de compagnie"),
    ("responsable des publics d'un centre culturel", "responsable des publics d'un centre culturel"),
]

# Workshop subjects: the title of a "Restitution de l'atelier « ... »" item and its topic key.
WORKSHOPS = [
    ("économie circulaire", "circulaire"),
    ("création en environnement numérique", "numerique"),
    ("Données", "donnees"),
    ("sobriété énergétique", "circulaire"),
    ("publics et médiation", "numerique"),
]

_SUBJECTS = {
    "general": [
        "Les lieux culturels",
        "Les compagnies",
        "Les équipes",
        "Les artistes",
        "Nos réseaux",
        "Les collectivités",
        "Les festivals",
        "Les services du ministère",
        "Les structures indépendantes",
        "Les professionnels du spectacle",
        "Beaucoup de participants",
        "Les petites équipes",
    ],
    "circulaire": [
        "Les ressourceries",
        "Les ateliers de construction",
        "Les régisseurs",
        "Les scénographes",
        "Les théâtres de la région",
    ],
    "numerique": [
        "Les créateurs de fictions interactives",
        "Les studios immersifs",
        "Les médiateurs",
        "Les auteurs",
        "Les équipes de production numérique",
    ],
    "donnees": [
        "Les services de billetterie",
        "Les observatoires",
        "Les administrateurs",
        "Les réseaux professionnels",
        "Les chargés de production",
    ],
    "methode": [
        "Les groupes de travail",
        "Les animateurs",
        "Les participants aux ateliers",
        "Les rapporteurs",
        "Les facilitateurs",
    ],
}
_VERBS = [
    "doivent mieux partager",
    "cherchent à réutiliser",
    "ont besoin de documenter",
    "veulent mutualiser",
    "peuvent valoriser",
    "commencent à mesurer",
    "souhaitent protéger",
    "essaient de rendre visibles",
    "proposent de rassembler",
    "ont appris à transmettre",
    "devraient ouvrir",
    "aimeraient simplifier",
]
_OBJECTS = {
    "general": [
        "leurs savoir-faire",
        "les ressources communes",
        "les outils de travail",
        "les retours d'expérience",
        "les compétences des équipes",
        "les moyens de production",
        "les contenus culturels",
    ],
    "circulaire": [
        "les décors et les costumes",
        "les matériaux de scénographie",
        "le matériel technique",
        "les éléments de décor démontés",
        "les stocks des ressourceries",
    ],
    "numerique": [
        "les créations numériques",
        "les expériences immersives",
        "les fictions interactives",
        "les logiciels libres",
        "les archives sonores",
    ],
    "donnees": [
        "les données de fréquentation",
        "les données de billetterie",
        "les indicateurs communs",
        "les jeux de données ouverts",
        "les informations sur les publics",
    ],
    "methode": [
        "les idées des participants",
        "les propositions des groupes",
        "les constats partagés",
        "les questions de départ",
        "les pistes d'action",
    ],
}
_COMPLEMENTS = [
    "à l'échelle du territoire",
    "avec les collectivités locales",
    "dès la conception des projets",
    "pour les prochaines saisons",
    "sans alourdir le travail des équipes",
    "grâce à des outils ouverts",
    "dans un cadre de confiance",
    "au service des publics",
    "avec des moyens modestes",
    "en lien avec les écoles",
    "d'une structure à l'autre",
    "sur le long terme",
]
_OPENERS = [
    "",
    "",
    "",
    "Aujourd'hui, ",
    "En pratique, ",
    "Concrètement, ",
    "Dans notre atelier, ",
    "Pour beaucoup d'entre nous, ",
    "Depuis plusieurs années, ",
    "Au fond, ",
    "Très souvent, ",
]
_STANDALONE = {
    "general": [
        "C'est une question qui revient dans toutes les discussions.",
        "Nous avons eu des échanges très riches pendant toute la matinée.",
        "Il faut du temps pour que ces pratiques se diffusent.",
        "Les moyens restent limités, mais l'envie est bien là.",
        "Je voudrais remercier toutes les personnes qui ont participé.",
        "Cela demande une coopération entre des métiers très différents.",
        "Nous avons besoin de lieux pour expérimenter ensemble.",
    ],
    "circulaire": [
        "Un décor sur deux finit encore à la benne après la tournée.",
        "Le réemploi suppose de stocker, de trier et de transporter.",
        "Les ressourceries jouent un rôle central dans cette économie circulaire.",
    ],
    "numerique": [
        "La création numérique ouvre de nouvelles formes de récit.",
        "Les publics entrent dans l'œuvre et deviennent acteurs de la fiction.",
        "Le numérique a aussi un coût environnemental qu'il faut regarder en face.",
    ],
    "donnees": [
        "Les données ne servent à rien si personne ne sait les lire.",
        "Il faut se mettre d'accord sur des définitions communes.",
        "La question de la confidentialité des données revient sans cesse.",
    ],
    "methode": [
        "Chaque atelier a réuni une quinzaine de personnes autour d'une question.",
        "La méthode repose sur l'intelligence collective et l'écoute.",
        "Nous avons d'abord partagé des constats, puis imaginé des solutions.",
    ],
}
_QUESTIONS = [
    "Bonjour, merci pour ces présentations.",
    "J'ai une question sur le financement de ces projets.",
    "Comment est-ce que les petites structures peuvent participer ?",
    "Est-ce que ces outils seront accessibles à tout le monde ?",
    "Je travaille dans une médiathèque et nous avons les mêmes difficultés.",
    "Quel calendrier envisagez-vous pour la suite ?",
]


def topic_of(title: str) -> str:
    t = title.lower()
    if "circulaire" in t or "sobriété" in t:
        return "circulaire"
    if "numérique" in t or "publics" in t:
        return "numerique"
    if "donnée" in t:
        return "donnees"
    if "méthode" in t or "atelier" in t:
        return "methode"
    return "general"


def sentence(rng: random.Random, topic: str = "general") -> str:
    """One varied French sentence, leaning on `topic` about half of the time."""
    key = topic if topic in _SUBJECTS and rng.random() < 0.6 else "general"
    if rng.random() < 0.2:
        return rng.choice(_STANDALONE[key])
    opener = rng.choice(_OPENERS)
    subject = rng.choice(_SUBJECTS[key])
    if opener:
        subject = subject[0].lower() + subject[1:]
    obj_key = key if rng.random() < 0.7 else "general"
    return f"{opener}{subject} {rng.choice(_VERBS)} {rng.choice(_OBJECTS[obj_key])} {rng.choice(_COMPLEMENTS)}."


def question(rng: random.Random) -> str:
    return rng.choice(_QUESTIONS)


def welcome(name: str, role: str | None) -> str:
    who = f"{name}, {role}" if role else name
    return f"Bonjour à toutes et à tous, je suis {who}."


def opening() -> str:
    return "Bienvenue à cette journée de restitution des ateliers sur la culture et le numérique."


_ARTICLES = {
    "présentation": "la ",
    "restitution": "la ",
    "conclusions": "les ",
    "échanges": "les ",
    "introduction": "l'",
    "table": "la ",
    "intervention": "l'",
}


def handover(name: str, title: str) -> str:
    article = _ARTICLES.get(title.split()[0].lower()) if title.split() else None
    what = f"{article}{_lower_first(title)}" if article else f"la suite : {title}"
    return f"Je laisse maintenant la parole à {name} pour {what}."


def handover_conclusion(name: str) -> str:
    return f"Je laisse {name} conclure cette matinée."


def thanks(name: str | None) -> str:
    return f"Merci {name.split()[0]}." if name else "Merci beaucoup."


def open_floor() -> str:
    return "Nous passons maintenant aux échanges avec les participants. Qui souhaite poser une question ?"


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if text else text
