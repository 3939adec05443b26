"""Ordinary French and English words, lowercase without accents: a name is never matched, nor
a misspelling rewritten, on one of these ("pierre", "rose", "claire", "legal", "petit").

Not a full dictionary: the most frequent words of both languages, plus the words that are
also first names or surnames, which is where a false match would come from.
"""

from __future__ import annotations

_FRENCH = """
a ai aie aient ais ait alors apres as au aucun aucune aujourd aupres aussi autant autre autres aux avaient
avais avait avant avec avez aviez avions avoir avons ayant bah beaucoup bien bientot bon bonne bref ca car
ce ceci cela celle celles celui cent cependant certain certaine certaines certains ces cet cette ceux chacun
chacune chaque chez ci cinq comme comment contre d dans de deja depuis des desormais dessous dessus deux
devant devait devez devoir devons dire dit dite dites divers doit doivent donc dont dos douze du duquel
durant elle elles en encore enfin ensemble ensuite entre envers es est et etaient etais etait etant ete
etes etiez etions etre eu eue eux fait faire fais faisons faites faut fin fois font fut grand grande
grandes grands gros haut hier hors huit ici il ils j jamais je jusqu jusque l la laquelle le lequel les
lesquelles lesquels leur leurs lors lorsque lui m ma mais mal malgre me meme memes merci mes mien mienne
mieux moi moins mon n ne neuf ni non nos notre nous nouveau nouveaux nouvelle nouvelles o on ont onze ou
oui outre par parce parfois parmi pas peu peut peuvent peux pendant petit petite petites petits peut plus
plupart plusieurs plutot pour pourquoi pourra pourrait pouvons premier premiere pres presque puis puisque
qu quand quant quarante quatre que quel quelle quelles quelque quelques quels qui quoi rien s sa sans se
selon sept ses seul seule seulement si sien sienne sinon six soi soit son sont sous souvent suis suite sur
surtout t ta tant tard te tel telle tellement telles tels tes toi ton toujours tous tout toute toutes
tres trois trop tu un une unes uns vers via voici voila vos votre vous vu y
accord action activite activites affaire age aide aller ami amie amis an annee annees ans argent art
article atelier ateliers attention avenir avis besoin blanc blanche bleu bois bonjour bonsoir bout cadre
cas cause centre chambre champ chance change chef chemin choix chose choses ciel classe coeur coin
collectif commune compte conseil corps cote coup cour cours cout culture debut decor demain demande
dernier derniere direction discours donnee donnees droit eau ecole economie effet egalement emploi
energie enfant enfants equipe equipes espace esprit etat ete etude exemple experience face facon famille
femme femmes fete feu fille fils fleur fond force forme france francais francaise frere gars gens genre
gout groupe guerre histoire homme hommes heure heures idee idees image jardin jeu jeune jeunes joie jour
journee jours juste lac langue lettre lieu lieux ligne livre loi long longue lumiere madame main maison
maitre mani manque marche matin matinee mer mere merite mesure metier metiers milieu mise mode moment
monde monsieur mort mot mots moyen moyens musique nation nature nom nombre nuit objet oeuvre ordre page
pain paix papier parc parole part partie pays peine pensee pere personne personnes petit peuple photo
piece pierre place plaisir plan point porte possible poste pratique premier prix probleme programme
projet projets public publics question questions raison recherche region regard reseau reseaux reste
retour riche robe role rose route rue saison salle sante scene sens service services siecle soir
soiree sol son sort sujet systeme table temps terre tete texte theatre titre travail travaux type ville
vie visite voix vue
aime aimer ajouter appeler apprendre arriver attendre avancer chercher commencer comprendre connaitre
continuer creer croire demander devenir dois donner ecouter entendre entrer faut finir garder laisser
lire mettre montrer parler partager partir passer penser perdre permettre porter poser pouvoir prendre
presenter proposer quitter recevoir regarder remercier rendre rester revenir savoir sembler sentir servir
sortir souhaiter suivre tenir tomber tourner travailler trouver utiliser venir vivre voir vouloir
allons avons devons pouvons savons voulons venons faisons disons prenons
accueil clair claire doux douce fort forte franc franche gai gentil gentille heureux legal legale libre
noir noire nouveau plein pleine prochain prochaine propre pur pure rapide rare seul simple vert verte
vif vive vrai vraie vraiment
aurore olive prudence constance victoire violette marine capucine clementine blanche reine noel ange
loup roi prince baron lion brun
introduction restitution presentation conclusion conclusions perspective perspectives echanges participants
methode seance table ronde intervention interventions discussion reponses bilan synthese ouverture cloture pause
dejeuner cafe debat
"""

_ENGLISH = """
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
nor not now of off on once only or other our ours out over own same she should so some such than that the
their them then there these they this those through to too under until up very was we were what when
where which while who whom why will with would you your yours yourself
art bill grace hope joy june may rose will faith frank mark pat ray rich summer dawn april august eve
glen jack lane park read rob sandy
thank thanks welcome hello good morning afternoon evening today next now please let us great
"""

COMMON_WORDS = frozenset(_FRENCH.split()) | frozenset(_ENGLISH.split())
