"""DIR/index.html: index.md as one self-contained web page, for a reviewer who opens it in a browser.

The page is rendered from the very text of index.md (Python-Markdown, tables extension), so the two
cannot say different things. It loads nothing from the network: the style is inline and the only
other files it refers to are the reproduction's own tables and figures beside it (relative links).
Values from the package reach the Markdown through pedcomm.validation.report.safe.md, which escapes
anything that could start HTML, so the page holds no markup a package wrote.
"""

from __future__ import annotations

import html

STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; line-height: 1.5;
       max-width: 62rem; margin: 2rem auto; padding: 0 1.5rem; color: #1b1b1b; }
h1 { font-size: 1.7rem; } h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.1rem; }
blockquote { margin: 1rem 0; padding: .6rem 1rem; border-left: 4px solid #b00020; background: #fdf2f4; }
.scroll { overflow-x: auto; max-width: 100%; margin: 1rem 0; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-size: .92rem; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { font-size: .9em; background: #f4f4f4; padding: 0 .2em; overflow-wrap: anywhere; }
img { max-width: 100%; height: auto; border: 1px solid #eee; margin: .5rem 0; }
a { color: #0b57d0; }
p, li, h1, h2, h3, blockquote { overflow-wrap: anywhere; }
@media (max-width: 600px) { body { margin: 1rem auto; padding: 0 .75rem; } }
"""


def index_html(markdown_text: str, title: str = "Reproduction of the published analyses") -> str:
    """The page for ``markdown_text`` (index.md's text)."""
    import markdown

    body = markdown.markdown(markdown_text, extensions=["tables"], output_format="html")
    # every table in a box that scrolls sideways on a narrow screen, so the page keeps the screen's width
    body = body.replace("<table>", "<div class=\"scroll\"><table>").replace("</table>", "</table></div>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<link rel=\"icon\" href=\"data:,\">\n"  # no favicon request: the page asks nothing of any server
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main id=\"reproduction\">\n"
            f"{body}\n</main>\n</body>\n</html>\n")
