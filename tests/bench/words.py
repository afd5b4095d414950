"""Plausible word soup from a fixed vocabulary, for posts and feed entries.

Every generator takes a seeded `random.Random`, so the same seed gives the same text on every
machine and Python version (string seeds are hashed with SHA-512 by `random.seed`).
"""

from __future__ import annotations

import random


def words_of(text: str) -> tuple[str, ...]:
    return tuple(text.split())


VOCABULARY: tuple[str, ...] = words_of(
    """
    the a of and to in that it is was for on with as his they be at one have this from or had by
    but some what there we can out other were all your when up use word how said an each she which
    do their time if will way about many then them would write like so these her long make thing
    see him two has look more day could go come did number sound no most people my over know water
    than call first who may down side been now find any new work part take get place made live
    where after back little only round man year came show every good me give our under name very
    through just form sentence great think say help low line differ turn cause much mean before
    move right boy old too same tell does set three want air well also play small end put home
    read hand port large spell add even land here must big high such follow act why ask men change
    went light kind off need house picture try us again animal point mother world near build self
    earth father head stand own page should country found answer school grow study still learn
    plant cover food sun four between state keep eye never last let thought city tree cross farm
    hard start might story saw far sea draw left late run while press close night real life few
    north open seem together next white children begin got walk example ease paper group always
    music those both mark often letter until mile river car feet care second book carry took
    science eat room friend began idea fish mountain stop once base hear horse cut sure watch
    color face wood main enough plain girl usual young ready above ever red list though feel talk
    bird soon body dog family direct pose leave song measure door product black short numeral
    class wind question happen complete ship area half rock order fire south problem piece told
    knew pass since top whole king space heard best hour better during hundred five remember step
    early hold west ground interest reach fast verb sing listen six table travel less morning ten
    simple several vowel toward war lay against pattern slow center love person money serve appear
    road map rain rule govern pull cold notice voice unit power town fine certain fly fall lead
    cry dark machine note wait plan figure star box noun field rest correct able pound done beauty
    drive stood contain front teach week final gave green quick develop ocean warm free minute
    strong special mind behind clear tail produce fact street inch multiply nothing course stay
    wheel full force blue object decide surface deep moon island foot system busy test record boat
    common gold possible plane stead dry wonder laugh thousand ago ran check game shape equate
    miss brought heat snow tire bring yes distant fill east paint language among
    """
)
NAMES: tuple[str, ...] = words_of(
    """
    Ada Bruno Chen Dana Elif Farid Greta Hiro Ines Jonas Kofi Lena Mateo Nadia Omar Priya Quentin
    Rosa Sven Tamar Umar Vera Wei Xenia Yusuf Zoe
    """
)
SURNAMES: tuple[str, ...] = words_of(
    """
    Abara Berg Costa Dubois Eriksen Fischer Garcia Haddad Ivanova Jensen Kowalski Larsen Moreau
    Novak Okafor Petrov Quinn Rossi Silva Tanaka Ueda Varga Weber Young Zhang
    """
)


def sentence(rng: random.Random, *, low: int = 8, high: int = 18) -> str:
    words = rng.choices(VOCABULARY, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, *, words: int) -> str:
    """Sentences until about `words` words."""
    sentences: list[str] = []
    count = 0
    while count < words:
        text = sentence(rng)
        sentences.append(text)
        count += text.count(" ") + 1
    return " ".join(sentences)


def title(rng: random.Random) -> str:
    return " ".join(rng.choices(VOCABULARY, k=rng.randint(3, 7))).title()


def person(rng: random.Random) -> str:
    return f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}"
