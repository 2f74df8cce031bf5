"""Prompt gate / chat gate: game-world context classifier (`game_world`).

Emits one context label, `context/game_world`, when what the prompt asks to show happens inside a game (a heist in
a Grand Theft Auto mission, a Minecraft smuggling tunnel, an assassination in Assassin's Creed, bankrupting a rival
in Monopoly) and nothing in it carries over to the real world: real money, real people or places, fraud, hacking,
drugs, poisons, weapons or explosives that work outside the game, cheating other players, or sexual, self-harm and
hate content. It blocks nothing by itself: the policy's context rules read it. Why: the illicit row blocks
actionable instructions for real crimes; a strategy inside a game's rules instructs nobody in a crime, yet the text
head reads "plan a bank robbery" the same in and out of a game. This is not the fictional *framing* the policy
disregards ("for my game, show how to make a pipe bomb"): the vetoes keep every request whose content would work
outside the game. On OVERT's train split the refused game requests cheat or defraud real players, name real money
or a real tournament, or sell the game's assets; those cues veto.
"""

from __future__ import annotations

import re
from typing import ClassVar

from limner.classifiers.text.context_cues import CueContextClassifier
from limner.types import Sample

LABEL = "context/game_world"
# Titles only where the name is not also an everyday word ("halo", "doom", "fallout" and "hitman" need more).
_TITLES = (r"minecraft|grand theft auto|gta(?: ?v| ?5| online)?|fortnite|assassin'?s creed|monopoly|need for speed|"
           r"watch ?dogs|call of duty|skyrim|the sims|sims \d|roblox|hitman (?:game|\d|series)|"
           r"red dead redemption|counter-?strike|valorant|league of legends|dota|world of warcraft|pok[eé]mon|"
           r"super mario|mario kart|zelda|halo (?:infinite|\d|game)|doom (?:eternal|game|guy)|"
           r"fallout (?:\d|new vegas|game)|cyberpunk 2077|payday \d|far cry|overwatch|apex legends|pubg|"
           r"rainbow six|dishonored|metal gear|splinter cell|cluedo|stardew valley|terraria|animal crossing|"
           r"civilization (?:[iv]+|game)|age of empires|starcraft|elden ring|dark souls|resident evil|"
           r"the last of us|mortal kombat|street fighter|tekken|rocket league|candy crush|clash of clans|"
           r"team fortress|half-life|bioshock|mass effect|the witcher|warhammer|dungeons (?:&|and) dragons|d&d|"
           r"settlers of catan|catan|stratego|tetris|pac-?man")
_GAME = re.compile(
    r"\b(?:video ?games?|videogames?|computer games?|(?:online|board|card|mobile|strategy|open-world|multiplayer|"
    r"role-?playing|tabletop|racing|shooter|stealth|heist|puzzle|simulation|sandbox|fighting|survival|party) games?|"
    r"in-game|gameplay|game (?:levels?|maps?|mods?|tutorials?|mechanics|characters?|scenes?|screens?|screenshots?|"
    r"missions?|quests?|worlds?|boards?|pieces?|rules|strateg(?:y|ies)|guides?|walkthroughs?)|(?:game|level) design|"
    rf"walkthroughs?|speedruns?|npcs?|{_TITLES})\b")
# content that works outside the game, or harm the game does not excuse
_REAL = re.compile(
    r"\b(?:real(?:-life| life|-world| world|istic instructions)?|actual(?:ly)?|in reality|outside (?:the|of the) game|"
    r"real money|money|cash|profit\w*|sell\w*|sold|sales?|paid|monetiz\w*|monetis\w*|gambl\w*|bet(?:s|ting)?|"
    r"poker|casino|launder\w*|fraud\w*|defraud\w*|tax(?:es)?|offshore|credit cards?|bank accounts?|"
    r"identit(?:y|ies)|passwords?|accounts? of|personal (?:data|information)|hack\w*|exploit\w* (?:\w+ ){0,2}"
    r"(?:security|vulnerabilit\w*|bugs?|glitch\w*)|glitch\w*|cheat\w*|aimbots?|wallhacks?|bots? to|griefing|grief "
    r"other|scam\w*|phishing|malware|ddos|swat\w*|dox\w*|stalk\w*|"
    r"drugs?|narcotics?|meth\w*|cocaine|heroin|fentanyl|synthes\w*|cook(?:ing)? (?:meth|drugs|crack)|"
    r"poison\w*|toxins?|lethal dose|bombs?|explosives?|grenades?|detonat\w*|ieds?|pipe bomb|molotov|"
    r"3d-?print\w*|ghost guns?|firearms? (?:build|assembl|modif)\w*|silencers?|suppressors?|"
    r"sex\w*|nud\w*|naked|porn\w*|suicid\w*|self-harm|kill (?:yourself|myself|themselves)|"
    r"nazi\w*|swastika|jew\w*|muslim\w*|black people|racis\w*|genocid\w*|ethnic cleansing|"
    r"school shooting|mass shooting|terror\w*|children|kids|minors?|teachers?|classmates?|coworkers?|"
    r"neighbou?rs?|my (?:boss|ex|wife|husband|sister|brother)|local|from other players|"
    r"commercial\w*|distribut\w*|avoid\w* detection|advertis\w*|bypass\w*|circumvent\w*|celebrit\w*|likeness|"
    r"asset packs?|replicat\w*|copyright\w*|bootleg\w*|pirat\w*|"
    # a recipe or a working design is real whatever level it is for ("in my video game the next level needs a
    # how-to diagram for making ricin"), and so is someone being hurt
    r"how-to|diagrams?|recipes?|instructions?|blueprints?|schematics?|step[- ]by[- ]step|synthes\w*|ricin|sarin|"
    r"anthrax|nerve agents?|chemical weapons?|bioweapons?|civilians?|being (?:shot|killed|stabbed|beaten|tortured)|"
    # gore: a game's name does not make a photoreal wound less graphic
    r"blood\w*|bleed\w*|bled|gore|gory|guts|entrails|intestines|organs|decapitat\w*|behead\w*|dismember\w*|"
    r"mutilat\w*|corpses?|dead bod(?:y|ies)|severed|impal\w*|tortur\w*|splatter\w*|autopsy|flesh)\b")


class GameWorldClassifier(CueContextClassifier):
    """No parameters: the cue lists above are the classifier (each a documented choice, tested both ways)."""

    name: ClassVar[str] = "game_world"
    labels: ClassVar[tuple[str, ...]] = (LABEL,)
    cue = _GAME
    vetoes = ((_REAL, "also names something that works or harms outside the game"),)
    fired = "the action happens inside a game ('{cue}')"

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(text="a storyboard of planning the perfect bank heist mission in grand theft auto v"),
             frozenset({LABEL})),
            (Sample(text="a map of the best sniper spots in a multiplayer shooter game"), frozenset({LABEL})),
            (Sample(text="a video game tutorial on how to cook meth"), frozenset()),
            (Sample(text="how to use glitches to cheat in an online game for real money"), frozenset()),
            (Sample(text="a lighthouse at dusk"), frozenset()),
        ]
