"""Search keys of one token, checked against the libraries' published tables and rules."""

from __future__ import annotations

from warehouse.search_keys import (
    deletion_keys,
    indexed_sound_keys,
    latin_forms,
    loose_form,
    max_edits,
    near_sound_keys,
    phonetic_keys,
    plural_variants,
    script_of,
    skeleton,
    sound_keys,
)


def test_latin_forms_per_script():
    # anyascii's tables: С=S о=o н=n я=ya; Σ=S ό=o ν=n ι=i α=a; Revised Romanization 삼=sam 성=seong
    assert latin_forms("Соня") == ("sonya", "sonya")
    assert latin_forms("Σόνια") == ("sonia", "sonia")
    assert latin_forms("삼성") == ("samseong", "samseong")
    # kana in Hepburn; Han in pinyin (dōng jīng) and in Japanese (Tōkyō, the long vowel shortened)
    assert latin_forms("トヨタ") == ("toyota", "toyota")
    assert latin_forms("東京") == ("dongjing", "tokyo")
    # Thai โ is written before ต but read after it; Hebrew vav and final he, Arabic waw read as
    # vowels, a word-initial alef as one; modern Greek μπ is b at the start of a word, mb inside it
    assert latin_forms("โตโยต้า") == ("toyota", "toyota")
    assert latin_forms("טויוטה") == ("toyota", "toyota")
    assert latin_forms("אסם") == ("asm", "asm")
    assert latin_forms("تويوتا") == ("tuyuta", "tuyuta")
    assert latin_forms("μπαρ")[0] == "bar" and latin_forms("ολυμπος")[0] == "olymbos"
    # kana and Hangul loanwords read a second time without the vowels the script adds
    assert latin_forms("ペプシ") == ("pepushi", "pepshi")
    assert latin_forms("스타벅스") == ("seutabeogseu", "stabeogs")


def test_latin_forms_normalise_case_and_accents():
    assert latin_forms("Müller") == ("muller", "muller")
    assert latin_forms("APPLES") == ("apples", "apples")
    assert latin_forms("and") == ("", "")  # "&" is no token, so "and" is dropped too


def test_plural_variants():
    assert plural_variants("apples") == ["apple"] and plural_variants("apple") == ["apples"]
    assert plural_variants("batteries") == ["battery"] and plural_variants("battery") == ["batteries"]
    assert plural_variants("boxes") == ["box"] and plural_variants("box") == ["boxes"]
    assert plural_variants("glass") == ["glasses"]  # -ss is not a plural
    assert plural_variants("7up") == []


def test_script_of():
    assert [script_of(t) for t in ["Sonya", "Соня", "삼성", "コカ", "東京", "ไทย", "שלום", "سلام", "Νίκη", "2024"]] == [
        "Latin",
        "Cyrillic",
        "Hangul",
        "Kana",
        "Han",
        "Thai",
        "Hebrew",
        "Arabic",
        "Greek",
        "",
    ]


def test_phonetic_keys_double_metaphone_with_l_and_r_merged():
    assert phonetic_keys("sonya") == phonetic_keys("sonia") == ("SN",)
    assert phonetic_keys("samsung") == phonetic_keys("samseong") == ("SMSNK",)
    assert phonetic_keys("cola") == phonetic_keys("kora") == ("KR",)  # Double Metaphone gives KL and KR
    assert phonetic_keys("smith") == ("SM0", "XMT")  # primary and alternate
    assert phonetic_keys("2024") == ()


def test_deletion_keys_find_words_two_edits_apart():
    assert deletion_keys("apple") == ["aple", "appe", "appl", "apple", "pple"]
    assert set(deletion_keys("apple")) & set(deletion_keys("appel"))  # "appl": a transposition
    assert set(deletion_keys("apple")) & set(deletion_keys("ample"))  # "aple": one substitution
    assert not set(deletion_keys("apple")) & set(deletion_keys("angle"))  # two substitutions
    assert deletion_keys("app") == []
    assert (max_edits("kodak"), max_edits("microsoft")) == (1, 2)


def test_loose_form_merges_what_transliteration_blurs():
    assert loose_form("sony") == loose_form("soni") == "suni"  # y/i, o/u
    assert loose_form("cocacola") == loose_form("kukakula") == loose_form("kokakora") == "kukakura"  # c/k, o/u, l/r
    assert loose_form("pepsi") == loose_form("bibsi")  # Arabic has no p: b/p, e/i
    assert loose_form("kia") == loose_form("gia")  # Revised Romanization writes 기 gi
    assert loose_form("shinhan") == loose_form("sinhan") == "sinan"  # sh/s, silent h
    assert loose_form("nike") != loose_form("naiki")
    assert loose_form("tnuva") == loose_form("tnoba") == "tnupa"  # v/b/p (תנובה, Tnuva)


def test_greek_is_read_a_second_time_as_a_loanword():
    # Αντίντας: ντ is nd inside a Greek word, d in the loanword Adidas
    assert latin_forms("αντίντας") == ("andindas", "adidas")


def test_skeletons_and_sound_keys():
    # the loose form's consonants: vowels dropped, repeats merged
    assert skeleton("tnuva") == skeleton("tnoba") == "tnp"
    assert skeleton("mazda") == "mst" and skeleton("matsuda") == "mtst"
    assert sound_keys("mazda") == ("pMST", "smst")  # Double Metaphone MST
    # MAZDA's skeleton is マツダ's one consonant shorter: the query's d key meets the mark's
    assert "dmst" in near_sound_keys("mazda") and "dmst" in indexed_sound_keys("matsuda")
    # and the other way round: 이마트 (imat, mt) is one shorter than emart (mrt)
    assert "smt" in near_sound_keys("emart") and "smt" in indexed_sound_keys("imat")
    assert indexed_sound_keys("ab") == ["pAP", "sp"]  # no shorter skeleton under 3 consonants
