"""The words of questions, in English and French: filler, breakdowns, filters, comparisons, charts, and the
period phrases ("last 30 days", "le mois dernier", "september 2026", "Q3") with the period text each stands for
(:mod:`kpi.periods` reads it). Read by :mod:`kpi.grammar.questions`."""

from __future__ import annotations

import re
import unicodedata

from kpi.grammar import dates
from kpi.periods import canonical, looks_like_period
from kpi.periods_said import MONTH_NAMES

# -- the words ---------------------------------------------------------------------------------------

FILLER = frozenset(
    """
what whats was were is are be been being how hows did do does doing done going went trending tracking
looking look our my we us the a an of to at it its this that these those there their me you your please pls
show give tell get got let lets see display check quick can could would will may might about much many
number numbers figure figures value values stats kpi metric so far now currently current right today's
hi hello hey thanks thank ok okay and also again same just then up down rising falling evolve evolved
evolving vs versus than compare compared comparison with against what's whats's performance performing
doing result results overall total level levels actual real latest recent period time like which any
quel quelle quels quelles est sont etait etaient a ete ete notre nos mon ma mes le la les l un une des de
du d au aux ce cet cette ces il elle on nous vous me moi donne donner montre montrer affiche afficher dis
dire peux peut pourrais pourriez voir svp stp merci bonjour salut et aussi encore meme alors comment
combien valeur chiffre chiffres niveau actuel actuelle combien qu que quoi cest c s y en ou va
evolue resultat resultats performance tendance periode as well happened happening go goes gone
drop drops dropped dropping fall falls fell rise rises rose risen increase increased increasing decrease decreased
change changed changes move moved moving grow grew growth jump jumped spike spiked lower higher better worse
baisse baisser baisse hausse augmente augmentation diminue diminution chute monte bouge change evolue passe
breakdown detail split look looks stand stands standing fare faring think know need want like see
quick one over ratio tu toi sommes ou where's kind mind ll ve re don didn isn wasn aren doesn won
bot u plz wat teh yo hiya came come comes coming vient viennent venu venus venue venues venant
average moyenne moyen soir nombre cela consultants consultant ils elles faire fais fait avoir avons avez ont
eu make made need besoin voudrais veux aimerais savoir je progresse progression sortir sors realise cumule
equipe team gimme thx thanx coucou wondering just petite question chance pull any quick
toute tout toutes tous sa son ses leur leurs point
""".split()
)

CONNECTORS = frozenset({"de", "du", "des", "d", "la", "le", "les", "l", "of", "the"})
ARTICLES = frozenset(
    {
        "the",
        "le",
        "la",
        "les",
        "l",
        "du",
        "de",
        "des",
        "d",
        "each",
        "every",
        "chaque",
        "a",
        "our",
        "nos",
        "notre",
        "this",
        "ce",
        "cette",
    }
)
BY = (
    ("broken", "down", "by"),
    ("split", "by"),
    ("grouped", "by"),
    ("for", "each"),
    ("for", "every"),
    ("by", "each"),
    ("pour", "chaque"),
    ("reparti", "par"),
    ("ventile", "par"),
    ("detaille", "par"),
    ("en", "fonction", "du"),
    ("en", "fonction", "de"),
    ("breakdown", "by"),
    ("by",),
    ("per",),
    ("par",),
    ("across",),
    ("selon",),
)
FOR = frozenset(
    {"for", "pour", "from", "on", "in", "via", "sur", "chez", "only", "uniquement", "seulement", "where", "dans"}
)
FOR_WITH_DIMENSION = frozenset({"de", "du", "des", "d", "en"})  # filters only when a dimension's name follows
VALUE_GLUE = frozenset({"is", "est", "=", "equals", "egal", ":"})
CHART = (
    ("chart",),
    ("trend",),
    ("evolution",),
    ("graph",),
    ("plot",),
    ("courbe",),
    ("graphique",),
    ("graphe",),
    ("diagramme",),
    ("visualize",),
    ("visualise",),
    ("sparkline",),
)
YOY = (
    ("year", "over", "year"),
    ("year", "on", "year"),
    ("yoy",),
    ("y/y",),
    ("n-1",),
    ("sur", "un", "an"),
    ("glissement", "annuel"),
    ("en", "glissement", "annuel"),
)
LAST_YEAR = (
    ("last", "year"),
    ("year", "ago"),
    ("one", "year", "ago"),
    ("the", "same", "period", "last", "year"),
    ("same", "period", "last", "year"),
    ("the", "previous", "year"),
    ("previous", "year"),
    ("annee", "derniere"),
    ("an", "dernier"),
    ("annee", "precedente"),
    ("annee", "passee"),
    ("n-1",),
    ("la", "meme", "periode", "an", "dernier"),
    ("la", "meme", "periode", "annee", "derniere"),
    ("meme", "periode", "an", "dernier"),
    ("meme", "periode", "annee", "derniere"),
)
VS = (
    ("vs",),
    ("versus",),
    ("compared", "to"),
    ("compared", "with"),
    ("compare", "to"),
    ("compare", "with"),
    ("than",),
    ("against",),
    ("relative", "to"),
    ("par", "rapport"),
    ("par", "rapport", "au"),
    ("par", "rapport", "aux"),
    ("compare",),
    ("comparer", "avec"),
    ("contre",),
    ("face",),
)
LIST = frozenset(
    {
        "kpis",
        "indicators",
        "indicateurs",
        "metrics",
        "overview",
        "everything",
        "list",
        "liste",
        "all",
        "tous",
        "toutes",
        "dashboard",
        "tableau",
        "recap",
        "summary",
    }
)
WHY = frozenset({"why", "pourquoi", "explains", "drove", "driving", "driven", "caused", "cause"})
EXPLAIN_PHRASES = (("qu", "est", "ce", "que"), ("est", "quoi"), ("what", "is", "meant", "by"))  # not "est-ce que"
HELP = frozenset({"help", "aide", "commands", "commandes", "usage"})
EXPLAIN = frozenset(
    {
        "mean",
        "means",
        "meaning",
        "define",
        "definition",
        "explain",
        "explique",
        "expliquer",
        "calculated",
        "computed",
        "formula",
        "formule",
        "signifie",
        "veut",
        "calcule",
        "defini",
    }
)
TOTAL = (
    ("overall",),
    ("in", "total"),
    ("au", "total"),
    ("en", "tout"),
    ("no", "breakdown"),
    ("without", "breakdown"),
    ("sans", "detail"),
    ("all", "channels"),
    ("tous", "canaux"),
)
# after a comparison word: the usual comparison ("vs the week before", "comparé au mois d'avant")
PREVIOUS_WORDS = frozenset({"before", "avant", "previous", "prior", "precedent", "precedente", "preceding"})
SAME_WORDS = frozenset({"same", "meme"})
COMPARE_SKIP = frozenset(
    {"the", "to", "a", "au", "aux", "le", "la", "les", "l", "with", "of", "that", "celui", "celle", "de", "du", "d"}
)
WHY_PHRASES = (("what", "moved"), ("what", "drove"), ("what", "caused"), ("qui", "explique"), ("what", "explains"))
# the people of a value ("paid search *customers*", "les *clients* social"): read only next to a value
AUDIENCE = frozenset({"customer", "customers", "client", "clients", "users", "buyers", "acheteurs"})
SMALL_TALK = (("ca", "va"), ("comment", "ca", "va"), ("how", "are", "you"), ("how", "is", "it", "going"))
NEW_PERIOD = (("same", "for"), ("pareil", "pour"), ("idem", "pour"), ("meme", "chose", "pour"))

# periods as phrases -> the period text kpi.periods reads
GRAIN = {
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "quarter": "quarter",
    "quarters": "quarter",
    "year": "year",
    "years": "year",
    "semaine": "week",
    "semaines": "week",
    "mois": "month",
    "trimestre": "quarter",
    "trimestres": "quarter",
    "annee": "year",
    "annees": "year",
    "an": "year",
    "ans": "year",
    "day": "today",
    "jour": "today",
}
DAYS_IN = {
    "day": 1,
    "days": 1,
    "jour": 1,
    "jours": 1,
    "week": 7,
    "weeks": 7,
    "semaine": 7,
    "semaines": 7,
    "month": 30,
    "months": 30,
    "mois": 30,
    "year": 365,
    "years": 365,
    "an": 365,
    "ans": 365,
    "annee": 365,
    "annees": 365,
}


COUNT_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "twelve": 12, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "douze": 12,
}  # fmt: skip


def count_of(word: str) -> int | None:
    """How many, in digits or in words ("the last *two* weeks", "les *deux* dernières semaines")."""
    return int(word) if ROLLING.match(word) else COUNT_WORDS.get(word)


def rolling_days(count: int, unit: str) -> int:
    """ "the last 3 months" -> 90 days; whole years of months are years ("the last 12 months" -> 365 days)."""
    if DAYS_IN[unit] == 30 and count % 12 == 0:
        return count // 12 * 365
    return count * DAYS_IN[unit]


def _period_phrases() -> list[tuple[tuple[str, ...], str]]:
    phrases: list[tuple[tuple[str, ...], str]] = []
    for grain in ("week", "month", "quarter", "year"):
        for this in ("this", "current", "so far this", "to date this"):
            phrases.append(((*this.split(), grain), grain))
        phrases.append(((grain, "to", "date"), grain))
        for last in ("last", "previous", "prior", "past", "the last", "the previous", "the past"):
            phrases.append(((*last.split(), grain), f"last-{grain}"))
        phrases.append(((grain, "before", "this", "one"), f"last-{grain}"))
    fr = {
        "semaine": ("cette", "derniere", "precedente", "passee"),
        "mois": ("ce", "dernier", "precedent", "passe"),
        "trimestre": ("ce", "dernier", "precedent", "passe"),
        "annee": ("cette", "derniere", "precedente", "passee"),
    }
    for word, (this, *lasts) in fr.items():
        grain = GRAIN[word]
        phrases += [
            ((this, word), grain),
            ((word, "en", "cours"), grain),
            ((this, word, "ci"), grain),
            ((this, f"{word}-ci"), grain),
            (("depuis", "le", "debut", "du", word), grain),
            (("depuis", "debut", word), grain),
            (("depuis", "le", "debut", "de", word), grain),
        ]
        for last in lasts:
            phrases.append(((word, last), f"last-{grain}"))
        phrases.append(((lasts[0], word), f"last-{grain}"))
    phrases += [
        (("an", "dernier"), "last-year"),
        (("aujourd", "hui"), "today"),
        (("aujourdhui",), "today"),
        (("today",), "today"),
        (("yesterday",), "yesterday"),
        (("avant", "hier"), "before-yesterday"),
        (("un", "an", "glissant"), "365d"),
        (("sur", "un", "an", "glissant"), "365d"),
        (("annee", "glissante"), "365d"),
        (("rolling", "year"), "365d"),
        (("rolling", "12", "months"), "365d"),
        (("12", "mois", "glissants"), "365d"),
        (("day", "before", "yesterday"), "before-yesterday"),
        (("hier",), "yesterday"),
        (("year", "to", "date"), "year"),
        (("so", "far", "this", "year"), "year"),
        *(
            ((*since, *the, grain), grain)
            for grain in ("week", "month", "quarter", "year")
            for since in (
                ("since", "the", "start", "of"),
                ("since", "the", "beginning", "of"),
                ("since", "start", "of"),
            )
            for the in (("the",), ("this",), ())
        ),
    ]
    return phrases


PERIODS = _period_phrases()
ROLLING = re.compile(r"^(\d{1,4})$")
YEAR = re.compile(r"^(19|20)\d\d$")
ORDINAL_QUARTER = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "premier": 1,
    "1er": 1,
    "deuxieme": 2,
    "2e": 2,
    "troisieme": 3,
    "3e": 3,
    "quatrieme": 4,
    "4e": 4,
}


def tokens(text: str) -> list[str]:
    """Lower-case words without accents; apostrophes and punctuation split words ("l'année" -> l, annee)."""
    text = re.sub(r"\bça\b", "cela", text.lower())  # "ça" is a pronoun, never CA (chiffre d'affaires)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[’'`´]", " ", text)
    text = re.sub(r"<[^>]*>", " ", text)  # Slack's mentions and links
    text = re.sub(r"\s*=\s*", "=", text)
    text = re.sub(r"\s[-\u2013\u2014]\s", " to ", text)  # "Nov 1 - Nov 15": a range
    text = " ".join(w if "=" in w else w.replace("_", " ") for w in text.split())  # paid_search -> paid search
    # "r&d", "#general", "@sales": values as typed (Slack's channels and groups decoded by the bot)
    words = [w.strip(".-&") for w in re.findall(r"[a-z0-9_=/.\-&#@]+", text)]
    return [w for w in words if w.strip("#@")]


TO_DATE_TAILS = (("a", "date"), ("to", "date"), ("so", "far"), ("jusqu", "ici"), ("jusqu", "a", "present"))


def period_at(words: list[str], i: int) -> tuple[str, int] | None:
    """The period phrase at ``words[i]`` ('last 30 days', 'le mois dernier', 'september 2026', 'q3', 'from July
    to November', 'since July 1st', 'November 3', 'H1'…), as the period text kpi.periods reads, and the index
    after it; None when none starts there. The longest phrase wins; "T4 à date" is that quarter to date."""
    if i >= len(words):
        return None
    found = [
        hit
        for hit in (
            _single_period_at(words, i),  # first: the plain form wins a tie
            dates.range_at(words, i, _single_period_at),
            dates.since_at(words, i, _single_period_at),
            dates.part_of_month_at(words, i),
            dates.half_at(words, i),
            dates.week_of_at(words, i),
            dates.month_of_at(words, i),
            dates.day_at(words, i),
        )
        if hit is not None
    ]
    if not found:
        return None
    text, end = max(found, key=lambda hit: hit[1])
    for tail in TO_DATE_TAILS:
        if tuple(words[end : end + len(tail)]) == tail and ".." not in text:
            already = text in ("today", "week", "month", "quarter", "year")  # "this quarter so far"
            return (text if already else f"{text}-to-date"), end + len(tail)
    return text, end


def _single_period_at(words: list[str], i: int) -> tuple[str, int] | None:
    """One period said in one piece: 'last 30 days', 'le mois dernier', 'september 2026', 'q3', 'week 45'."""
    if i >= len(words):
        return None
    word = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    best: tuple[str, int] | None = None
    for phrase, text in PERIODS:
        if tuple(words[i : i + len(phrase)]) == phrase and (best is None or i + len(phrase) > best[1]):
            best = (text, i + len(phrase))
    if best is not None:
        return best
    if (rolling := _rolling_at(words, i)) is not None:
        return rolling
    if word in ("last", "past", "previous") and nxt in MONTH_NAMES and nxt not in ("may", "mar"):
        return f"last-{canonical(nxt)}", i + 2  # "last December": the latest one ended
    if word in MONTH_NAMES and nxt in ("dernier", "passe") and word not in ("may", "mar"):
        return f"last-{canonical(word)}", i + 2
    if word in MONTH_NAMES and (
        word != "may" and word != "mar" or i > 0 and words[i - 1] in ("in", "for", "of", "en", "during")
    ):
        if YEAR.match(nxt):
            return f"{nxt}-{MONTH_NAMES[word]:02d}", i + 2
        return canonical(word), i + 1
    if word in ORDINAL_QUARTER and nxt in ("quarter", "trimestre"):
        if i + 2 < len(words) and YEAR.match(words[i + 2]):
            return f"{words[i + 2]}-Q{ORDINAL_QUARTER[word]}", i + 3
        return f"q{ORDINAL_QUARTER[word]}", i + 2
    if word in ("year", "annee", "exercice") and YEAR.match(nxt):  # "l'année 2025"
        return nxt, i + 2
    if re.fullmatch(r"[qt][1-4]", word) and YEAR.match(nxt):
        return f"{nxt}-Q{word[1]}", i + 2
    if word in ("quarter", "trimestre") and re.fullmatch(r"[1-4]", nxt):
        return f"q{nxt}", i + 2
    if YEAR.match(word) and re.fullmatch(r"[qt][1-4]", nxt):
        return f"{word}-Q{nxt[1]}", i + 2
    if word in ("week", "semaine") and re.fullmatch(r"\d{1,2}", nxt):
        return f"w{int(nxt)}", i + 2
    if word in ("an", "ans", "weeks", "months", "quarters", "years", "semaines", "trimestres", "annees"):
        return None
    if word in ("mar", "may") or "=" in word:
        return None
    if looks_like_period(word):
        return canonical(word), i + 1
    return None


ROLLING_OPENERS = (
    ("last",),
    ("past",),
    ("previous",),
    ("the", "last"),
    ("the", "past"),
    ("over", "the", "last"),
    ("in", "the", "last"),
    ("over", "the", "past"),
    ("in", "the", "past"),
    ("during", "the", "last"),
    ("depuis",),
    ("ces",),
    ("les",),
    ("sur", "les"),
    ("sur",),
    (),
)


def _rolling_at(words: list[str], i: int) -> tuple[str, int] | None:
    """ "last 30 days", "past 2 weeks", "les 30 derniers jours", "sur 30 jours", "3 derniers mois": rolling days."""
    for first in ROLLING_OPENERS:
        j = i + len(first)
        if tuple(words[i:j]) != first or j >= len(words) or count_of(words[j]) is None:
            continue
        k = j + 1
        if (
            first in (("les",), ("ces",), ("sur", "les"), ())
            and k < len(words)
            and words[k] in ("derniers", "dernieres")
        ):
            k += 1
        if k < len(words) and words[k] in DAYS_IN and (first or words[j + 1] in ("derniers", "dernieres")):
            return f"{rolling_days(count_of(words[j]) or 0, words[k])}d", k + 1
    return None
