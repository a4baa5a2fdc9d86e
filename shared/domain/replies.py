"""Classifying an inbound SMS reply: opt out, opt in, help, confirm, or anything else.

A reply matches a keyword only when the whole message, once normalised, is that keyword: any case,
surrounding spaces and punctuation ignored ("  stop!! ", "Stop.", '"STOP"'), accents ignored ("SÍ"),
and hyphens or underscores read as spaces ("opt-out", "OPT_OUT"). Longer messages are "other" and
become a callback task, so a person reads them: "stopping by tomorrow", "cancel my appointment" (which
asks to cancel a visit, not the texts) and "yes please" are all "other". Because opting out must never
be missed, an "other" reply that contains an opt-out keyword as a whole word is marked
`possible_opt_out` so the coordinator sees it first.

Decisions where DESIGN.md is silent: YES and Y confirm (YES is not opt-in here); SI confirms too, for
Spanish speakers; STOPALL, STOP ALL and OPTOUT opt out, and so do BAJA and CANCELAR (Spanish); UNSTOP
opts in; INFO asks for help.

Free-text revocations: since the FCC's 2025 rule, consent may be revoked "by any reasonable means", so a
longer message that plainly asks for no more texts ("please stop texting me", "don't text me",
"unsubscribe me", "no me envíen más mensajes", "quiero darme de baja") opts out like STOP, with
`free_text` set so that the caller also raises a task (a person reads what else it says). The patterns
ask for a verb of sending next to texts or messages, so "stopping by tomorrow" or "stop the pain" stay
"other". A CANCEL keyword opts out (it is on the carriers' list) but may have been meant for the
appointment: `may_mean_appointment` tells the caller to raise a cancel-request task too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class ReplyIntent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    CONFIRM = "confirm"
    OTHER = "other"


OPT_OUT_KEYWORDS = (
    "STOP",
    "STOPALL",
    "STOP ALL",
    "QUIT",
    "END",
    "REVOKE",
    "OPT OUT",
    "OPTOUT",
    "CANCEL",
    "UNSUBSCRIBE",
    "BAJA",
    "CANCELAR",
)
CANCEL_KEYWORDS = frozenset({"CANCEL", "CANCELAR"})

_SEND = r"(TEXT|TEXTING|TEXTS|MESSAGE|MESSAGES|MESSAGING|SMS|SENDING|CONTACTING|SEND)"
_ES_SEND = r"(ENVIEN|ENVIE|ENVIES|MANDEN|MANDE|MANDES|ESCRIBAN|ESCRIBA|ESCRIBAS|TEXTEEN|TEXTEE)"
REVOCATION_PATTERNS = tuple(re.compile(pattern) for pattern in (
    rf"\bSTOP {_SEND}\b",
    rf"\b(DONT|DON T|DO NOT|NEVER) {_SEND}\b",
    rf"\bNO MORE {_SEND}\b",
    r"\bUNSUBSCRIBE\b",
    r"\bOPT ME OUT\b",
    r"\b(WANT|LIKE|NEED) TO OPT OUT\b",
    r"\b(REMOVE|TAKE) ME (OFF|FROM)\b",
    r"^(PLEASE )?(STOP|QUIT|END|UNSUBSCRIBE)( (PLEASE|NOW|THANKS|THANK YOU|IT))*$",
    rf"\bNO (ME )?(MAS )?{_ES_SEND}\b",
    r"\bNO MAS (MENSAJES|TEXTOS|SMS)\b",
    r"\bDEJ(EN|E|A|AR) DE (ENVIAR|MANDAR|ESCRIBIR|TEXTEAR)",
    r"\b(DAR|DARME|DAME|DEME|DENME|DARNOS) DE BAJA\b",
    r"\bCANCELAR (LA |MI )?SUSCRIPCION\b",
    r"\bNO QUIERO (RECIBIR )?(MAS )?(MENSAJES|TEXTOS|SMS)\b",
))
OPT_IN_KEYWORDS = ("START", "UNSTOP")
HELP_KEYWORDS = ("HELP", "INFO")
CONFIRM_KEYWORDS = ("C", "YES", "Y", "SI")

KEYWORDS: dict[str, ReplyIntent] = {
    **dict.fromkeys(OPT_OUT_KEYWORDS, ReplyIntent.OPT_OUT),
    **dict.fromkeys(OPT_IN_KEYWORDS, ReplyIntent.OPT_IN),
    **dict.fromkeys(HELP_KEYWORDS, ReplyIntent.HELP),
    **dict.fromkeys(CONFIRM_KEYWORDS, ReplyIntent.CONFIRM),
}


@dataclass(frozen=True)
class Reply:
    intent: ReplyIntent
    keyword: str | None  # the canonical keyword matched, e.g. "OPT OUT"; None for "other"
    normalized: str  # the message as compared: upper case, single spaces, no edge punctuation
    possible_opt_out: bool = False  # "other", but mentions an opt-out keyword: a person should look
    free_text: bool = False  # an opt-out written as a sentence: also raise a task for a person

    @property
    def may_mean_appointment(self) -> bool:
        """CANCEL opts out, but the patient may have meant the appointment the text was about."""
        return self.keyword in CANCEL_KEYWORDS


def normalize_reply(text: str) -> str:
    """Upper case, accents and edge punctuation removed, hyphens and runs of spaces made single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    spaced = re.sub(r"[\s\-_]+", " ", without_accents.upper())
    return _strip_edge_punctuation(spaced)


def _strip_edge_punctuation(text: str) -> str:
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def parse_reply(text: str) -> Reply:
    """The intent of an inbound SMS (see the module docstring for the matching rules)."""
    normalized = normalize_reply(text)
    intent = KEYWORDS.get(normalized)
    if intent is not None:
        return Reply(intent=intent, keyword=normalized, normalized=normalized)
    words = " ".join(re.findall(r"[A-Z0-9]+", normalized))
    if any(pattern.search(words) for pattern in REVOCATION_PATTERNS):
        return Reply(intent=ReplyIntent.OPT_OUT, keyword=None, normalized=normalized, free_text=True)
    mentions = any(re.search(rf"\b{keyword}\b", words) for keyword in OPT_OUT_KEYWORDS)
    return Reply(intent=ReplyIntent.OTHER, keyword=None, normalized=normalized, possible_opt_out=mentions)
