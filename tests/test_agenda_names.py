"""Names and roles in agenda lines as real programmes write them, in French and English.

Each case is one line of a déroulé with the title and the exact (name, role) pairs a reader would
take from it; a third element "?" marks a name the parser must flag as uncertain.
"""

from __future__ import annotations

import random

import pytest
from rich.console import Console

from restitution import agenda
from restitution.agenda_names import is_role_word
from restitution.speakers import name_speakers
from restitution.types import Agenda, AgendaItem, AgendaSpeaker, Chapter, Diarization, Speaker, Turn
from restitution.voices import VoiceLibrary, enroll_from_session

CASES = [
    # -- French --
    (
        (
            "- 00:19:37 : Restitution de l'atelier « économie circulaire » avec Quentin Rioual, metteur en scène et "
            "codirecteur de l'Augures Lab Scénogrrraphie et Stéphanie Mabileau, coordinatrice du Réseau des ressourceries "
            "artistiques et culturelles (RESSAC)."
        ),
        "Restitution de l'atelier « économie circulaire »",
        [
            ("Quentin Rioual", "metteur en scène et codirecteur de l'Augures Lab Scénogrrraphie"),
            ("Stéphanie Mabileau", "coordinatrice du Réseau des ressourceries artistiques et culturelles (RESSAC)"),
        ],
    ),
    (
        "- 09h30 – Mot d'accueil par Mme Anne Le Gall, Présidente du TMNlab",
        "Mot d'accueil",
        [("Anne Le Gall", "Présidente du TMNlab")],
    ),
    (
        (
            "9h45 Ouverture par M. Jean-Marc Dupont, Maire de Villeurbanne, et Mme Éloïse Martin, Vice-Présidente de la "
            "Métropole de Lyon"
        ),
        "Ouverture",
        [("Jean-Marc Dupont", "Maire de Villeurbanne"), ("Éloïse Martin", "Vice-Présidente de la Métropole de Lyon")],
    ),
    (
        "10h00 : Intervention du Pr Jean-Luc Moreau, chef du service de cardiologie du CHU de Nantes",
        "Intervention du Pr Jean-Luc Moreau",
        [("Jean-Luc Moreau", "chef du service de cardiologie du CHU de Nantes")],
    ),
    (
        (
            "10h30 Table ronde « Culture et numérique » avec Jean DUPONT (CNRS), Marie-Ève d'Arc (Université Lyon 2) et "
            "Paul Martin (Inria)"
        ),
        "Table ronde « Culture et numérique »",
        [("Jean DUPONT", "CNRS"), ("Marie-Ève d'Arc", "Université Lyon 2"), ("Paul Martin", "Inria")],
    ),
    (
        "11h15 – Présentation des résultats par Anne-Sophie Leroy et Jean-Baptiste Nguyen, chercheurs au LabEx Arts-H2H",
        "Présentation des résultats",
        [
            ("Anne-Sophie Leroy", "chercheurs au LabEx Arts-H2H"),
            ("Jean-Baptiste Nguyen", "chercheurs au LabEx Arts-H2H"),
        ],
    ),
    (
        "- 11:45 : Témoignage de Fatoumata Diallo, fondatrice de l'association Les Petits Débrouillards",
        "Témoignage de Fatoumata Diallo",
        [("Fatoumata Diallo", "fondatrice de l'association Les Petits Débrouillards")],
    ),
    (
        "14h00 Atelier animé par Éloïse Bernard – chargée de mission numérique à la DRAC",
        "Atelier animé",
        [("Éloïse Bernard", "chargée de mission numérique à la DRAC")],
    ),
    (
        "14h30 : Conférence de Bruno Latour (Sciences Po)",
        "Conférence de Bruno Latour",
        [("Bruno Latour", "Sciences Po")],
    ),
    (
        "15h00 Regards croisés avec la directrice du musée, Claire Dubois, et le conservateur Hugo Lefèvre",
        "Regards croisés",
        [("Claire Dubois", "directrice du musée"), ("Hugo Lefèvre", "conservateur")],
    ),
    ("15h45 Clôture par le maire de Lyon, Grégory Doucet", "Clôture", [("Grégory Doucet", "maire de Lyon")]),
    ("16h00 Échanges avec la salle", "Échanges avec la salle", []),
    (
        "16h10 Accueil par Jean de La Fontaine, directeur, et Charles du Bellay, directeur adjoint",
        "Accueil",
        [("Jean de La Fontaine", "directeur"), ("Charles du Bellay", "directeur adjoint")],
    ),
    (
        "16h20 Débat avec DUPONT Jean, conseiller municipal & MARTIN Sophie, adjointe à la culture",
        "Débat",
        [("DUPONT Jean", "conseiller municipal"), ("MARTIN Sophie", "adjointe à la culture")],
    ),
    ("16h30 Keynote : Dr Aïcha Benali (Institut Pasteur)", "Keynote", [("Aïcha Benali", "Institut Pasteur")]),
    (
        "16h40 Table ronde animée par Xochitl Brandt, journaliste",
        "Table ronde animée",
        [("Xochitl Brandt", "journaliste", "?")],
    ),
    (
        "16h50 Lecture par Jean-Pierre Léaud et Anne Wiazemsky",
        "Lecture",
        [("Jean-Pierre Léaud", None), ("Anne Wiazemsky", None)],
    ),
    (
        (
            "17h00 Projection suivie d'un échange avec Mathieu Amalric, réalisateur, Jeanne Balibar, comédienne et "
            "Nicolas Bouchaud"
        ),
        "Projection suivie d'un échange",
        [("Mathieu Amalric", "réalisateur"), ("Jeanne Balibar", "comédienne"), ("Nicolas Bouchaud", None)],
    ),
    (
        "17h10 Mot de bienvenue de Madame la Ministre de la Culture, Rachida Dati",
        "Mot de bienvenue de Madame la Ministre de la Culture, Rachida Dati",
        [("Rachida Dati", "Ministre de la Culture")],
    ),
    (
        "17h20 Conclusion par Anne-Claire Rousseau-Petit, Déléguée générale de l'Union des Lieux Numériques",
        "Conclusion",
        [("Anne-Claire Rousseau-Petit", "Déléguée générale de l'Union des Lieux Numériques")],
    ),
    (
        "17h30 - Présentation par Yves-Armel Martin (Bureau des Possibles) et Manon Picard (Or Normes)",
        "Présentation",
        [("Yves-Armel Martin", "Bureau des Possibles"), ("Manon Picard", "Or Normes")],
    ),
    ("17h40 Concert de l'Orchestre National de Lyon", "Concert de l'Orchestre National de Lyon", []),
    ("17h50 Accueil – Jean Dupont, maire de Lyon", "Accueil", [("Jean Dupont", "maire de Lyon")]),
    ("20:20 Synthèse par les rapporteurs des ateliers", "Synthèse par les rapporteurs des ateliers", []),
    (
        "20:30 Ouverture officielle par Monsieur le Préfet de Région, Pascal Mailhos",
        "Ouverture officielle",
        [("Pascal Mailhos", "Préfet de Région")],
    ),
    (
        (
            "20:40 Présentation du projet par Marie-Hélène Lefebvre (Ville de Lille) et Thibault de Montalembert "
            "(Région Hauts-de-France)"
        ),
        "Présentation du projet",
        [("Marie-Hélène Lefebvre", "Ville de Lille"), ("Thibault de Montalembert", "Région Hauts-de-France")],
    ),
    (
        "20:50 « La médiation numérique » par Nour El Houda Ben Salah, médiatrice numérique",
        "« La médiation numérique »",
        [("Nour El Houda Ben Salah", "médiatrice numérique")],
    ),
    (
        "21:00 Intervention de Mme Nathalie Kosciusko-Morizet",
        "Intervention de Mme Nathalie Kosciusko-Morizet",
        [("Nathalie Kosciusko-Morizet", None)],
    ),
    (
        (
            "21:10 Table ronde modérée par Léa Salamé, journaliste à France Inter, avec Aurélie Filippetti, ancienne "
            "ministre de la Culture, et Jack Lang, président de l'Institut du monde arabe"
        ),
        "Table ronde modérée",
        [
            ("Léa Salamé", "journaliste à France Inter"),
            ("Aurélie Filippetti", "ancienne ministre de la Culture"),
            ("Jack Lang", "président de l'Institut du monde arabe"),
        ],
    ),
    ("21:20 Lecture musicale par la Compagnie des Lumas", "Lecture musicale par la Compagnie des Lumas", []),
    (
        "21:30 Performance de Rachid Ouramdane, chorégraphe, directeur de Chaillot – Théâtre national de la Danse",
        "Performance de Rachid Ouramdane",
        [("Rachid Ouramdane", "chorégraphe, directeur de Chaillot – Théâtre national de la Danse")],
    ),
    (
        "21:40 Clôture par Pr. Jean-François Delfraissy et Dr Anne-Lise Chevalier",
        "Clôture",
        [("Jean-François Delfraissy", None), ("Anne-Lise Chevalier", None)],
    ),
    (
        "10h00 - Jean Dupont (Ville de Lyon) : Présentation du projet",
        "Présentation du projet",
        [("Jean Dupont", "Ville de Lyon")],
    ),
    ("10h05 Jean Dupont, maire de Lyon", "Jean Dupont, maire de Lyon", [("Jean Dupont", "maire de Lyon")]),
    ("10h10 Marie Curie et la radioactivité", "Marie Curie et la radioactivité", []),
    ("10h15 Rencontre avec Jean Dupont et son équipe", "Rencontre", [("Jean Dupont", None)]),
    ("10h20 Présentation par M. Dupont", "Présentation", [("M. Dupont", None)]),
    (
        "10h25 Conférence de Jean-Marc Jancovici, ingénieur, fondateur de Carbone 4",
        "Conférence de Jean-Marc Jancovici",
        [("Jean-Marc Jancovici", "ingénieur, fondateur de Carbone 4")],
    ),
    (
        "10h45 Projection avec Jean-Luc Godard et Anna Karina, acteurs",
        "Projection",
        [("Jean-Luc Godard", "acteurs"), ("Anna Karina", "acteurs")],
    ),
    (
        "10h50 Table ronde avec Marie Dupont (Directrice, Musée des Beaux-Arts) et Paul Durand (Conservateur)",
        "Table ronde",
        [("Marie Dupont", "Directrice, Musée des Beaux-Arts"), ("Paul Durand", "Conservateur")],
    ),
    (
        "10h55 Lecture avec les comédiens Jean Dupont et Marie Curie",
        "Lecture",
        [("Jean Dupont", "comédiens"), ("Marie Curie", "comédiens")],
    ),
    (
        "11h00 Table ronde animée par Jean Dupont, journaliste, avec la participation de Marie Curie",
        "Table ronde animée",
        [("Jean Dupont", "journaliste"), ("Marie Curie", None)],
    ),
    (
        "11h10 Mot d'accueil de la présidente, Anne Le Gall",
        "Mot d'accueil de la présidente, Anne Le Gall",
        [("Anne Le Gall", "présidente")],
    ),
    (
        "11h30 Intervention de Jean Dupont, élu à la culture, et de Marie Curie",
        "Intervention de Jean Dupont et de Marie Curie",
        [("Jean Dupont", "élu à la culture"), ("Marie Curie", None)],
    ),
    ("11h35 Accueil des participants par l'équipe du TMNlab", "Accueil des participants par l'équipe du TMNlab", []),
    (
        "12h00 Présentation de la saison par Antoine de Saint-Exupéry",
        "Présentation de la saison",
        [("Antoine de Saint-Exupéry", None)],
    ),
    (
        (
            "- 00:59:50 : Restitution de l'atelier « Données » avec Dorothée Burillon, responsable Ressources et savoirs "
            "Artcena et Pierre Beffeyte, producteur Scène & Public."
        ),
        "Restitution de l'atelier « Données »",
        [
            ("Dorothée Burillon", "responsable Ressources et savoirs Artcena"),
            ("Pierre Beffeyte", "producteur Scène & Public"),
        ],
    ),
    (
        "- 12:10 : Débat avec Gwenaëlle Le Goff, Responsable Ressources et Savoirs Artcena",
        "Débat",
        [("Gwenaëlle Le Goff", "Responsable Ressources et Savoirs Artcena")],
    ),
    (
        "09:30 Ouverture par Carole Delga, Présidente de la Région Occitanie",
        "Ouverture",
        [("Carole Delga", "Présidente de la Région Occitanie")],
    ),
    (
        "09:45 Introduction par Pierre-Olivier Dupuis, Directeur Régional des Affaires Culturelles",
        "Introduction",
        [("Pierre-Olivier Dupuis", "Directeur Régional des Affaires Culturelles")],
    ),
    (
        (
            "10:45 Table ronde 1 : « Les publics » avec Emmanuelle Bouchez (Télérama), Jean-François Marguerin, ancien "
            "directeur du CNAC, et Gisèle Vienne, chorégraphe et metteuse en scène"
        ),
        "Table ronde 1 : « Les publics »",
        [
            ("Emmanuelle Bouchez", "Télérama"),
            ("Jean-François Marguerin", "ancien directeur du CNAC"),
            ("Gisèle Vienne", "chorégraphe et metteuse en scène"),
        ],
    ),
    (
        "11:30 Présentation du rapport par Mmes Sylvie Robert et Catherine Morin-Desailly, sénatrices",
        "Présentation du rapport",
        [("Sylvie Robert", "sénatrices"), ("Catherine Morin-Desailly", "sénatrices")],
    ),
    (
        (
            "15:00 Regards d'artistes : Kader Attou, chorégraphe ; Rokia Traoré, chanteuse ; Wajdi Mouawad, auteur et "
            "metteur en scène"
        ),
        "Regards d'artistes",
        [
            ("Kader Attou", "chorégraphe"),
            ("Rokia Traoré", "chanteuse"),
            ("Wajdi Mouawad", "auteur et metteur en scène", "?"),
        ],
    ),
    ("16:30 Clôture par Mme la Ministre Rima Abdul Malak", "Clôture", [("Rima Abdul Malak", "Ministre", "?")]),
    (
        "16:10 Lecture de textes par les élèves du lycée Jean Moulin",
        "Lecture de textes par les élèves du lycée Jean Moulin",
        [],
    ),
    (
        "16:30 Interview de Christiane Taubira par Léa Salamé",
        "Interview de Christiane Taubira par Léa Salamé",
        [("Christiane Taubira", None), ("Léa Salamé", None)],
    ),
    (
        "16:40 Discussion avec Jean-Michel Jarre (musicien) et Laurent Garnier (DJ, producteur)",
        "Discussion",
        [("Jean-Michel Jarre", "musicien"), ("Laurent Garnier", "DJ, producteur")],
    ),
    (
        "16:50 Échange entre Boris Cyrulnik, neuropsychiatre, et Edgar Morin, sociologue",
        "Échange",
        [("Boris Cyrulnik", "neuropsychiatre"), ("Edgar Morin", "sociologue")],
    ),
    (
        "17:00 Présentation : Anne Hidalgo, Maire de Paris, & Valérie Pécresse, Présidente de la Région Île-de-France",
        "Présentation",
        [("Anne Hidalgo", "Maire de Paris"), ("Valérie Pécresse", "Présidente de la Région Île-de-France")],
    ),
    (
        "17:30 Visite guidée avec la conservatrice en chef, Mme Sophie Dumas",
        "Visite guidée",
        [("Sophie Dumas", "conservatrice en chef")],
    ),
    ("10:40 Projection avec Médecins Sans Frontières", "Projection avec Médecins Sans Frontières", []),
    (
        "11:50 Table ronde avec Simon Bernard, Anne Martin et les membres du réseau",
        "Table ronde",
        [("Simon Bernard", None), ("Anne Martin", None)],
    ),
    (
        "12:30 Atelier animé par l'équipe pédagogique : Lucie Martin et Hugo Petit",
        "Atelier animé par l'équipe pédagogique",
        [("Lucie Martin", None), ("Hugo Petit", None)],
    ),
    ("12:40 Ouverture par M. le Maire, Pierre Hurmic", "Ouverture", [("Pierre Hurmic", "Maire")]),
    (
        "13:40 Allocution de Monsieur Jean Castex, Premier ministre",
        "Allocution de Monsieur Jean Castex",
        [("Jean Castex", "Premier ministre")],
    ),
    (
        "13:50 Présentation par Laure de La Raudière, présidente de l'Arcep",
        "Présentation",
        [("Laure de La Raudière", "présidente de l'Arcep")],
    ),
    (
        "14:10 Atelier avec Maïwenn Le Borgne (Brest) et Goulven Kerhervé (Quimper)",
        "Atelier",
        [("Maïwenn Le Borgne", "Brest"), ("Goulven Kerhervé", "Quimper")],
    ),
    (
        (
            "14h – « Le numérique au service des publics » – Intervenants : Marc Dupré (Ville de Nantes), Élise Caron "
            "(Musée d'Arts)"
        ),
        "« Le numérique au service des publics »",
        [("Marc Dupré", "Ville de Nantes"), ("Élise Caron", "Musée d'Arts")],
    ),
    (
        (
            "09:00 Ouverture : M. Karim Benali, adjoint au maire délégué à la culture, Mme Sandrine Roux, conseillère "
            "régionale"
        ),
        "Ouverture",
        [("Karim Benali", "adjoint au maire délégué à la culture"), ("Sandrine Roux", "conseillère régionale")],
    ),
    (
        "10:00 Présentation de l'étude « Publics et numérique » (Laurent Petit, CNRS)",
        "Présentation de l'étude « Publics et numérique »",
        [("Laurent Petit", "CNRS")],
    ),
    (
        "11:30 – Regards croisés. Avec : Hélène Dupin (Sorbonne), Tarik Saïdi (ENS)",
        "Regards croisés",
        [("Hélène Dupin", "Sorbonne"), ("Tarik Saïdi", "ENS")],
    ),
    (
        "13:30 Atelier pratique (animé par Sophie Durand, médiatrice)",
        "Atelier pratique",
        [("Sophie Durand", "médiatrice")],
    ),
    (
        "14:00 Projection + débat en présence du réalisateur Jacques Audiard",
        "Projection + débat",
        [("Jacques Audiard", "réalisateur")],
    ),
    ("15:00 Démonstration par l'artiste Miguel Chevalier", "Démonstration", [("Miguel Chevalier", "artiste")]),
    (
        "16:30 Table ronde : quelle place pour les artistes ? Avec Anne Martin (metteuse en scène) et Julien Gosselin",
        "Table ronde : quelle place pour les artistes ?",
        [("Anne Martin", "metteuse en scène"), ("Julien Gosselin", None)],
    ),
    ("17:00 Clôture – M. le Président de la Métropole", "Clôture – M. le Président de la Métropole", []),
    ("11:05 Présentation par Mme DUPONT, directrice", "Présentation", [("Mme DUPONT", "directrice")]),
    ("12:05 Atelier avec les Petits Débrouillards", "Atelier avec les Petits Débrouillards", []),
    (
        "13:05 Échange avec Mme Dominique Bourg-Broc et M. Pierre-Henri Dumont, députés",
        "Échange",
        [("Dominique Bourg-Broc", "députés"), ("Pierre-Henri Dumont", "députés")],
    ),
    (
        "15:05 Débat animé par Xavier de La Porte (France Culture)",
        "Débat animé",
        [("Xavier de La Porte", "France Culture")],
    ),
    # -- English --
    (
        "12:00 Keynote — “The Open Museum” — Dr. Lena Fischer, Curator of Digital Collections, Rijksmuseum",
        "Keynote — “The Open Museum”",
        [("Lena Fischer", "Curator of Digital Collections, Rijksmuseum")],
    ),
    (
        "16:00 Conversation between Margaret Atwood and Neil Gaiman, moderated by Kirsty Wark (BBC)",
        "Conversation",
        [("Margaret Atwood", None), ("Neil Gaiman", None), ("Kirsty Wark", "BBC", "?")],
    ),
    ("09:05 – Opening: Prof. Dr. Anna Schmidt (TU Berlin)", "Opening", [("Anna Schmidt", "TU Berlin")]),
    (
        "10:05 Talk by Ngozi Okonjo-Iweala, Director-General, WTO",
        "Talk",
        [("Ngozi Okonjo-Iweala", "Director-General, WTO")],
    ),
    (
        "16:05 With Dr Ruth Okoye and Prof Yusuf Adeyemi",
        "With Dr Ruth Okoye and Prof Yusuf Adeyemi",
        [("Ruth Okoye", None), ("Yusuf Adeyemi", None)],
    ),
    (
        "09:30 Welcome and introductions – Dr. Sarah Johnson, Director, Centre for Digital Humanities",
        "Welcome and introductions",
        [("Sarah Johnson", "Director, Centre for Digital Humanities")],
    ),
    (
        (
            "11:00 Panel 1: Collections as Data. Chair: Dr Mia Ridge (British Library). Speakers: Thomas Padilla, Sarah Ames "
            "and Daniel van Strien"
        ),
        "Panel 1: Collections as Data",
        [("Mia Ridge", "British Library"), ("Thomas Padilla", None), ("Sarah Ames", None), ("Daniel van Strien", None)],
    ),
    (
        "13:30 Lightning talks with Amy Chen (Stanford Libraries), Ben Jones (Wellcome Collection) & Priya Patel (Tate)",
        "Lightning talks",
        [("Amy Chen", "Stanford Libraries"), ("Ben Jones", "Wellcome Collection"), ("Priya Patel", "Tate")],
    ),
    (
        "15:00 Closing remarks by Jane Doe, Vice President for Research, and John Roe, Dean of Arts",
        "Closing remarks",
        [("Jane Doe", "Vice President for Research"), ("John Roe", "Dean of Arts")],
    ),
    (
        "15:30 Drinks reception hosted by the Vice-Chancellor, Professor Dame Ottoline Leyser",
        "Drinks reception hosted",
        [("Ottoline Leyser", "Vice-Chancellor, Professor")],
    ),
    (
        "17:10 Talk by Ada Lovelace Jr, Senior Engineer, and Grace Hopper, Rear Admiral, US Navy",
        "Talk",
        [("Ada Lovelace Jr", "Senior Engineer"), ("Grace Hopper", "Rear Admiral, US Navy")],
    ),
    (
        (
            "17:20 Session chaired by Dr. Hans-Peter Müller (Max Planck Institute) with Ingrid Sørensen and "
            "Luis García-López"
        ),
        "Session chaired",
        [("Hans-Peter Müller", "Max Planck Institute"), ("Ingrid Sørensen", None), ("Luis García-López", None)],
    ),
    (
        "12:00 Session with Ms. Zhang Wei, CTO, Alibaba Cloud, and Mr. Kenji Tanaka, Sony",
        "Session",
        [("Zhang Wei", "CTO, Alibaba Cloud"), ("Kenji Tanaka", "Sony")],
    ),
    ("12:50 Keynote by Jane Smith PhD", "Keynote", [("Jane Smith", "PhD")]),
    (
        "13:00 Introduction by Mark Thompson, CEO, The New York Times Company",
        "Introduction",
        [("Mark Thompson", "CEO, The New York Times Company")],
    ),
    (
        "13:10 Q&A moderated by Anne-Marie Slaughter, President and CEO of New America",
        "Q&A moderated",
        [("Anne-Marie Slaughter", "President and CEO of New America")],
    ),
    ("10:20 Workshop by Mozilla Foundation", "Workshop by Mozilla Foundation", []),
    ("10:30 Talk with Amnesty International", "Talk with Amnesty International", []),
    (
        "18:00 Panel with Alice Martin, Marketing Expert and Brenda Stone, Industrial Designer",
        "Panel",
        [("Alice Martin", "Marketing Expert"), ("Brenda Stone", "Industrial Designer")],
    ),
    (
        "00:12:00 Presentation by Alice Martin, Marketing Expert et Brenda Stone, Industrial Designer",
        "Presentation",
        [("Alice Martin", "Marketing Expert"), ("Brenda Stone", "Industrial Designer")],
    ),
    (
        "18:20 Opening remarks from Mayor Jane Castor",
        "Opening remarks from Mayor Jane Castor",
        [("Jane Castor", "Mayor")],
    ),
    (
        "18:30 Keynote: Prof. Mary Beard, University of Cambridge",
        "Keynote",
        [("Mary Beard", "University of Cambridge")],
    ),
    (
        "18:40 Fireside chat with Satya Nadella (Microsoft) & Kara Swisher",
        "Fireside chat",
        [("Satya Nadella", "Microsoft"), ("Kara Swisher", None)],
    ),
    (
        (
            "18:50 Panel discussion moderated by Emily Chang, Bloomberg, with Reid Hoffman, co-founder of LinkedIn, and "
            "Fei-Fei Li, Professor of Computer Science, Stanford University"
        ),
        "Panel discussion moderated",
        [
            ("Emily Chang", "Bloomberg"),
            ("Reid Hoffman", "co-founder of LinkedIn"),
            ("Fei-Fei Li", "Professor of Computer Science, Stanford University", "?"),
        ],
    ),
    ("19:00 Workshop led by J. R. Smith and K. Lee", "Workshop led", [("J. R. Smith", None), ("K. Lee", None)]),
    (
        "19:10 Talk by Mr John O'Brien, Head of Digital, BBC Scotland",
        "Talk",
        [("John O'Brien", "Head of Digital, BBC Scotland")],
    ),
    (
        "19:20 Case study – Sarah McAllister, Senior Product Manager at Spotify",
        "Case study",
        [("Sarah McAllister", "Senior Product Manager at Spotify")],
    ),
    (
        "19:30 Closing address by the Minister for Culture, Lucy Frazer",
        "Closing address",
        [("Lucy Frazer", "Minister for Culture")],
    ),
    (
        "19:40 In conversation: Marieke van der Berg (Rijksmuseum) and Leonardo da Silva (MASP)",
        "In conversation",
        [("Marieke van der Berg", "Rijksmuseum"), ("Leonardo da Silva", "MASP")],
    ),
    ("19:50 Q&A with Mrs Helen Mirren and Ms Olivia Colman", "Q&A", [("Helen Mirren", None), ("Olivia Colman", None)]),
    (
        "20:00 Demo by Tomasz Kowalski - Lead Developer, Mozilla",
        "Demo",
        [("Tomasz Kowalski", "Lead Developer, Mozilla")],
    ),
    ("20:10 Award ceremony hosted by Professor Brian Cox", "Award ceremony hosted", [("Brian Cox", "Professor")]),
    (
        "21:50 Panel: Kate Crawford, Timnit Gebru & Meredith Whittaker",
        "Panel",
        [("Kate Crawford", None), ("Timnit Gebru", None, "?"), ("Meredith Whittaker", None)],
    ),
    ("22:00 Meet-up with Jane Smith, Acme Widgets", "Meet-up", [("Jane Smith", "Acme Widgets")]),
    (
        "22:10 Wrap-up by Lee Chang-dong & Park Chan-wook",
        "Wrap-up",
        [("Lee Chang-dong", None), ("Park Chan-wook", None)],
    ),
    (
        "10h35 Keynote by Sir Tim Berners-Lee, inventor of the World Wide Web",
        "Keynote",
        [("Tim Berners-Lee", "inventor of the World Wide Web")],
    ),
    (
        "10h40 Conversation with Jane Goodall, DBE, UN Messenger of Peace",
        "Conversation",
        [("Jane Goodall", "DBE, UN Messenger of Peace")],
    ),
    (
        "11h20 Welcome from the President, Dr. Jane Smith",
        "Welcome from the President, Dr. Jane Smith",
        [("Jane Smith", "President")],
    ),
    (
        "11h45 Speech by John F. Kennedy and Martin Luther King Jr.",
        "Speech",
        [("John F. Kennedy", None), ("Martin Luther King Jr.", None)],
    ),
    ("11h50 Jane Smith (MIT): The future of AI", "The future of AI", [("Jane Smith", "MIT")]),
    ("11h40 Powered by Open Source", "Powered by Open Source", []),
    ("13:00 Lunch break", "Lunch break", []),
    (
        "13:30 Roundtable with Chief Executive Officer Nadia Haddad and Chief Technology Officer Tom Baker",
        "Roundtable",
        [("Nadia Haddad", "Chief Executive Officer"), ("Tom Baker", "Chief Technology Officer")],
    ),
]


def _item(line: str) -> AgendaItem:
    return agenda.parse_text(f"- 00:00:00 : Début\n{line}\n").items[-1]


@pytest.mark.parametrize(("line", "title", "people"), CASES, ids=[c[0][:50] for c in CASES])
def test_names_and_roles(line: str, title: str, people: list[tuple]) -> None:
    item = _item(line)
    assert item.title == title
    assert [(p.name, p.role) for p in item.speakers] == [(p[0], p[1]) for p in people]
    assert [p.name for p in item.speakers if p.uncertain] == [p[0] for p in people if p[2:] == ("?",)]


def test_the_table_is_large_and_bilingual() -> None:
    assert len(CASES) >= 40
    assert sum("avec" in c[0] or " par " in c[0] or " de " in c[0] for c in CASES) >= 20
    assert sum(" by " in c[0] or " with " in c[0] for c in CASES) >= 12


def test_a_role_is_never_a_name() -> None:
    for line, _, _ in CASES:
        for person in _item(line).speakers:
            assert not any(is_role_word(w) for w in person.name.split()), (line, person)


# Generated lines: every shape with names and roles the table above does not hold.
GIVEN = ["Camille", "Hélène", "Jean-Marc", "Anne-Sophie", "Éloïse", "Thomas", "Nadia", "Olivier", "Grace", "Oumar"]
FAMILY = ["Dupont", "Le Gall", "de Villiers", "van Dijk", "d'Ormesson", "N'Diaye", "MARTIN", "O'Connor", "Okafor"]
ROLES = [
    "Marketing Expert",
    "Industrial Designer",
    "Head of Partnerships",
    "Chief Operating Officer",
    "Project Manager",
    "directrice de la communication",
    "chargée de mission Numérique",
    "Responsable des Publics",
    "Senior Research Fellow, Oxford Internet Institute",
    "coordinatrice du réseau Culture & Territoires",
    "Fondateur du Studio Les Machines",
    "Vice-Président de la Région",
    "Data Scientist at Criteo",
]
JOINERS = [" et ", " and ", " & ", " ; ", ", et ", ", and "]


@pytest.mark.parametrize("seed", range(8))
def test_generated_shapes(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        people = [(f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}", rng.choice(ROLES)) for _ in range(rng.randint(1, 3))]
        shape = rng.choice(["{t}{n}, {r}", "{t}{n} ({r})", "{t}{n} – {r}", "{t}{n} - {r}"])
        titles = ["", "", "", "Mme ", "M. ", "Dr ", "Pr ", "Prof. ", "Mrs ", "Ms ", "Mr "]
        parts = [shape.format(t=rng.choice(titles), n=n, r=r) for n, r in people]
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(JOINERS) + part
        marker = rng.choice([" avec ", " par ", " with ", " by "])
        line = f"10:00 {rng.choice(['Table ronde', 'Panel', 'Atelier', 'Keynote'])}{marker}{text}"
        got = [(p.name, p.role) for p in _item(line).speakers]
        assert got == people, line


def test_speaker_lines_under_an_item() -> None:
    parsed = agenda.parse_text(
        "09:30 Table ronde « Culture et numérique »\n"
        "Avec Jean Dupont, maire de Lyon, et Marie Curie, chercheuse au CNRS\n"
        "10:30 Panel on open data\n"
        "Speakers: Jane Smith (ODI), Xochitl Brandt\n"
        "11:00 Atelier\n"
        "Modération : Léa Salamé\n"
        "12:00 Déjeuner\n"
    )
    assert [(i.title, [(p.name, p.role, p.uncertain) for p in i.speakers]) for i in parsed.items] == [
        (
            "Table ronde « Culture et numérique »",
            [("Jean Dupont", "maire de Lyon", False), ("Marie Curie", "chercheuse au CNRS", False)],
        ),
        ("Panel on open data", [("Jane Smith", "ODI", False), ("Xochitl Brandt", None, True)]),
        ("Atelier", [("Léa Salamé", None, False)]),
        ("Déjeuner", []),
    ]


def test_uncertain_round_trips_and_old_data_loads() -> None:
    person = AgendaSpeaker("Xochitl Brandt", "journaliste", uncertain=True)
    assert AgendaSpeaker.from_dict(person.to_dict()) == person
    assert AgendaSpeaker.from_dict({"name": "Anne Le Gall", "role": None}) == AgendaSpeaker("Anne Le Gall")
    assert Speaker.from_dict({"id": "S1", "name": "X", "source": "agenda"}).uncertain is False


def test_agenda_table_and_json_show_uncertain_names(tmp_path) -> None:
    path = tmp_path / "agenda.txt"
    path.write_text("00:00 Accueil par Xochitl Brandt, journaliste, et Anne Le Gall\n", encoding="utf-8")
    parsed = agenda.parse(path)
    console = Console(width=200, record=True)
    console.print(agenda.format_table(parsed))
    out = console.export_text()
    assert "Xochitl Brandt (?), journaliste" in out and "Anne Le Gall (?)" not in out
    assert "(?) not sure this is a person's name" in out
    speakers = parsed.to_dict()["items"][0]["speakers"]
    assert [(s["name"], s["uncertain"]) for s in speakers] == [("Xochitl Brandt", True), ("Anne Le Gall", False)]


def test_uncertain_agenda_names_are_never_enrolled(tmp_path) -> None:
    item = _item("10:00 Atelier avec Xochitl Brandt, autrice, et Anne Le Gall, Présidente du TMNlab")
    parsed = Agenda((item,))
    # S1 starts after the recording does, so order tells the two apart (a turn at 0.0 may be cut).
    turns = (Turn(5.0, 20.0, "S1"), Turn(20.5, 40.0, "S2"))
    dia = Diarization(turns=turns, engine="embedded/campplus", centroids={"S1": [1.0, 0.0], "S2": [0.0, 1.0]})
    chapters = (Chapter(1, item.title, 600.0, 0.0, 40.0, tuple(p.name for p in item.speakers)),)
    named, _ = name_speakers((), dia, chapters, parsed, language="fr")
    assert [(s.name, s.source, s.uncertain) for s in named] == [
        ("Xochitl Brandt", "agenda", True),
        ("Anne Le Gall", "agenda", False),
    ]
    library = VoiceLibrary(tmp_path / "voices.sqlite")
    assert enroll_from_session(library, named, dia, session="s") == ["Anne Le Gall"]
    assert [v.name for v in library.list()] == ["Anne Le Gall"]
