"""Search keys of one token: its Latin form, its phonetic keys, its spelling neighbours.

Pure functions over single strings, applied once per distinct token when the search index is
built (and to a query's tokens when it is searched), so a mark written in Cyrillic, Greek,
Hebrew, Arabic, Thai, Hangul, kana or Han is indexed under the Latin spelling a person would
type:

- `latin_forms(token)`: the token's Latin transliteration, normalised to one lower-case word
  of letters and digits (accents dropped). Most scripts go through `anyascii`'s per-character
  tables, with fixes where a table alone reads wrongly: Thai vowels written before their
  consonant are moved after it; Hebrew vav/yod/alef/ayin/he and Arabic waw/ya/alef/ta marbuta
  are read as the vowels they mostly stand for in brand names; modern Greek μπ/ντ/γκ. Han is
  read twice, Mandarin pinyin (`pypinyin`) and Japanese (`pykakasi`); text with kana is read as
  Japanese (Hepburn, long vowels shortened: toukyou -> tokyo), and kana and Hangul a second
  time without the vowels they add after consonants in loanwords.
- `plural_variants(word)`: the word's other number (apples <-> apple), tried at query time.
- `loose_form(word)`: the word with voicing, vowel quality, l/r and doubled letters merged: the
  form a score compares across scripts (ソニー soni and SONY read alike).
- `phonetic_keys(word)`: Double Metaphone (primary and alternate) with L and R merged, since
  kana, Hangul and Thai do not tell them apart (Coca-Cola is コカ・コーラ, koka kora).
- `skeleton(word)`: the consonants of the loose form: what survives scripts written without
  most vowels (Hebrew, Arabic) and the vowels kana and Hangul add (תנובה tnoba and TNUVA are
  both tnp; マツダ matsuda and MAZDA are mtst and mst, one consonant apart).
- `sound_keys(word)` and `near_sound_keys(word)`: the keys a word is found by for sounding
  alike (its phonetic keys and skeleton), and those of the words one consonant of skeleton apart.
- `deletion_keys(word)`: the word and its one-letter deletions (SymSpell): two words share one
  of these keys when they are at most two edits apart, which finds typos through an index; the
  same for phonetic keys of five sounds or more (`key_deletion_keys`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pykakasi
from anyascii import anyascii
from metaphone import doublemetaphone
from pypinyin import lazy_pinyin

# Words that add nothing to tell two marks apart: they weigh little in a match and are not
# indexed among applicant names (legal forms).
LEGAL_FORMS = frozenset(
    [
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "plc",
        "co",
        "corp",
        "corporation",
        "company",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "kg",
        "oy",
        "ab",
        "as",
        "aps",
        "pty",
        "pte",
        "bhd",
        "sdn",
        "kk",
        "tbk",
        "jsc",
        "ooo",
        "oao",
        "pjsc",
    ]
)
GENERIC_WORDS = LEGAL_FORMS | frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "de",
        "la",
        "le",
        "el",
        "les",
        "los",
        "das",
        "der",
        "die",
        "group",
        "holding",
        "holdings",
        "international",
        "intl",
        "global",
        "brand",
        "food",
        "shop",
        "store",
        "cafe",
        "coffee",
        "restaurant",
        "bar",
        "bakery",
        "pharma",
        "lab",
        "tech",
        "technology",
        "system",
        "solution",
        "service",
        "product",
        "trading",
        "industry",
        "enterprise",
        "world",
        "express",
        "plus",
        "pro",
        "premium",
        "original",
        "official",
        "new",
    ]
)
# '&' is not a token (tokens are runs of letters, digits and marks), so "and" is dropped too
DROPPED_WORDS = frozenset({"and", "und", "et", "y"})

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_THAI_PREPOSED = re.compile("([\u0e40-\u0e44])([\u0e01-\u0e2e])")
_JAPANESE_LONG = re.compile(r"ou|uu|oo|aa|ii|ee")
# Hebrew and Arabic letters read as the vowels (or the loanword consonants) they mostly stand
# for in brand names; a word-initial alef/ayin carries a vowel
_HEBREW = str.maketrans(
    {
        "\u05d5": "o",
        "\u05d9": "i",
        "\u05d0": "a",
        "\u05e2": "a",
        "\u05d1": "b",
        "\u05e4": "p",
        "\u05db": "k",
        "\u05da": "k",
    }
)
_ARABIC = str.maketrans(
    {
        "\u0648": "u",
        "\u064a": "i",
        "\u0627": "a",
        "\u0623": "a",
        "\u0625": "i",
        "\u0622": "a",
        "\u0629": "a",
        "\u0649": "a",
    }
)
# modern Greek digraphs: b, d, g at the start of a word, mb, nd, ng inside it
_GREEK: list[tuple[re.Pattern[str] | str, str]] = [
    (re.compile("^μπ"), "b"),
    (re.compile("^ντ"), "d"),
    (re.compile("^γκ"), "g"),
    ("μπ", "mb"),
    ("ντ", "nd"),
    ("γκ", "ng"),
    ("γγ", "ng"),
    (re.compile("γι(?=[αεηιοωάέήίόώ])"), "y"),
]
# in loanwords μπ, ντ, γκ are b, d, g inside the word too (Αντίντας is Adidas)
_GREEK_LOANWORD = [("μπ", "b"), ("ντ", "d"), ("γκ", "g")]
# vowels that kana and Hangul add after a consonant a loanword ends or clusters with
# (ペプシ pepushi, 스타벅스 seutabeogseu): dropped in the second reading
_KANA_EPENTHETIC = re.compile(r"(?<=[bcdfghkmnprstz])u(?=[bcdfghkmnprstz]|$)|(?<=[td])o$")
_HANGUL_EPENTHETIC = re.compile(r"(?<=[bcdfghjklmnprstz])eu(?=[bcdfghjklmnprstz]|$)")


def script_of(text: str) -> str:
    """The script most of the text's letters are written in (Latin, Cyrillic, Greek, Hebrew,
    Arabic, Thai, Hangul, Kana, Han or another Unicode script name); '' when it has no letter."""
    if text.isascii():
        return "Latin" if any(c.isalpha() for c in text) else ""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "").split(" ")[0]
            script = {"CJK": "Han", "HIRAGANA": "Kana", "KATAKANA": "Kana"}.get(name, name.title())
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda script: counts[script]) if counts else ""


def _word(latin: str) -> str:
    """One lower-case word of ASCII letters and digits."""
    word = _NON_ALNUM.sub("", latin.lower())
    return "" if word in DROPPED_WORDS else word


def plural_variants(word: str) -> list[str]:
    """The word's other number, as far as spelling tells: apples <-> apple, batteries <-> battery."""
    if len(word) < 3 or not word.isalpha():
        return []
    if word.endswith("ies") and len(word) > 4:
        return [word[:-3] + "y"]
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return [word[:-2]]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return [word[:-1]]
    if word.endswith("y") and word[-2] not in "aeiou":
        return [word[:-1] + "ies"]
    return [word + ("es" if word.endswith(("ch", "sh", "ss", "x", "z")) else "s")]


@lru_cache(maxsize=1)
def _kakasi() -> pykakasi.kakasi:
    """pykakasi's converter, made on first use (a second to load its dictionaries)."""
    return pykakasi.kakasi()  # type: ignore[no-untyped-call]  # pykakasi has no annotations


def _japanese(token: str) -> str:
    reading = "".join(part["hepburn"] for part in _kakasi().convert(token))
    return _JAPANESE_LONG.sub(lambda m: m.group(0)[0], reading)


def _anyascii(token: str, loanword: bool = False) -> str:
    """anyascii's reading, with the fixes for Thai, Hebrew, Arabic and Greek spelling (Greek
    read as a loanword if asked)."""
    if any("\u0e00" <= c <= "\u0e7f" for c in token):
        token = _THAI_PREPOSED.sub(r"\2\1", token)
    elif any("\u0590" <= c <= "\u05ff" for c in token):
        # a word-initial vav or yod is a consonant (v, y), so is a yod before vav; a final he is a vowel
        head = token[0] if token[0] in "\u05d5\u05d9" else token[0].translate(_HEBREW)
        token = head + token[1:].replace("\u05d5\u05d5", "v").replace("\u05d9\u05d5", "yo").translate(_HEBREW)
        token = token[:-1] + "a" if token.endswith("\u05d4") else token
    elif any("\u0600" <= c <= "\u06ff" for c in token):
        head = token[0] if token[0] in "\u0648\u064a" else token[0].translate(_ARABIC)
        token = head + token[1:].replace("\u064a\u0648", "yu").translate(_ARABIC)
    elif any("\u0370" <= c <= "\u03ff" for c in token):
        for digraph, letter in _GREEK_LOANWORD if loanword else []:
            token = token.replace(digraph, letter)
        for pattern, replacement in _GREEK:
            token = (
                pattern.sub(replacement, token)
                if isinstance(pattern, re.Pattern)
                else token.replace(pattern, replacement)
            )
    return anyascii(token)


@lru_cache(maxsize=200_000)
def latin_forms(token: str) -> tuple[str, str]:
    """The token's Latin word, twice: (primary, alternative). They differ for Han, read in
    Mandarin pinyin first and in Japanese second, for kana and Hangul loanwords, read a second
    time without the vowels the script adds after consonants, and for Greek, read a second time
    as a loanword (μπ, ντ, γκ as b, d, g everywhere). '' when nothing is kept."""
    if token.isascii():
        word = _word(token)
        return word, word
    script = script_of(token)
    if script == "Han":
        pinyin = _word("".join(lazy_pinyin(token)))
        return pinyin, _word(_japanese(token)) or pinyin
    if script == "Kana":
        word = _word(_japanese(token))
        return word, _KANA_EPENTHETIC.sub("", word)
    word = _word(_anyascii(token))
    if script == "Hangul":
        return word, _HANGUL_EPENTHETIC.sub("", word)
    if script == "Greek":
        return word, _word(_anyascii(token, loanword=True))
    return word, word


@lru_cache(maxsize=200_000)
def phonetic_keys(word: str) -> tuple[str, ...]:
    """Double Metaphone primary and alternate keys of a Latin word, L and R merged; none for a
    word without letters."""
    keys: list[str] = []
    for metaphone in doublemetaphone(word):
        key = metaphone.replace("L", "R")
        if key and key not in keys:
            keys.append(key)
    return tuple(keys)


_LOOSE_DIGRAPHS = [("ph", "f"), ("ck", "k"), ("sh", "s"), ("x", "ks"), ("h", "")]
_LOOSE_LETTERS = str.maketrans("cqzwyveoglbd", "kksuipiukrpt")
_REPEATS = re.compile(r"(.)\1+")


@lru_cache(maxsize=200_000)
def loose_form(word: str) -> str:
    """The word with the differences that transliteration and brand spelling blur merged: voiced
    and voiceless consonants (b/p, d/t, g/k), l/r, c/k/q, e/i/y, o/u/w, v/b/p, z/s, ph/f, a silent
    or aspirating h, doubled letters. ソニー soni and SONY, كوكا كولا kuka kula and COCA COLA,
    기아 gia and KIA read alike."""
    for digraph, replacement in _LOOSE_DIGRAPHS:
        word = word.replace(digraph, replacement)
    return _REPEATS.sub(r"\1", word.translate(_LOOSE_LETTERS))


_LOOSE_VOWELS = re.compile("[aiu]+")


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """The consonants of the word's loose form, repeats merged (tnuva, תנובה tnoba: tnp)."""
    return _REPEATS.sub(r"\1", _LOOSE_VOWELS.sub("", loose_form(word)))


def _one_less(key: str) -> list[str]:
    return sorted({key[:i] + key[i + 1 :] for i in range(len(key))}) if len(key) >= 3 else []


@lru_cache(maxsize=200_000)
def sound_keys(word: str) -> tuple[str, ...]:
    """The keys a word sounds by: p + each phonetic key, s + its skeleton."""
    bone = skeleton(word)
    return tuple(["p" + key for key in phonetic_keys(word)] + (["s" + bone] if bone else []))


def indexed_sound_keys(word: str) -> list[str]:
    """sound_keys of an indexed word, and d + each skeleton one consonant shorter (skeletons of
    3+ consonants: shorter ones have too many neighbours)."""
    return [*sound_keys(word), *("d" + key for key in _one_less(skeleton(word)))]


def near_sound_keys(word: str) -> list[str]:
    """The indexed_sound_keys of words whose skeleton is one consonant from this word's: longer
    (d + its skeleton), shorter (s + one less) or another (d + one less)."""
    bone = skeleton(word)
    fewer = _one_less(bone)
    return (["d" + bone] if len(bone) >= 2 else []) + ["s" + key for key in fewer] + ["d" + key for key in fewer]


def deletion_keys(word: str, min_length: int = 4) -> list[str]:
    """The word and every one-letter deletion of it (words of 4+ letters, phonetic keys of 5+:
    shorter ones have too many neighbours for a typo to mean anything)."""
    if len(word) < min_length:
        return []
    return sorted({word} | {word[:i] + word[i + 1 :] for i in range(len(word))})


def key_deletion_keys(key: str) -> list[str]:
    """deletion_keys of a phonetic key: Double Metaphone keys one sound apart (STRPKS, STPKS)."""
    return deletion_keys(key, 5)


def max_edits(word: str) -> int:
    """Edits tolerated for a fuzzy match: one for words up to 7 letters, two from 8."""
    return 1 if len(word) < 8 else 2
