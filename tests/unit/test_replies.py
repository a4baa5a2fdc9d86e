import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.replies import KEYWORDS, ReplyIntent, normalize_reply, parse_reply

OPT_OUT = ["STOP", "QUIT", "END", "REVOKE", "OPT OUT", "CANCEL", "UNSUBSCRIBE", "STOPALL"]


@pytest.mark.parametrize("keyword", OPT_OUT)
@pytest.mark.parametrize(
    "dress", ["{}", "{lower}", "{title}", "  {}  ", "{}.", "  {lower}!! ", '"{}"', "({title})"]
)
def test_opt_out_keywords_in_any_case_with_spaces_or_punctuation(keyword, dress):
    text = dress.format(keyword, lower=keyword.lower(), title=keyword.title())
    reply = parse_reply(text)
    assert reply.intent == ReplyIntent.OPT_OUT
    assert reply.keyword == keyword


@pytest.mark.parametrize("text", ["opt-out", "Opt_Out", "OPTOUT", "opt   out", "stop all", "Ｓｔｏｐ"])
def test_opt_out_spellings(text):
    assert parse_reply(text).intent == ReplyIntent.OPT_OUT


@pytest.mark.parametrize(
    ("text", "intent", "keyword"),
    [
        ("START", ReplyIntent.OPT_IN, "START"),
        (" start. ", ReplyIntent.OPT_IN, "START"),
        ("Unstop", ReplyIntent.OPT_IN, "UNSTOP"),
        ("HELP", ReplyIntent.HELP, "HELP"),
        ("help?", ReplyIntent.HELP, "HELP"),
        ("info", ReplyIntent.HELP, "INFO"),
        ("C", ReplyIntent.CONFIRM, "C"),
        ("c.", ReplyIntent.CONFIRM, "C"),
        ("YES", ReplyIntent.CONFIRM, "YES"),
        ("Yes!", ReplyIntent.CONFIRM, "YES"),
        ("y", ReplyIntent.CONFIRM, "Y"),
        ("Sí", ReplyIntent.CONFIRM, "SI"),
        ("si", ReplyIntent.CONFIRM, "SI"),
    ],
)
def test_other_keywords(text, intent, keyword):
    reply = parse_reply(text)
    assert (reply.intent, reply.keyword) == (intent, keyword)
    assert not reply.possible_opt_out


def test_yes_confirms_and_never_opts_in():
    assert parse_reply("YES").intent == ReplyIntent.CONFIRM


@pytest.mark.parametrize(
    "text",
    [
        "stopping by tomorrow",
        "yes please",
        "Can I come at 3?",
        "the end",
        "STOPP",
        "starter",
        "helpful, thanks",
        "cc",
        "confirm",
        "",
        "   ",
        "?!",
        "🙂",
        "no",
    ],
)
def test_near_misses_are_other(text):
    reply = parse_reply(text)
    assert reply.intent == ReplyIntent.OTHER
    assert reply.keyword is None


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Cancel my appointment", True),
        ("can I cancel and rebook?", True),
        ("stopping by tomorrow", False),
        ("yes please", False),
        ("I'll start on Monday", False),
        ("stop the pain please, when can I come", True),
    ],
)
def test_longer_messages_mentioning_opt_out_are_flagged_for_a_person(text, flagged):
    reply = parse_reply(text)
    assert reply.intent == ReplyIntent.OTHER
    assert reply.possible_opt_out is flagged


@pytest.mark.parametrize(
    "text",
    [
        "please stop texting me",
        "Stop sending me messages!",
        "don't text me anymore",
        "Do not text this number",
        "no more texts please",
        "unsubscribe me please",
        "I want to opt-out",
        "please remove me from your list",
        "Stop please",
        "No me envíen más mensajes",
        "no me manden mensajes por favor",
        "Dejen de enviarme mensajes",
        "quiero darme de baja",
        "No quiero recibir más mensajes",
        "no más mensajes",
    ],
)
def test_free_text_revocations_opt_out_and_ask_for_a_person(text):
    # Issue 11: these were only flagged; the FCC's 2025 rule makes any reasonable request a revocation.
    reply = parse_reply(text)
    assert reply.intent == ReplyIntent.OPT_OUT
    assert reply.free_text and reply.keyword is None


@pytest.mark.parametrize(("text", "cancel"), [("CANCEL", True), ("cancelar", True), ("STOP", False), ("baja", False)])
def test_cancel_opts_out_and_may_mean_the_appointment(text, cancel):
    reply = parse_reply(text)
    assert reply.intent == ReplyIntent.OPT_OUT and not reply.free_text
    assert reply.may_mean_appointment is cancel


def test_normalize_reply():
    assert normalize_reply("  opt-out!! ") == "OPT OUT"
    assert normalize_reply("¿Sí?") == "SI"
    assert normalize_reply("Stop\n") == "STOP"
    assert normalize_reply("Can I come at 3?") == "CAN I COME AT 3"


@settings(max_examples=200, deadline=None)
@given(
    keyword=st.sampled_from(sorted(KEYWORDS)),
    casing=st.lists(st.booleans(), min_size=12, max_size=12),
    before=st.text(alphabet=" \t\n.,!?¡¿\"'()*-", max_size=5),
    after=st.text(alphabet=" \t\n.,!?¡¿\"'()*-", max_size=5),
)
def test_any_casing_and_edge_punctuation_keep_the_keyword(keyword, casing, before, after):
    cased = "".join(char.lower() if lower else char for char, lower in zip(keyword, casing, strict=False))
    reply = parse_reply(f"{before}{cased}{after}")
    assert reply.intent == KEYWORDS[keyword]
    assert reply.keyword == keyword
