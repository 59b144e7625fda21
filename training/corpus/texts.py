"""Sentences for the text-to-speech families: the Asterisk prompt transcripts plus our own.

Reading the same prompts as the real Asterisk speakers makes content useless as a cue; the
extra sentences add variety in length, punctuation and vocabulary.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

ASTERISK_TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")

OWN_SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "The train to Leeds leaves from platform four at twenty past nine.",
        "Could you read the last message again, a little more slowly?",
        "My appointment was moved to Thursday afternoon.",
        "Please hold the door, I am carrying the groceries.",
        "It rained all night, and the river is very high this morning.",
        "Your parcel will arrive between eight and noon tomorrow.",
        "I have never seen a sky quite that colour before.",
        "Turn left at the bakery, then walk two blocks north.",
        "The meeting has been cancelled because the manager is ill.",
        "Hello, this is your bank calling about an unusual payment.",
        "We need milk, eggs, some bread, and a bag of apples.",
        "She said she would call back after lunch.",
        "Is this the right number for the library?",
        "The concert starts at eight, so we should leave by seven.",
        "Please confirm your date of birth and the first line of your address.",
        "A gentle breeze carried the smell of cut grass across the field.",
        "I think the printer on the second floor is out of paper again.",
        "Remember to take your medicine with food.",
        "The quick brown fox jumps over the lazy dog.",
        "Grandma, it's me. I lost my phone and I need some money quickly.",
        "Thank you for waiting. An agent will be with you shortly.",
        "Seventy three thousand, four hundred and twelve.",
        "Why don't we meet at the cafe near the station?",
        "Heavy traffic is expected on the motorway this weekend.",
    ),
    "es": (
        "El tren sale a las nueve y veinte del andén cuatro.",
        "Por favor, repita el último mensaje más despacio.",
        "Mañana lloverá en el norte y hará sol en el sur.",
        "Gracias por llamar. Un agente le atenderá en breve.",
        "Necesitamos leche, huevos y una barra de pan.",
        "La reunión se ha cancelado porque el director está enfermo.",
    ),
    "fr": (
        "Le train part à neuf heures vingt du quai numéro quatre.",
        "Pouvez-vous répéter le dernier message plus lentement ?",
        "Il a plu toute la nuit et la rivière est très haute.",
        "Merci de patienter, un conseiller va vous répondre.",
        "Nous avons besoin de lait, d'oeufs et de pain.",
        "La réunion est annulée car le directeur est malade.",
    ),
    "de": (
        "Der Zug nach Hamburg fährt um neun Uhr zwanzig von Gleis vier.",
        "Bitte wiederholen Sie die letzte Nachricht etwas langsamer.",
        "Es hat die ganze Nacht geregnet, der Fluss ist sehr hoch.",
        "Vielen Dank für Ihre Geduld, ein Mitarbeiter ist gleich für Sie da.",
    ),
    "it": (
        "Il treno parte alle nove e venti dal binario quattro.",
        "Per favore, ripeta l'ultimo messaggio più lentamente.",
        "Ha piovuto tutta la notte e il fiume è molto alto.",
        "Grazie per l'attesa, un operatore risponderà a breve.",
    ),
    "ca": (
        "El tren surt a les nou i vint de l'andana quatre.",
        "Si us plau, repeteix l'últim missatge més a poc a poc.",
        "Ha plogut tota la nit i el riu baixa molt ple.",
    ),
    "pt": (
        "O comboio parte às nove e vinte da linha quatro.",
        "Por favor, repita a última mensagem mais devagar.",
    ),
    "nl": (
        "De trein vertrekt om twintig over negen van spoor vier.",
        "Kunt u het laatste bericht wat langzamer herhalen?",
    ),
    "ru": (
        "Поезд отправляется в девять двадцать с четвёртой платформы.",
        "Пожалуйста, повторите последнее сообщение медленнее.",
        "Всю ночь шёл дождь, и река сегодня очень высокая.",
    ),
    "uk": (
        "Потяг вирушає о дев'ятій двадцять з четвертої платформи.",
        "Будь ласка, повторіть останнє повідомлення повільніше.",
    ),
    "be": (
        "Цягнік адпраўляецца а дзявятай гадзіне з чацвёртай платформы.",
        "Дзякуй, што пачакалі.",
    ),
    "bg": (
        "Влакът тръгва в девет и двадесет от четвърти перон.",
        "Моля, повторете последното съобщение по-бавно.",
    ),
    "el": (
        "Το τρένο φεύγει στις εννέα και είκοσι από την αποβάθρα τέσσερα.",
        "Παρακαλώ επαναλάβετε το τελευταίο μήνυμα πιο αργά.",
    ),
    "pl": (
        "Pociąg odjeżdża o dziewiątej dwadzieścia z peronu czwartego.",
        "Proszę powtórzyć ostatnią wiadomość wolniej.",
    ),
    "cs": (
        "Vlak odjíždí v devět dvacet ze čtvrtého nástupiště.",
        "Zopakujte prosím poslední zprávu pomaleji.",
    ),
    "da": (
        "Toget kører klokken ni og tyve fra spor fire.",
        "Vil du gentage den sidste besked lidt langsommere?",
    ),
    "sv": (
        "Tåget går tjugo över nio från spår fyra.",
        "Kan du upprepa det sista meddelandet lite långsammare?",
    ),
    "nb": (
        "Toget går tjue over ni fra spor fire.",
        "Kan du gjenta den siste meldingen litt saktere?",
    ),
    "fi": (
        "Juna lähtee laiturilta neljä kaksikymmentä yli yhdeksän.",
        "Voisitko toistaa viimeisen viestin hitaammin?",
    ),
    "hu": (
        "A vonat kilenc óra húszkor indul a negyedik vágányról.",
        "Kérem, ismételje meg lassabban az utolsó üzenetet.",
    ),
    "ro": (
        "Trenul pleacă la nouă și douăzeci de la peronul patru.",
        "Vă rog să repetați ultimul mesaj mai rar.",
    ),
    "lt": (
        "Traukinys išvyksta devintą dvidešimt nuo ketvirto perono.",
        "Prašau pakartoti paskutinę žinutę lėčiau.",
    ),
    "sl": (
        "Vlak odpelje ob devetih in dvajset s četrtega perona.",
        "Prosim, ponovite zadnje sporočilo počasneje.",
    ),
    "sk": (
        "Vlak odchádza o deviatej dvadsať zo štvrtého nástupišťa.",
        "Zopakujte prosím poslednú správu pomalšie.",
    ),
    "ga": (
        "Fágann an traein ag fiche tar éis a naoi.",
        "An ndéanfá an teachtaireacht dheireanach a athrá go mall?",
    ),
    "he": ("הרכבת יוצאת בתשע ועשרים מרציף ארבע.", "בבקשה חזור על ההודעה האחרונה לאט יותר."),
    "ar": (
        "يغادر القطار في التاسعة وعشرين دقيقة من الرصيف الرابع.",
        "من فضلك أعد الرسالة الأخيرة ببطء.",
    ),
    "tr": (
        "Tren dokuzu yirmi geçe dördüncü perondan kalkıyor.",
        "Lütfen son mesajı daha yavaş tekrarlayın.",
    ),
}


@cache
def asterisk_transcripts() -> dict[str, str]:
    """Prompt name (e.g. 'digits/1', 'vm-goodbye') -> English transcript; empty if not installed."""
    if not ASTERISK_TRANSCRIPTS.exists():
        return {}
    out: dict[str, str] = {}
    with gzip.open(ASTERISK_TRANSCRIPTS, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith(";") or ":" not in line:
                continue
            name, text = line.split(":", 1)
            text = text.strip()
            if name.strip() and text:
                out[name.strip()] = text
    return out


def is_speech_text(text: str) -> bool:
    """Transcripts in brackets ('[beep tone]') describe sounds, not speech."""
    return bool(text) and not text.startswith("[") and any(ch.isalpha() for ch in text)


def sentences(lang: str) -> list[str]:
    """All sentences available in `lang` (English adds the Asterisk transcripts)."""
    own = list(OWN_SENTENCES.get(lang, ()))
    if lang == "en":
        own += sorted(t for t in asterisk_transcripts().values() if is_speech_text(t))
    return own
