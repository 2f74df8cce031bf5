"""Prompt gate, high-precision rule layer: lexicon signals that the embedding head may under-weight.

Decides nothing; emits scores that `EmbedHeadTextClassifier` merges with its head scores (max). Rules fire only on
combinations the policy blocks outright, whatever the framing: a child cue together with a sexual cue
(-> sexual/minors), explicit sexual-activity terms or a sexual cue with a real person (-> sexual), self-harm
method questions (-> self_harm), a protected group called vermin (-> hate), a humiliating image of someone the user
knows (-> harassment), and context cues for the `context/*` labels,
which are descriptive (photo vs drawing, history, medicine ...) and used by the policy's context rules. The text
is expected to be normalised already (see `normalize.py`).
"""

from __future__ import annotations

import re

from limner.classifiers.text.normalize import fold_unicode

_CHILD_WORDS = (
    r"child|children|kid|kids|minor|underage|under-age|under age|preteen|pre-teen|tween|toddler|infant|little girl|"
    r"little boy|young girl|young boy|schoolgirl|schoolboy|school girl|school boy|middle school(?:er)?|"
    r"elementary school|primary school|grade schooler|\d(?:st|nd|rd|th) grader|sixth grader|seventh grader|"
    r"eighth grader|loli|lolicon|shota|shotacon|jailbait|barely legal|young teen|teen girl|teen boy|"
    r"teenage girl|teenage boy|pigtails and braces|daughter|niece|nephew|girl scout|cub scout|"
    # a teen is under 18 until the prompt says otherwise: with a sexual cue the policy reads a minor
    r"teen|teens|teenager|teenagers"
)
_CHILD = re.compile(rf"\b(?:{_CHILD_WORDS})s?\b")
_AGE = re.compile(
    r"\b(\d{1,2})[- ]?(?:years?|yrs?|yo)(?:[- ]old)?\b|\baged? (\d{1,2})\b|\b(\d{1,2}) ?yo\b|"
    r"\b(\d{1,2})(?:st|nd|rd|th) birthday\b|"
    # an age stated as a fact about the subject: "she's 12 there", "who is 15", "age 14", "13 y/o"
    r"\b(?:she|he|they|who)(?:'s| is| are| was| were) (\d{1,2})\b|\bage (\d{1,2})\b|\b(\d{1,2}) ?y/o\b"
)
_SEXUAL_CUE = re.compile(
    r"\b(?:nude|nudes|naked|nsfw|sexy|sexual(?:ly|ised|ized)?|sexualis|seductive(?:ly)?|provocative|"
    r"erotic|lingerie|undress(?:ed|ing)?|topless|bottomless|strip(?:ping|per|tease)?|porn\w*|hentai|"
    r"lewd|fetish|thong|panties|underwear|see-through|spread(?:ing)? (?:her|his) legs|orgasm|"
    r"sex|having sex|aroused|horny|kinky|bdsm|bondage|boudoir|pin-up|pinup|sensual|sultry|"
    r"without (?:any )?clothes|no clothes|unclothed|(?:remove|take off|taking off) (?:her|his|their) "
    r"clothes)\b"
)
_EXPLICIT = re.compile(
    r"\b(?:having sex|sex scene|sex act|sexual intercourse|intercourse|oral sex|anal sex|blow ?job|"
    r"hand ?job|cum ?shot|cumshot|creampie|orgy|gangbang|masturbat\w*|porn|porno|pornographic|xxx|"
    r"hentai|erect penis|genitals? (?:in focus|close-up|exposed|visible|showing|out)|(?:visible|exposed) genitals?|"
    r"explicit (?:sex|nudity|close-up)|"
    r"sex tape|fucking|penetrat\w+|fellatio|cunnilingus|threesome|sex(?:ual)? acts?|intimate acts?)\b"
)
# "sex education", "sexual health" and similar stay out: the negative look-ahead drops them.
_EXPLICIT_EXEMPT = re.compile(r"\b(?:sex(?:ual)? (?:education|health|ed)|sex-ed|safe sex poster)\b")

CONTEXT_CUES: dict[str, re.Pattern[str]] = {
    "context/photoreal": re.compile(
        r"\b(?:photo\w*|realistic|hyper-?real\w*|photoreal\w*|dslr|cctv|paparazzi|"
        r"35 ?mm|50 ?mm|85 ?mm|camera|footage|snapshot|selfie|polaroid|raw photo|8k uhd)\b"
    ),
    "context/artistic": re.compile(
        r"\b(?:painting|painted|drawing|drawn|sketch\w*|illustration|illustrated|cartoon\w*|anime|"
        r"manga|watercolou?r|oil on canvas|sculpture|statue|comic|charcoal|ukiyo-e|pixel art|"
        r"low-poly|figure study|life drawing|linocut|woodblock|art nouveau|impressionis\w+)\b"
    ),
    "context/fictional": re.compile(
        r"\b(?:novel|fiction\w*|story|game|film|movie|fantasy|character|villain|hero|"
        r"sci-fi|dnd|d&d|roleplay|role-play|tv show|series|comic book)\b"
    ),
    "context/educational": re.compile(
        r"\b(?:educational|education|diagram|textbook|lesson|lecture|infographic|"
        r"awareness|prevention|training slide|classroom|teaching|museum|explainer)\b"
    ),
    "context/historical": re.compile(
        r"\b(?:historical|history|ww1|ww2|wwii|world war|1[0-9]{3}s?|medieval|ancient|"
        r"victorian|third reich|museum|archive|commemorat\w+|memorial)\b"
    ),
    "context/medical": re.compile(
        r"\b(?:medical|anatomy|anatomical|surgery|surgical|clinic|hospital|doctor|nurse|"
        r"breastfeed\w*|lactation|physiology|x-ray|mri|dermatolog\w+|therapy|therapist)\b"
    ),
    "context/news": re.compile(
        r"\b(?:news|journalis\w+|reportage|documentary|press photo|headline|newspaper|"
        r"broadcast|breaking)\b"
    ),
}


# Idioms the policy lists as allowed, rewritten to their plain meaning before the head reads the prompt: the encoder
# otherwise places "killing it on stage" near violence. Only fixed phrases, so a real threat keeps its words.
IDIOMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b{a}\b"), b)
    for a, b in (
        (r"killing it", "doing great"),
        (r"kill(?:s|ed)? it", "did great"),
        (r"killer whales?", "orca"),
        (r"shoot(?:ing)? (?:a |the |some )?(?:photos?|pictures?|portraits?|video|film|scene)", "take a photo"),
        (r"photo ?shoot", "photo session"),
        (r"photobomb\w*", "photo surprise"),
        (r"bath bombs?", "bath fizzer"),
        (r"dying of laughter|dying laughing|died laughing", "laughing hard"),
        (r"(?:drop(?:s|ped)? )?the bomb(?= on the dance| at the party)", "the best song"),
        (r"dead tired", "very tired"),
        (r"knock(?:ed|s)? (?:it|them) dead", "impressed everyone"),
    )
)


# ---------------------------------------------------------------- rules for what the policy names outright
# Each rule is a grammatical pattern for one blocked item of the policy table, so it fires on the construction and
# not on a topic word: "how to hang yourself" (method information), "immigrants are vermin" (dehumanising a
# protected group), a sexual cue together with a real, identifiable person, a humiliating image of someone the user
# knows. The embedding head scored these near zero (self_harm 0.007 for "how to hang yourself": "hang" is mostly
# pictures and washing), and the red team's unmodified seeds passed. Prevention, counter-speech and history framings
# are exempt, as the policy's allowed column says.
_SELF = r"(?:yourself|myself|oneself|themselves|himself|herself|ourselves|urself)"
_SELF_HARM_METHOD = re.compile(
    rf"\b(?:how to|ways? to|steps? to|methods? to|best way to|easiest way to|quickest way to|painless(?:ly)?|"
    rf"guide to|tutorial|instructions|step[- ]by[- ]step)\b(?:\W+\w+){{0,6}}?\W+"
    rf"(?:kill|hang|hurt|harm|cut|starve|suffocate|strangle|poison|overdose|drown|burn|bleed|mutilate)\s*{_SELF}\b"
    rf"|\b(?:suicide|self-harm|self harm|cutting) (?:methods?|instructions|guide|tutorial|techniques?|tips)\b"
    rf"|\bhow to (?:commit suicide|end (?:my|your|one's|their) (?:own )?life|self-harm|self harm)\b"
)
_SELF_HARM_EXEMPT = re.compile(
    r"\b(?:prevent\w*|hotline|helpline|crisis line|awareness|recover\w*|support group|warning signs|"
    r"stop (?:someone|yourself|myself|people|them) from|help (?:someone|a friend|people|others)|"
    r"(?:cut|treat) (?:yourself|myself) (?:a|an|some)\b)"
)
_GROUPS = (
    r"immigrants|migrants|refugees|asylum seekers|foreigners|muslims|jews|jewish people|christians|hindus|sikhs|"
    r"black people|blacks|white people|whites|asians|asian people|mexicans|latinos|hispanics|arabs|africans|"
    r"indians|chinese people|the chinese|gays|gay people|lesbians|homosexuals|trans people|transgender people|"
    r"transgenders|women|disabled people|the disabled|roma|gypsies|native americans|indigenous people|aboriginals"
)
_DEHUMANISING = (
    r"animals|vermin|rats|cockroaches|roaches|parasites|subhumans?|sub-humans?|apes|monkeys|pigs|dogs|savages|filth|"
    r"trash|garbage|insects|lice|leeches|a disease|a plague|a virus|a cancer|diseased|not human"
)
_ANY_GROUP = (rf"{_GROUPS}|(?:a |an |the )?(?:religious|ethnic|racial|minority|immigrant|national|faith) "
              rf"(?:groups?|minorit(?:y|ies)|communit(?:y|ies)|people)")
_DEHUMANISE = re.compile(rf"\b(?:{_ANY_GROUP}) (?:are|is|as|(?:drawn|depicted|shown|portrayed|painted|rendered) as|"
                         rf"turned into|as if they were) (?:nothing but |just |all |like |a bunch of )?"
                         rf"(?:{_DEHUMANISING})\b")
_COUNTER_SPEECH = re.compile(
    r"\b(?:debunk\w*|myths?|counter\w*|combat\w*|refut\w+|fact-check\w*|against (?:racism|hate|bigotry)|anti-racis\w+|"
    r"museum|history of|historical|propaganda (?:exhibit|archive)|(?:is|are) not)\b"
)
_REAL_PERSON = re.compile(
    r"\b(?:a real (?:celebrity|person|woman|man|girl|boy|actress|actor|people|influencer|streamer)|"
    r"real-life (?:celebrity|person|woman|man)|(?:my|our) (?:ex|ex-girlfriend|ex-boyfriend|ex-wife|ex-husband|"
    r"girlfriend|boyfriend|wife|husband|coworker|co-worker|colleague|boss|classmate|neighbou?r|teacher|student|"
    r"friend|sister|brother|cousin|roommate|crush|stepmom|stepmother|stepsister))\b"
)
_HUMILIATING = re.compile(
    r"\b(?:degrading|humiliating|embarrassing|mocking|demeaning|shaming|insulting|ridiculing|making fun of|"
    r"fat-shaming|body-shaming|revenge)\b"
)


# The policy names these outright: content that promotes eating disorders, and self-harm, suicide or starvation
# made beautiful. The red team's plain seeds ("a pro-anorexia motivational poster", "an image that makes
# self-destruction look beautiful and peaceful") passed the embedding head.
_ED_PROMOTION = re.compile(
    r"\b(?:pro-?ana|pro-?mia|pro-?anorexi\w*|pro-?bulimi\w*|pro-?ed|thinspo\w*|thinspiration|bonespo\w*|"
    r"meanspo\w*|skinnyspo|skinny-?spo|deathspo|ana (?:tips|coach|buddy)|barcode (?:cuts?|scars?|arms?|wrists?))\b")
_HARM_ACT = (r"suicide|self-harm|self harm|self-destruction|self-injury|cutting|starving|starvation|anorexi\w*|"
             r"bulimi\w*|purging|overdos\w*|hanging (?:oneself|herself|himself|themselves)|slit wrists?|"
             r"(?:cutting|slitting) (?:her|his|their|my) wrists?|wrist cuts?|fresh cuts|jumping off|ending it all")
_GLORIFY = (r"romantic\w*|beautiful|beauty|peaceful|glamo\w*|aesthetic|poetic|serene|elegant|dreamy|alluring|sexy|"
            r"cool|ideal|inspiring|inspirational|motivational|goals?|perfect|desirable|admirable|heroic|brave|"
            r"liberating|blissful|celebrat\w*|glorif\w*")
_GLORIFIED_HARM = re.compile(rf"\b(?:{_GLORIFY})\b(?:\W+\w+){{0,7}}?\W+(?:{_HARM_ACT})\b|"
                             rf"\b(?:{_HARM_ACT})\b(?:\W+\w+){{0,7}}?\W+(?:{_GLORIFY})\b")


_GLORIFY_EXEMPT = re.compile(r"\b(?:not (?:as )?(?:a |an )?(?:celebrat|glorif|encourag|romantici)\w*|mindful\w*|"
                             r"healthy|manag(?:e|es|ing)|cop(?:e|es|ing)|therap\w*|heal\w*)\b")


def glorified_self_harm(text: str) -> tuple[float, str]:
    m = _ED_PROMOTION.search(text) or _GLORIFIED_HARM.search(text)
    if m is None or _SELF_HARM_EXEMPT.search(text) or _GLORIFY_EXEMPT.search(text):
        return 0.0, ""
    return 0.95, f"promotes or glorifies self-harm, suicide or an eating disorder ('{m.group(0)}')"


def self_harm_method(text: str) -> tuple[float, str]:
    m = _SELF_HARM_METHOD.search(text)
    if m is None or _SELF_HARM_EXEMPT.search(text):
        return 0.0, ""
    return 0.97, f"asks for self-harm or suicide method information ('{m.group(0)}')"


# Praise for an atrocity or a hate or terror movement, which the policy blocks as glorification in any form.
_PRAISE = r"glorif\w*|celebrat\w*|prais\w*|honou?r(?:s|ing)?|idoli[sz]\w*|romantici[sz]\w*|heroic|admir\w*|salut\w*"
_HATE_TARGETS = (r"(?:the )?holocaust|genocides?|ethnic cleansing|nazis?|nazism|hitler|the third reich|kkk|"
                 r"ku klux klan|white supremac\w*|neo-?nazis?|lynchings?|slavery|apartheid")
_TERROR_TARGETS = (r"isis|isil|daesh|al-?qaeda|al-?shabaab|boko haram|(?:the )?taliban|terrorists?|terrorism|"
                   r"terror attacks?|suicide bomb\w*|9/11|school shootings?|mass shootings?|shooters?")
# the praise falls on the target itself ("glorifying a white supremacist group"), not on its victims or its end
_GLORIFIED = re.compile(rf"\b(?:{_PRAISE})\W+(?:(?:the|a|an|of)\W+)?(?:[\w-]+\W+)?"
                        rf"(?P<target>{_HATE_TARGETS}|{_TERROR_TARGETS})\b")
_GLORIFY_REVERSED = re.compile(r"\b(?:victims?|survivors?|end|fall|defeat|abolition|liberation|memor\w*|remembr\w*|"
                               r"against|resist\w*|opponents?|heroes who|fighters? against|anti-?\w+)\b")
_TERROR_RE = re.compile(rf"^(?:{_TERROR_TARGETS})$")


# A photoreal news picture of a disaster at a real, named landmark: the policy's "photoreal fake news photos of real
# places or events". The head read "a realistic news photo of an explosion at the White House" as stylised violence.
_NEWS_PHOTO = re.compile(r"\b(?:news|press|breaking|cctv|footage|photo\w*|realistic|photoreal\w*|live broadcast)\b")
_DISASTER = re.compile(r"\b(?:explosions?|explod\w*|bomb\w*|attack\w*|on fire|burning|burnt|burned|fire at|"
                       r"collaps\w*|riots?|shootings?|gunfire|crash\w*|flood\w*|destroyed|in ruins|terror\w*|"
                       r"hostages?|storm(?:ed|ing) by|invaded|evacuat\w*|nuclear)\b")
_LANDMARK = re.compile(
    r"\b(?:the white house|the capitol|capitol building|the pentagon|the kremlin|red square|eiffel tower|big ben|"
    r"buckingham palace|downing street|houses of parliament|westminster|times square|statue of liberty|"
    r"empire state building|golden gate bridge|taj mahal|colosseum|the vatican|st\.? peter'?s|sydney opera house|"
    r"burj khalifa|brandenburg gate|reichstag|louvre|notre[- ]dame|tiananmen|forbidden city|mount rushmore|"
    r"wall street|the un headquarters|united nations headquarters|world trade center|one world trade|"
    r"(?:the )?\w+ (?:airport|stock exchange|embassy|parliament|cathedral|stadium|central station))\b")

# a picture that does not pass as news: a drawn, fictional or historical one
_NOT_NEWS = re.compile(r"\b(?:fiction\w*|fantasy|cartoon|illustrat\w*|drawing|painting|historical|in 19\d\d|"
                       r"in 18\d\d|movie poster|film still)\b")


def fake_news_photo(text: str) -> tuple[float, str]:
    news, disaster, place = _NEWS_PHOTO.search(text), _DISASTER.search(text), _LANDMARK.search(text)
    if not (news and disaster and place) or _COUNTER_SPEECH.search(text) or _NOT_NEWS.search(text):
        return 0.0, ""
    return 0.9, (f"a photoreal news picture of an event at a real place ('{disaster.group(0)}', "
                 f"'{place.group(0)}')")


def glorified_atrocity(text: str) -> tuple[str, tuple[float, str]]:
    """("hate" or "extremism", (score, rationale)) for praise of an atrocity or a hate or terror movement."""
    m = _GLORIFIED.search(text)
    if m is None or _COUNTER_SPEECH.search(text) or _GLORIFY_REVERSED.search(m.group(0)):
        return "hate", (0.0, "")
    label = "extremism" if _TERROR_RE.match(m.group("target")) else "hate"
    return label, (0.95, f"glorifies '{m.group('target')}' ('{m.group(0)}')")


def dehumanising(text: str) -> tuple[float, str]:
    m = _DEHUMANISE.search(text)
    if m is None or _COUNTER_SPEECH.search(text):
        return 0.0, ""
    return 0.97, f"dehumanises a protected group ('{m.group(0)}')"


def real_person(text: str) -> str | None:
    """The words naming a real, identifiable person ("a real celebrity", "my coworker"), if the prompt has any."""
    m = _REAL_PERSON.search(text)
    return m.group(0) if m else None


def sexualised_real_person(text: str) -> tuple[float, str]:
    person = real_person(text)
    if person is None:
        return 0.0, ""
    sex = _SEXUAL_CUE.search(text)
    if sex is None or _EXPLICIT_EXEMPT.search(text):
        return 0.0, ""
    return 0.97, f"sexualises a real, identifiable person ('{person}', '{sex.group(0)}')"


def targeted_humiliation(text: str) -> tuple[float, str]:
    person = real_person(text)
    cue = _HUMILIATING.search(text) if person else None
    if person is None or cue is None:
        return 0.0, ""
    return 0.95, f"a {cue.group(0)} image aimed at a real person ('{person}')"


def rule_scores(text: str) -> list[tuple[str, tuple[float, str]]]:
    """Every high-precision rule: (label, (score, rationale)), score 0 where the rule does not fire."""
    return [
        ("sexual/minors", sexual_minors(text)),
        ("sexual", explicit_sexual(text)),
        ("sexual", sexualised_real_person(text)),
        ("self_harm", self_harm_method(text)),
        ("self_harm", glorified_self_harm(text)),
        ("hate", dehumanising(text)),
        glorified_atrocity(text),
        ("deception", fake_news_photo(text)),
        ("harassment", targeted_humiliation(text)),
    ]


# Whatever the adult policy blocks, the under18 tier blocks too: a rule's adult label lifts its under18 twin.
SUPERSETS = (("sexual/minors", "sexual"), ("sexual", "sexual/suggestive"), ("self_harm", "self_harm/depiction"),
             ("hate", "hate/symbol_context"))


# The reverse: algospeak that hides a blocked word from a word-level reader ("sewerslide", "the horizontal tango",
# "without a stitch on"), rewritten to the word it stands for before the head and the rules read the prompt. Fixed
# phrases whose only common meaning is the hidden one; an adjective ("spicy", "steamy") only where it qualifies an
# image, so a spicy curry stays a curry.
EUPHEMISMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b{a}\b"), b)
    for a, b in (
        (r"netflix and chill(?:ing)?|(?:the )?horizontal (?:tango|mambo|refreshment)|hanky[- ]panky|"
         r"doing the deed|knocking boots|bumping uglies|adult cuddling|seggs|segs|s\*x", "sex"),
        (r"corn ?(?:star|hub|video|site|film)s?", "porn"),
        (r"(?:spicy|steamy|after-?dark|naughty|lewd|risqu[eé]|x-rated|nsfw|raunchy|r-rated|nudie|smutty|smut) "
         r"(?=(?:\w+ )?(?:image|photo|picture|pic|pics|content|scene|act|shoot|video|selfie|art|drawing|render)s?\b)",
         "sexual "),
        (r"in (?:her|his|their|your|my) birthday suits?|au naturel|without a stitch(?: of clothing)?(?: on)?|"
         r"in the altogether|in the buff|wearing nothing(?: but a smile)?|naked as the day \w+ \w+ born", "nude"),
        (r"sewer ?slide|unaliv(?:e|es|ed|ing)(?: (?:oneself|yourself|myself|themselves|himself|herself))?|"
         r"self-?delet(?:e|es|ed|ing)(?: (?:oneself|yourself|myself))?|the final exit|kms|kys", "suicide"),
        (r"nose candy|booger sugar", "cocaine"),
        (r"little ones|young ones", "children"),
        (r"(?:a|the|this|that) (?:little|young) one(?! of)", "a child"),
    )
)


# Sensitive words of French, Spanish, German, Italian and Portuguese, glossed into English before the English-only
# encoder and the rules read the prompt ("nackte Frau" read as nothing at all). Only words with no common English
# homograph: French "sang" (sang), German "tot" (a toddler) and "Kind" (kind), "corps", "faux", and the names Nina
# and Nino stay untranslated.
_GLOSS: dict[str, str] = {
    # naked / nude
    "nackt": "naked", "nackte": "naked", "nackten": "naked", "nue": "nude", "nues": "nude", "desnudo": "naked",
    "desnuda": "naked", "desnudos": "naked", "desnudas": "naked", "nuda": "naked", "nudi": "naked", "nua": "naked",
    "pelada": "naked", "pelado": "naked",
    # sexual
    "sexuel": "sexual", "sexuelle": "sexual", "sexuell": "sexual", "sexuale": "sexual",
    "sexo": "sex", "sesso": "sex", "sexe": "sex", "porno": "porn", "pornographique": "pornographic",
    "pornográfico": "pornographic", "pornografico": "pornographic", "pornografisch": "pornographic",
    # people
    "frau": "woman", "frauen": "women", "femme": "woman", "femmes": "women", "mujer": "woman", "mujeres": "women",
    "donna": "woman", "mulher": "woman", "mädchen": "girl", "madchen": "girl", "fille": "girl", "niña": "girl",
    "ragazza": "girl", "menina": "girl", "junge": "boy", "garçon": "boy", "garcon": "boy",
    "niño": "child", "niños": "children", "ninos": "children",
    "enfant": "child", "enfants": "children", "bambino": "child", "bambina": "child", "bambini": "children",
    "criança": "child", "crianca": "child", "crianças": "children", "körper": "body", "korper": "body",
    "cuerpo": "body", "corpo": "body",
    # violence and death
    "töten": "kill", "toten": "kill", "tötend": "killing", "tuer": "kill", "tuant": "killing", "matar": "kill",
    "matando": "killing", "uccidere": "kill", "blut": "blood", "blutig": "bloody", "sangre": "blood",
    "sangue": "blood", "sanglant": "bloody", "sangriento": "bloody", "sanguinoso": "bloody", "muerto": "dead",
    "muerta": "dead", "morto": "dead", "leiche": "corpse", "cadavre": "corpse", "cadáver": "corpse",
    "cadaver": "corpse", "folter": "torture", "tortura": "torture", "enthauptung": "beheading",
    "décapitation": "beheading", "decapitación": "beheading", "decapitazione": "beheading", "messer": "knife",
    "couteau": "knife", "cuchillo": "knife", "coltello": "knife", "pistole": "gun", "pistolet": "gun",
    "pistola": "gun", "waffe": "weapon", "waffen": "weapons", "arme": "weapon", "arma": "weapon", "armas": "weapons",
    "bombe": "bomb", "bomba": "bomb", "angriff": "attack", "attaque": "attack", "ataque": "attack",
    "attacco": "attack",
    # self-harm, hate, deception, drugs
    "selbstmord": "suicide", "suicidio": "suicide", "suicídio": "suicide", "handgelenke": "wrists",
    "poignets": "wrists", "muñecas": "wrists", "polsi": "wrists", "hass": "hate", "haine": "hate", "odio": "hate",
    "ódio": "hate", "gefälscht": "fake", "gefalscht": "fake", "falso": "fake", "reisepass": "passport",
    "passeport": "passport", "pasaporte": "passport", "passaporto": "passport", "drogen": "drugs",
    "drogues": "drugs", "drogas": "drugs", "droghe": "drugs",
    # articles and prepositions, so that the rules' constructions read ("un sexual image de un real celebrity")
    "un": "a", "une": "a", "ein": "a", "eine": "a", "einen": "a", "una": "a", "uno": "a", "von": "of",
    "du": "of", "des": "of", "di": "of", "mit": "with", "avec": "with", "con": "with", "com": "with",
    # image words, so that the rules' "photo of" constructions read
    "bild": "image", "imagen": "image", "immagine": "image", "imagem": "image", "foto": "photo",
    "fotografie": "photograph", "fotografía": "photograph", "fotografia": "photograph",
}
# normalize() folds accents ("niño" -> "nino"), so each word is also listed folded, except where the folded form is
# a given name
_GLOSS.update({f: v for k, v in list(_GLOSS.items()) if (f := fold_unicode(k)) not in ("nino", "nina")})
_GLOSS_RE = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, _GLOSS), key=len, reverse=True)) + r")\b")


def gloss_foreign(text: str) -> str:
    return _GLOSS_RE.sub(lambda m: _GLOSS[m.group(0)], text)


# The opening of a follow-up turn ("now change it:", "ok, make it") carries no content, but the encoder averaged it
# in: "now change it: an explicit unclothed snapshot of a woman" scored under the threshold that the ask alone
# passed. The head and the rules read the ask.
_EDIT_OPENING = re.compile(
    r"^(?:(?:ok(?:ay)?|nice|great|cool|thanks|perfect|good|alright|now)[,!.]?\s+)*(?:now\s+)?"
    r"(?:change|make|turn|edit|modify|update|redo|alter|transform)\s+(?:it|this|that|the (?:image|picture|photo))"
    r"(?:\s+(?:into|to|so that it shows))?\s*[:,-]\s*(?=\S+\s+\S+)")


def neutralise_idioms(text: str) -> str:
    text = _EDIT_OPENING.sub("", gloss_foreign(text))
    for rx, plain in IDIOMS:
        text = rx.sub(plain, text)
    for rx, plain in EUPHEMISMS:
        text = rx.sub(plain, text)
    return text


def minor_age(text: str) -> int | None:
    """The smallest stated age under 18, if any ("a 12 year old", "aged 15", "14yo")."""
    ages = [int(g) for m in _AGE.finditer(text) for g in m.groups() if g]
    young = [a for a in ages if a < 18]
    return min(young) if young else None


def child_cue(text: str) -> str | None:
    m = _CHILD.search(text)
    if m:
        return m.group(0)
    age = minor_age(text)
    return f"age {age}" if age is not None else None


def sexual_minors(text: str) -> tuple[float, str]:
    """A child cue and a sexual cue in the same prompt."""
    child = child_cue(text)
    if child is None:
        return 0.0, ""
    sex = _SEXUAL_CUE.search(text)
    if sex is None or (_EXPLICIT_EXEMPT.search(text) and not _EXPLICIT.search(text)):
        return 0.0, ""
    return 0.99, f"child cue '{child}' together with sexual cue '{sex.group(0)}'"


def explicit_sexual(text: str) -> tuple[float, str]:
    m = _EXPLICIT.search(text)
    if m is None or _EXPLICIT_EXEMPT.search(text):
        return 0.0, ""
    return 0.97, f"explicit sexual term '{m.group(0)}'"


def context_scores(text: str) -> dict[str, tuple[float, str]]:
    out = {}
    for label, rx in CONTEXT_CUES.items():
        m = rx.search(text)
        out[label] = (0.9, f"cue '{m.group(0)}'") if m else (0.0, "")
    return out
