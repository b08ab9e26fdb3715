from vae.ui import text
from vae.ui.text import WORD_JOINER as J
from vae.ui.text import plain


def test_markdown_and_html_in_user_text_are_escaped():
    assert plain("**bold**") == r"\*\*bold\*\*"
    assert plain("![t](http://host/p.png)") == r"\!\[t\](http" + J + "://host/p.png)"
    assert plain("<img src=x onerror=alert(1)>") == r"\<img src=x onerror=alert(1)\>"
    assert plain("$x^2$ ~~no~~ `code` # head | col") == r"\$x^2\$ \~\~no\~\~ \`code\` \# head \| col"


def test_ordinary_text_is_unchanged():
    text = "Read 4 data row(s); using 3 rows of 'a', 'b'. 2024-01-01: ok"
    assert plain(text) == text


def test_bare_addresses_do_not_become_links():
    assert plain("see http://x.io/a.png") == f"see http{J}://x.io/a.png"
    assert plain("WWW.evil.com") == f"WWW{J}.evil.com"
    assert plain("me@x.com") == f"me{J}@x.com"


def test_a_column_keeps_the_same_decimals_on_every_row():
    # The largest value gets 4 significant digits, every row as many decimals.
    assert text.column_format([0.547, 0.41789]) == "%.4f"  # 0.5470 above 0.4179
    assert text.column_format([1250.3, 982.1]) == "%.0f"  # wine's proline: 1250 above 982
    assert text.column_format([12.3, -45.6]) == "%.2f"  # the sign does not count
    assert text.column_format([3e-5, 1e-5]) == "%.8f"  # tiny units: capped, still readable
    assert text.column_format([0.0, float("nan")]) == "%.1f"  # nothing to scale by


def test_a_status_is_a_capitalised_coloured_word():
    assert text.status_badge("finished") == ":green-badge[Finished]"
    assert text.status_badge("diverged") == ":red-badge[Diverged]"
    assert text.badge("[x](http://a)", "gray").startswith(":gray-badge[\\[x\\]")  # user text stays text
