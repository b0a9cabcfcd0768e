"""`json_reply` on bodies made here, for what the live corpus (tests/core/test_live_whmcs_shapes.py) does
not show: messages after the JSON, plain-text messages, the length the operator is shown, non-objects."""

from __future__ import annotations

from decimal import Decimal

from bot.core.php_output import MESSAGE_LIMIT, JsonReply, json_reply

HTML = (
    "<br />\n<b>Deprecated</b>:  Creation of dynamic property Foo::$bar is deprecated in "
    "<b>/var/www/whmcs/vendor/foo.php</b> on line <b>12</b><br />\n"
)
TEXT = '\nWarning: Undefined array key "x" in /var/www/whmcs/includes/api.php on line 7\n'
REPLY = '{"result":"success","total":1.10}'


def test_plain_json_is_the_reply_with_its_amounts_exact() -> None:
    assert json_reply(REPLY) == JsonReply({"result": "success", "total": Decimal("1.10")})


def test_a_bare_json_value_that_is_not_an_object_is_still_json() -> None:
    """A body that is JSON throughout is WHMCS's to judge; only PHP's wrapping must hold an object."""
    assert json_reply("[1, 2]") == JsonReply([1, 2])
    assert json_reply(HTML + "[1, 2]") is None


def test_the_operator_is_shown_the_first_message_as_plain_text() -> None:
    reply = json_reply(HTML + TEXT + REPLY)
    assert reply is not None
    assert reply.php_message == (
        "Deprecated: Creation of dynamic property Foo::$bar is deprecated in "
        "/var/www/whmcs/vendor/foo.php on line 12"
    )


def test_messages_printed_after_the_json_by_shutdown_functions_are_set_aside() -> None:
    reply = json_reply(REPLY + TEXT)
    assert reply is not None
    assert reply.value == {"result": "success", "total": Decimal("1.10")}
    assert reply.php_message == (
        'Warning: Undefined array key "x" in /var/www/whmcs/includes/api.php on line 7'
    )


def test_php_logging_to_stderr_too_prefixes_php() -> None:
    reply = json_reply("PHP Notice: Undefined index: y in /srv/a.php on line 3\n" + REPLY)
    assert reply is not None and reply.php_message == "PHP Notice: Undefined index: y in /srv/a.php on line 3"


def test_a_long_message_is_cut_to_the_limit_with_an_ellipsis() -> None:
    long = f"Warning: {'x' * 1000} in /srv/a.php on line 3\n"
    reply = json_reply(long + REPLY)
    assert reply is not None and reply.php_message is not None
    assert len(reply.php_message) == MESSAGE_LIMIT
    assert reply.php_message.endswith("…")


def test_anything_but_php_messages_around_the_json_is_not_a_reply() -> None:
    assert json_reply("Hello\n" + REPLY) is None
    assert json_reply(REPLY + "\n<p>Powered by WHMCS</p>") is None
    assert json_reply(HTML + '{"result": "success"') is None, "a cut JSON object"
    assert json_reply("") is None


def test_a_message_needs_its_line_number_to_be_a_php_message() -> None:
    assert json_reply("Warning: something happened\n" + REPLY) is None
