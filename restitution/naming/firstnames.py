"""A small table of French and English first names, by the gender they are most often given to.

Used only as a soft cue (a voice's pitch against a name), never to decide alone. Names given
to women and men alike (Camille, Dominique, Claude, Alex...) are left out on purpose: they
say nothing. Keys are lowercase without accents; compound names go by their first part
("Jean-Marc", "Marie-Laure"), which is how French compounds are gendered in practice.
"""

from __future__ import annotations

import unicodedata

_FEMALE = """
adele adeline agathe agnes aicha alexandra alice aline alix amandine amelie anais anastasia angela angele
angelique anna anne annabelle annette annick annie antoinette ariane arlette armelle audrey aurelie aurore
axelle barbara beatrice benedicte bernadette berengere blandine brigitte capucine carine carole caroline
cassandra catherine cecile celine chantal charlene charlotte chloe christelle christiane christine claire
clara clarisse claudine clemence clementine coline colette constance coralie corinne cynthia daniele
danielle delphine denise diane dorothee edith eleonore elisa elisabeth elise eliane elodie eloise elsa
emilie emma emmanuelle estelle esther eugenie eva eve evelyne fabienne fanny fatima fatou flora florence
francine francoise frederique gabrielle genevieve georgette geraldine ghislaine gisele helene heloise
henriette ines irene isabelle jacqueline jeanne jeannine jessica joelle josephine josiane judith julia
julie juliette justine karine katia laetitia laura laure laurence lea leila leonie liliane lina lisa
louise lucie lucienne ludivine lydie madeleine maelle magali maite manon margaux margot marguerite maria
marianne marie marielle marine marion marjorie marthe martine maryse mathilde maud maureen melanie
melissa michele micheline mireille monique morgane muriel myriam nadege nadia nadine nathalie nelly nicole
noemie oceane odette odile olivia ophelie pascale patricia paulette pauline perrine priscilla rachel
raphaelle rebecca regine renee rose roselyne sabine sabrina salome samia sandra sandrine sarah segolene
severine simone solange solene sonia sophie stephanie suzanne sylvie tatiana therese valentine valerie
vanessa veronique victoire victoria violaine virginie viviane yasmina yolande yvette yvonne zoe
amanda amy ashley betty bridget carol cheryl cindy deborah donna doris dorothy elaine elizabeth ellen
emily gloria grace hannah heather helen janet jennifer jenny jessie joan joyce karen kate katherine
kathleen kelly kimberly laurie linda lisa lucy margaret mary megan melissa molly nancy olivia pamela
patricia peggy rebecca ruth sally samantha sharon shirley stephanie susan teresa tiffany wendy
"""

_MALE = """
adam adrien alain alban albert alexandre alexis alfred alphonse amaury andre antoine antonin armand
arnaud arthur aurelien baptiste barthelemy basile bastien benjamin benoit bernard bertrand bruno cedric
charles christian christophe clement corentin cyril cyrille damien daniel david denis didier dimitri
edouard emile emilien emmanuel eric erwan etienne eugene fabien fabrice felix fernand florent florian
francis franck francois frederic gabriel gaetan gaston gauthier geoffrey georges gerald gerard germain
gilbert gilles gregoire gregory guillaume gustave guy henri herve hubert hugo hugues jacques jean jeremie
jeremy jerome joel jonathan joseph julien justin karim kevin laurent leo leon leonard lionel loic louis
luc lucas lucien ludovic marc marcel mathieu mathias matthieu maurice mehdi michel mickael mohamed
nathan nicolas noel norbert olivier pascal patrice patrick paul philippe pierre quentin raphael raymond
remi renaud rene richard robert rodolphe roger roland romain romuald sebastien serge simon stephane
sylvain theo theophile thibault thibaut thierry thomas tristan valentin victor vincent xavier yann yannick
yohan yves
aaron andrew anthony brian carl chris christopher colin craig dennis donald douglas edward frank gary
george harold harry henry jack james jason jeffrey john joshua keith kenneth kevin larry mark matthew
michael neil peter ralph raymond robert roger ronald ryan scott stephen steven terry timothy walter
william
"""

FIRST_NAMES: dict[str, str] = {**{n: "m" for n in _MALE.split()}, **{n: "f" for n in _FEMALE.split()}}


def _key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("-", " ").split()[0] if text.split() else ""


def gender(first_name: str) -> str | None:
    """ "f" or "m" for a first name the table knows (compounds by their first part), else None."""
    return FIRST_NAMES.get(_key(first_name))
