"""Common given names, a soft cue for agenda parsing: "Brenda Stone" is a person, "Marketing Expert" is not.

Folded (lowercase, accents removed): look names up with `is_first_name`. The table is a cue, never a
gate: a name it lacks is still read as a name where its position says so, only marked uncertain.
Compound names ("Jean-Marc", "Anne-Sophie") are known when one of their parts is.
"""

from __future__ import annotations

import unicodedata

_NAMES = """
aaron abdel ada abdelkader abdellah abdou abdoulaye abel abigail achille adam adama adel adele adeline adil adolphe
adrian adriana adrien agathe aglae agnes ahmed aicha aida aime aimee alain alan alban albane albert alberto albin
alda aldo alec alejandra alejandro alessandra alessandro alex alexander alexandra alexandre alexandrine alexia alexis
alfred alfredo ali alia alice alicia alida aline alison alix allan allison alma alois alphonse amadou amal amanda
amandine amaury amber ambre amel amelia amelie amina aminata amine amir amira amos amy ana anais anastasia anatole
andre andrea andreas andree andrew andy ange angel angela angele angelina angelique angelo angus anh ani anita anja
ann anna annabelle anne annick annie anouk anselme anthony antoine antoinette anton antonella antonia antonin
antonio apolline arabella archibald ariane arianna ariel arielle arlette armand armel armelle arnaud arnold arsene
arthur arturo asha ashley asma assia astrid audrey augustin auguste aurele aurelia aurelie aurelien aurore austin
ava axel axelle aya aylin ayoub aziz azra

babette baptiste barbara barnabe barry bart bartholomew basile bastien baudouin beatrice beatriz ben benedicte
benjamin benoit benoite berenice bernadette bernard bertrand beth bethany betty bianca bilal bill billy blaise
blanche bob bonnie boris boubacar brandon brenda brendan brian brice brigitte bruce bruno bryan

camille candice capucine carina carl carla carlo carlos carmen carol carole caroline carolyn cassandra catalina
catherine cecile cecilia cedric celeste celestin celia celine cesar chantal charlene charles charlie charline
charlotte chaya chen cheng chiara chloe chris christelle christian christiane christina christine christophe
christopher claire clara clarisse claude claudia claudine claudio clement clementine cleo clotilde colette colin
come connor constance constant coralie corentin corinne cornelia cristina cyprien cyril cyrille cynthia

dalia damien dan dana daniel daniela daniele danielle danny daphne dario darius david davide dawn deborah deepak
delphine denis denise derek desire diana diane didier diego dimitri dinah dmitri domenico dominique donald donna
dora doris dorian dorothee dorothy douglas dylan

eddie edgar edith edmond edouard eduardo edward edwige edwin eileen elena eleonore eli elias elie elif eliot
elisa elisabeth elise eliza elizabeth ella ellen elliot eloi eloise elodie elsa emeline emeric emile emilia emilie
emily emir emma emmanuel emmanuelle emna enora enrico enrique enzo eric erica erik erin ernest ernesto erwan esme
esteban estelle esther etienne eugene eugenie eva evan evangeline eve evelyne ezra

fabien fabienne fabio fabrice fanny farah farid fatima fatou fatoumata federica federico felicie felicite felix
fernand fernanda fernando fiona flavie flavien flora flore florence florent florian francesca francesco francine
francis francisco franck francois francoise frank frankie franz fred freddy frederic frederique frederick

gabriel gabriela gabrielle gael gaelle gaetan gaetane garance gareth gary gaspard gaston gauthier gautier gemma
genevieve geoffrey geoffroy georg george georges georgia georgina gerald geraldine gerard gerhard germain
germaine ghislain ghislaine gilbert gilles gina ginette giorgio giovanni gisele giulia giulio giuseppe gladys
glenn gloria godefroy gordon gottfried grace graham greg gregoire gregory guilhem guillaume guy gwen gwenael
gwenaelle gwendoline

habib hadrien hafsa hakim halima hamid hamza hana hannah hans harold harriet harry hassan hector heidi helen
helena helene heloise henri henriette henry herbert herve hicham hilary hind hippolyte hiroshi holly honore
hortense hubert hugh hugo hugues hussein

ian ibrahim ibrahima ida ignace igor ilan ilyes ilona ines ingrid irene iris isaac isabel isabella isabelle isaure
isidore ismael israel ivan ivana ivy

jack jackie jackson jacob jacqueline jacques jade jaime james jamal jan jane janet janine jasmine jason javier
jay jean jeanne jeannette jeannine jeff jeffrey jennifer jenny jeremie jeremy jerome jesse jessica jesus jill
jim jimmy jo joachim joan joanna joao jocelyn jocelyne jodie joe joel joelle johan johann johanna johannes john
johnny jon jonathan jordan jorge jose josee joseph josephine josh joshua josiane josue joy joyce juan juanita
jude judith judy jules julia julian juliana julie julien juliette julius june justin justine

kaden kamal kamel karen karim karima karin karine karl kate katherine kathleen kathryn katia katie katrin kay
keith kelly ken kenji kenneth kenza kevin khadija khaled khalid kim kimberly kurt kylian kyle

lamia lara larissa laura laure laurence laurent lea leah leandre leila lena leo leon leonard leonie leopold
leslie lila lilian liliane lilou lily lina linda lionel lisa lise lison liz lola lorenzo loic lola louis louisa
louise luc luca lucas lucia lucie lucien lucienne lucile lucille lucy ludivine ludovic luis luisa luke luna lydia
lydie lynn

madeleine madison mael maelle maeva magali magalie magdalena mahmoud maia maite malak malik malika manon manuel
manuela marc marcel marcelle marcello marco marcus margaret margaux margot marguerite maria mariam mariana marianne
marie marielle marina marine mario marion marius marjorie mark marlene marta marthe martha martial martin martina
martine mary maryam maryse mateo mathias mathieu mathilde matt matteo matthew matthias matthieu maud maude maureen
maurice max maxence maxime maximilien maya medhi mehdi melanie melissa melodie melvin meryem mia michael michaela
michel michele micheline michelle miguel mikael milan mila mildred milo mina miranda mireille miriam mohamed
mohammed moira mona monica monique morgan morgane moussa muriel myriam

nabil nadia nadine nadir naima naomi nancy natacha natalia natalie nathalie nathan nathanael neil nelly nelson
nicolas nicole nils nina ninon noa noah noe noel noelle noemie nora norbert norma nour

octave octavia odette odile olga olive olivia olivier omar oona oriane orianne oscar oswald othmane ousmane

pablo paloma pamela paola paolo pascal pascale patrice patricia patrick paul paula paule pauline pedro penelope
peter petra philippa philippe philomene phoebe pia pierre pierrette pietro priscilla priya prosper prudence

quentin

rachel rachid rafael raffaele rahul raj ralph ramon raoul raphael raphaelle raquel raymond rebecca regine regis
remi remy renaud rene renee riad ricardo richard rita robert roberta roberto robin rodolphe rodrigo roger roland
romain romane romeo ronald ronan rosa rosalie rose roseline rosine roxane ruby rudy rudolf ruth ryan

sabine sabrina sacha salim salma salome salomon sam samantha sami samia samir samira samuel sandra sandrine sandro
sara sarah sebastian sebastien selim selma seraphin serena serge sergio severine sharon sheila shirley sidonie
sigrid silvia simon simone sofia sofiane solal solange soline sonia sophia sophie soraya stan stanislas stella
stephane stephanie stephen steve steven susan susanne suzanne suzy sven sylvain sylvaine sylvestre sylvia sylvie

tania tanguy tanya tara tatiana ted teresa terry thais thea theo theodore theophile therese thibault thibaud
thierry thomas tiffany tim timothee timothy tina tobias todd tom tomas tony tristan

ugo ulrich ulysse ursula

valentin valentina valentine valere valerie vanessa vasco vera veronica veronique vicky victor victoria victoire
victorine vincent vincenza violaine violette virgile virginie vivian viviane vivien

walid walter wanda wendy werner wilfried will william willy wilson winston

xavier xavière

yacine yaelle yael yann yannick yasmina yasmine yassine yohan yolande youcef youssef yves yvette yvon yvonne

zacharie zachary zainab zakaria zelie zoe zohra zora

abdul adriano agnieszka ahmet aleksandra alessia alfonso alina alvaro amaia amparo anders andrzej angus anil
anjali arjun ayse baptista barbora bastian beatrix birgit bjorn bogdan boris borja camilo carsten chidi cosimo
dagmar dario deniz dieter dirk dolores duc dusan ebru efe elke elodie emre enzo esra fatma ferdinand florin
francesc fritz gaia gerda gianluca gianni gonzalo grzegorz gudrun gunther gustav hadi hakan halil hamed hanna
heike heinz helga hiro hyun ignacio ilse inge irina isabela ishaan jakob janusz jaroslav javad jelena jens jerzy
jiri joana jonas jordi jorg jovana jurgen kai kaito karolina kasia katarzyna kazuo kemal kenta kerstin klaus
krishna krzysztof kwame lars laszlo lei leila lotte lukas magnus maja malgorzata manolo marek marianna marija
marisol marko marta matej mathilda mehmet mei mette miguel mikhail milos mirko miroslav monika murat nadia naveen
nikola nikolai nils noor olaf olena oleg omid ornella oskar pablo paulo pavel pawel per pilar piotr pradeep
radek rainer ramona ravi reza rocio rolf rosario rui ruth sakura sanjay santiago sara sasha satoshi sergei sergey
shreya silke simona sinead siobhan sofie sonja stefan stefano stefanie sunil svetlana takashi tamar tariq teodor
thorsten tiago tomasz ulla ursula uwe vaclav valentina vikram vladimir wei wojciech wolfgang xin yan yang yasmin
yi yuki yuko yuri yusuf zeynep zhang zofia zoltan

aissatou amadou awa bakary binta cheikh djibril fode issa kadiatou kofi lamine mamadou mariama modou moustapha
ndeye ngozi oumar oumou oumar seydou souleymane yaya

aziz bachir driss farida fouad ghizlane hajar hassane houda ilham jamila kader latifa loubna mounir nabila nadira
naima nassim nawal nordine rachida redouane saida samy sofia tarik yamina yasmine yousra zineb

abby addison aiden alyssa amit andrei angie ankit ariana ashton aubrey avery bailey becky bella bernie beverly
blake bobby bradley brad brady brett brianna bridget brittany brooke bryce caitlin caleb cameron candace carter
casey cassie chad chelsea cheryl chester christy cindy clay clayton clint cody cole colleen conor courtney craig
crystal curtis dale dallas damon darren darryl dave dean debbie debra delia dennis devin dolly don donovan doug
drew duncan dustin dwight earl ed edna elaine eleanor ellie elliott elsie emery ethan evelyn everett faith felicity
floyd frances franklin gail garrett gavin gene gerry glen grant greta hailey haley hank harper harrison harvey
hazel heather herman hilda irma isaiah jake jamie jared jasper jeanette jenna jeremiah jerry joanne jodi joey
jolene jonah josie julianne kaitlyn kara kathy katrina kayla keira kelsey kendall kent kerry kirk kristen kristin
lacey lance larry laurel lauren laurie leroy lester lillian lindsay lindsey lloyd logan lois lorna lorraine lou
luther lyle mabel mackenzie madeline maggie malcolm mandy marcia margie marian marilyn marlon marsha matilda mavis
maxine megan meghan melinda meredith micah mickey miles millie milton mindy misty mitchell molly morris myra
natasha neal ned nell nick nicky nigel nolan norman oliver opal otis owen paige pam parker patsy patty pearl peggy
penny percy perry phil philip phyllis preston quinn rachael randall randy ray reed reggie reid rex rhonda ricky
riley rob robbie rod rodney ron ronnie rosemary ross roxanne roy rupert russell rusty sadie sally sandy savannah
scott sean seth shane shannon shawn shelby sheldon sherry sidney sierra skyler spencer stacy stanley stuart sue
sydney tabitha tammy tanner taylor terence theresa thelma timmy toby tommy tracy travis trevor troy trudy tyler
vernon vince violet virgil virginia wade wallace walt warren wayne wendell wesley whitney wilbur wilma winifred
wyatt zane

gwenola maiwenn soizic nolwenn goulven tugdual brieuc killian timeo lenny laetitia nadege murielle josette
huguette paulette raymonde firmin leonce aristide gontran amedee enguerrand segolene clemence louison oceane
bertille domitille sixtine philippine blandine ombeline quitterie aymeric pierrick gwendal erwann mickael
sylvere jacky michael vianney yohann yoann marie-laure

mourad nassima salima fatiha hakima djamel mustapha abdelaziz abderrahmane said anis wassim lotfi tahar brahim
lahcen youssouf coumba rokia assa adja aissata salif sekou lassana alioune babacar serigne malick samba demba
idrissa tidiane chimamanda wole akosua abena kwabena thabo desmond winnie

li ming hua jing xiao yu hui lin wang liu huang zhao zhou gao guo luo zhu xu lee park choi jung kang cho yoon jang
nguyen tran pham hoang phan vu dang bui duong akira haruki yoko keiko naoko akiko yumi mariko shinji taro ichiro
kenzo hideo makoto daisuke ryo rohit rajesh suresh ramesh mahesh ganesh lakshmi meera neha pooja divya kavita
sunita indira satya nandan narendra amartya arundhati salman aamir shabana vandana

ekaterina yulia oksana nikita alexei volodymyr taras bohdan mykola petro milica dragan zoran goran jakub marcin
lukasz michal ondrej petr jana lenka tereza zuzana yannis giorgos nikos dimitris konstantinos eleni katerina
christos kostas panagiotis vasilis

inigo iker mikel aitor ainhoa nerea itziar unai begona montserrat nuria oriol xavi lluis agustin ramiro guillermo
gustavo horacio octavio raul ruben salvador teodoro valeria ximena yolanda thiago goncalo leonor matilde catarina
francisca andreia vitoria leonardo riccardo emanuele massimo maurizio fabrizio giorgia ilaria donatella gianna
piero pierpaolo gianluigi luigi umberto vittorio helmut horst manfred gunter friedrich wilhelm ludwig otto
hermann bernd frida liv renate anke marieke femke sanne lieke eline joost bram daan wouter pieter maarten koen
thijs sander gijs hendrik willem ruud kees henk ingeborg geert marloes hanneke mieke els
marie-claude marie-france marie-helene marie-pierre jean-baptiste jean-claude jean-francois jean-luc jean-marc
jean-michel jean-paul jean-pierre jean-yves anne-marie anne-sophie pierre-yves marc-antoine
"""


def fold(word: str) -> str:
    """Lowercase, accents removed, trailing dot dropped: the key for the word tables."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().rstrip("."))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'").replace("œ", "oe")


def is_first_name(word: str) -> bool:
    """True for a known given name, or a compound whose first part is one ("Jean-Marc", "Yves-Armel")."""
    key = fold(word)
    if key in FIRST_NAMES:
        return True
    parts = [p for p in key.split("-") if p]
    return len(parts) > 1 and parts[0] in FIRST_NAMES


FIRST_NAMES: frozenset[str] = frozenset(fold(name) for name in _NAMES.split())
