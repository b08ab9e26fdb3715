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
