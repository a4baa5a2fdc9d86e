"""Classifying an inbound SMS reply: opt out, opt in, help, confirm, or anything else.

A reply matches a keyword only when the whole message, once normalised, is that keyword: any case,
surrounding spaces and punctuation ignored ("  stop!! ", "Stop.", '"STOP"'), accents ignored ("SÍ"),
and hyphens or underscores read as spaces ("opt-out", "OPT_OUT"). Longer messages are "other" and
become a callback task, so a person reads them: "stopping by tomorrow", "cancel my appointment" (which
asks to cancel a visit, not the texts) and "yes please" are all "other". Because opting out must never
be missed, an "other" reply that contains an opt-out keyword as a whole word is marked
`possible_opt_out` so the coordinator sees it first.

Decisions where DESIGN.md is silent: YES and Y confirm (YES is not opt-in here); SI confirms too, for
Spanish speakers; STOPALL, STOP ALL and OPTOUT opt out; UNSTOP opts in; INFO asks for help.
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
)
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
    mentions = any(re.search(rf"\b{keyword}\b", words) for keyword in OPT_OUT_KEYWORDS)
    return Reply(intent=ReplyIntent.OTHER, keyword=None, normalized=normalized, possible_opt_out=mentions)
