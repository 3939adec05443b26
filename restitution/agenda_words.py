"""Word tables for reading people out of agenda lines, in French and English. Every key is folded
(`first_names.fold`: lowercase, no accents).

A word of ROLES, ORGANISATIONS or FIELDS never belongs to a person's name, however it is
capitalised: "Marketing Expert", "Fondateur du Bureau des Possibles", "Ville de Lyon" are roles.
Words that are also common surnames (Mayor, Dean, Prévost, Maire...) are left out of BLOCKING, so
"Federico Mayor" stays a name, but stay in ROLES so that "Mayor Jane Smith" reads as a role first.
"""

from __future__ import annotations


def _table(text: str) -> frozenset[str]:
    return frozenset(text.split())


# What a person is or does: the head of a role ("directrice de ...", "Chief Scientist").
ROLES = _table("""
president presidente vice-president vice-presidente pdg dg ceo cto coo cfo cmo cpo cso cdo cio
directeur directrice direction fondateur fondatrice cofondateur cofondatrice chef cheffe charge chargee
responsable maire adjoint adjointe ministre depute deputee senateur senatrice conseiller conseillere delegue
deleguee professeur professeure enseignant enseignante chercheur chercheuse doctorant doctorante coordinateur
coordinatrice coordonnateur coordonnatrice secretaire tresorier tresoriere administrateur administratrice
animateur animatrice moderateur moderatrice rapporteur rapporteure rapporteuse intervenant intervenante expert
experte consultant consultante ingenieur ingenieure architecte designer artiste auteur autrice auteure ecrivain
ecrivaine poete poetesse metteur metteuse comedien comedienne acteur actrice musicien musicienne compositeur
compositrice choregraphe danseur danseuse plasticien plasticienne photographe realisateur realisatrice producteur
productrice journaliste redacteur redactrice editeur editrice commissaire conservateur conservatrice curateur
curatrice mediateur mediatrice elu elue prefet prefete recteur rectrice doyen doyenne avocat avocate medecin
docteur docteure juge notaire gerant gerante associe associee membre porte-parole attache attachee stagiaire
etudiant etudiante benevole militant militante codirecteur codirectrice programmateur programmatrice regisseur
regisseuse scenographe dramaturge historien historienne sociologue philosophe economiste urbaniste paysagiste
geographe anthropologue psychologue juriste entrepreneur entrepreneure entrepreneuse dirigeant dirigeante
cadre agent agente assistant assistante technicien technicienne operateur operatrice ambassadeur ambassadrice
representant representante inspecteur inspectrice proviseur chanteur chanteuse interprete traducteur traductrice
illustrateur illustratrice dessinateur dessinatrice graphiste developpeur developpeuse createur creatrice
gestionnaire analyste referent referente pilote chroniqueur chroniqueuse reporter cineaste videaste scenariste
biologiste physicien physicienne chimiste mathematicien mathematicienne informaticien informaticienne linguiste
archeologue archiviste bibliothecaire documentaliste libraire galeriste mecene conteur conteuse maitre maitresse
collaborateur collaboratrice partenaire
chair chairman chairwoman chairperson founder cofounder head lead leader manager officer executive chief
secretary treasurer minister mayor deputy councillor councilor councilwoman councilman senator congressman
congresswoman representative governor ambassador professor lecturer researcher scientist fellow student postdoc
engineer developer architect artist author writer poet journalist editor producer curator expert advisor
adviser analyst specialist strategist coordinator administrator organizer organiser moderator facilitator host
presenter partner associate principal owner entrepreneur investor coach trainer teacher librarian archivist
historian economist sociologist psychologist lawyer attorney physician nurse surgeon technician assistant intern
member volunteer activist advocate commissioner superintendent provost rector chancellor vp svp evp md dj
musician composer choreographer dancer actor actress filmmaker photographer illustrator planner broker marketer
programmer scholar commentator correspondent anchor broadcaster blogger podcaster creator storyteller performer
singer songwriter playwright novelist translator interpreter conductor evangelist trustee delegate envoy
spokesperson spokesman spokeswoman registrar practitioner consultant officer dean judge steward marshal
admiral colonel captain capitaine commandant lieutenant sergent sergeant rabbi imam pastor pasteur reverend
cardinal abbe phd mba msc dphil esq cuisinier cuisiniere chef-cuisinier sommelier sommeliere
""")

# Where a person works: organisations and their kinds.
ORGANISATIONS = _table("""
ministere universite ecole lycee college institut departement service bureau mairie ville region metropole
commune communaute agglomeration conseil centre theatre musee agence association collectif reseau fondation
compagnie cie societe groupe laboratoire labo lab labs federation syndicat union chambre office observatoire
orchestre opera scene festival mediatheque bibliotheque archives cinematheque maison atelier studio cabinet
entreprise banque caisse mutuelle hopital chu clinique prefecture assemblee senat gouvernement republique
commission comite cite pole cluster incubateur fabrique campus cooperative scop editions presse radio
television journal magazine academie conservatoire ensemble programme projet initiative plateforme alliance
coalition forum club cercle tiers-lieu ministry university school institute department agency foundation
council center museum theater company society group laboratory network federation office orchestra library
gallery galerie bank hospital clinic city county government commission committee board studios corp corporation
inc ltd llc gmbh plc industries solutions systems technologies ventures capital holdings partners consulting
media trust fund press academy conservatory program project platform collective association
""")

# Fields a role names ("Marketing Expert", "chargée de mission Numérique", "Head of Data").
FIELDS = _table("""
marketing communication communications sales ventes operations research recherche development developpement
innovation strategy strategie policy politique politiques digital numerique culture culturel culturelle cultural
product produit data donnees sustainability durable partnerships partenariats engagement education learning
heritage patrimoine ressources resources humaines human relations affaires affairs publics medias mecenat
programmation production diffusion administration finance finances technique technical juridique legal
scientifique scientific artistique artistic general generale executif managing senior junior interim regional
national nationale international internationale global europeen europeenne european mission missions projets
ux ui rh hr design industrial industriel industrielle creative creatif creative contenus content social sociale
solidaire environnement environmental climate climat energie energy transition territoire territorial
territoriale urbain urbaine rural sante health jeunesse youth sport sports tourisme tourism economie economy
economic economique emploi employment formation training insertion inclusion diversite diversity egalite equality
citoyen citoyenne citizen communautaire accessibility accessibilite information informatique software logiciel
hardware security securite cyber intelligence artificielle artificial web mobile cloud prospective evaluation
etudes studies analytics insights growth client customer customers experience success support services
qualite quality compliance conformite risk risques audit accounting comptabilite investment investissement
business commercial commerciale export achats procurement logistics logistique transport mobilite mobility
habitat logement housing planning planification amenagement construction infrastructure ecologie ecology
biodiversite source rear visual visuel visuelle graphic graphique sound sonore interactive interactif immersive immersif
""")

BLOCKING = (ROLES | ORGANISATIONS | FIELDS) - {
    "mayor",
    "dean",
    "judge",
    "steward",
    "marshal",
    "provost",
    "maire",
    "chancellor",
    "head",
}

# Honorifics before a name; dropped from it when a given name follows ("Mme Anne Le Gall" is Anne Le Gall).
TITLES = _table("""
mme mmes mlle mlles melle m mm mr mrs ms mx dr drs pr prof sir dame madame monsieur messieurs mesdames
""")

# Lowercase words allowed between the parts of a name: "Jean de La Fontaine", "Vincent van Gogh".
PARTICLES = _table("de du des d' van von der den da di dos das do del della dei la le y bin ibn al el ter ten zu")

# Capitalised words that start phrases, never names.
STARTERS = _table("""
le la les l' un une des du au aux the a an our notre nos votre vos leur leurs ce cette ces mon ma mes son sa ses
et and ou or avec with par by pour for sur on en in de of lundi mardi mercredi jeudi vendredi samedi dimanche
monday tuesday wednesday thursday friday saturday sunday janvier fevrier mars avril mai juin juillet aout
septembre octobre novembre decembre january february march april june july august september october november
december sans without table session atelier workshop panel keynote pause break dejeuner lunch questions q&a echanges
""")

# Words a role may hold that a name never does, besides the tables above.
FUNCTION = _table("de du des d' l' la le les of the for at to in on en au aux a pour chez sur et and")

# Items whose title names a speech take "de"/"from" before their speakers: "Intervention de Jean Dupont".
SPEECHES = _table("""
intervention interventions mot mots discours allocution conference presentation keynote talk remarks address
lecture temoignage temoignages expose introduction ouverture cloture conclusion conclusions synthese propos regard
regards parole entretien interview message accueil bienvenue welcome opening closing speech greetings
masterclass lecon recit demonstration performance concert lecture-performance
""")

# Abbreviations whose final dot belongs to them, not to the sentence.
ABBREVIATIONS = _table("inc ltd co corp jr sr st cie bros etc univ dept assoc")
