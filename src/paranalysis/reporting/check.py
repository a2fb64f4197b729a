"""The page check a report must pass before it is published: nothing loaded from the
network, no live markup (scripts, frames, forms, ``on*=`` handlers, script URLs), no code
cells, readable on a phone."""

from __future__ import annotations

import re
from html.parser import HTMLParser


_LOAD_ATTRS = {"src", "href", "data", "srcset", "poster", "background", "action", "formaction", "xlink:href"}
_URL_ATTRS = _LOAD_ATTRS | {"srcdoc", "codebase", "cite", "longdesc", "dynsrc", "lowsrc", "manifest", "ping",
                            "archive", "classid", "profile", "icon", "itemtype", "content"}
_LOADING_TAGS = {"script", "link", "img", "iframe", "frame", "source", "video", "audio", "track", "embed",
                 "object", "input", "image", "use", "svg", "body", "table", "td", "form"}
# elements that run code, show another document or send data: never in a report page
_LIVE_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "base", "portal",
              "fencedframe", "button", "textarea", "select", "input", "isindex", "keygen", "math", "template",
              "noscript", "xmp", "plaintext", "listing"}
_REMOTE = re.compile(r"^\s*(https?:|ftp:|//)", re.I)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?!data:)([^'\")\s]+)", re.I)
_CSS_LIVE = re.compile(r"expression\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding", re.I)
_SCRIPT_SCHEME = re.compile(r"^(javascript|vbscript|livescript|mocha|data):", re.I)
_SAFE_DATA = re.compile(r"^data:image/(png|jpeg|gif|webp|svg\+xml);", re.I)  # the package's embedded figures


def _scheme_text(value: str) -> str:
    """A URL as a browser reads its scheme: control characters and spaces dropped."""
    return re.sub(r"[\x00-\x20\x7f]+", "", value)


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        a = {k.lower(): v for k, v in attrs}
        if tag == "script":
            self.problems.append(f"<script> element ({a.get('src') or 'inline'})")
        elif tag == "base":
            self.problems.append("<base> element")
        elif tag in _LIVE_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and ((a.get("http-equiv") or "").strip().lower() == "refresh" or "url=" in (a.get("content") or "").lower()):
            self.problems.append("<meta http-equiv=refresh>")
        for k, v in attrs:
            k = k.lower()
            if k.startswith("on"):
                self.problems.append(f"<{tag} {k}=...> (script in an attribute)")
            if v is None:
                continue
            if k == "srcdoc":
                self.problems.append(f"<{tag} srcdoc=...> (a document inside an attribute)")
            if k in _URL_ATTRS or k.endswith(":href"):
                for part in (v.split(",") if k == "srcset" else [v]):
                    u = _scheme_text(part)
                    if _SCRIPT_SCHEME.match(u) and not (tag == "img" and k == "src" and _SAFE_DATA.match(u)):
                        self.problems.append(f"<{tag} {k}={v[:60]!r}> (script or document URL)")
                        break
            if tag in _LOADING_TAGS and k in _LOAD_ATTRS and any(_REMOTE.match(part) for part in v.split(",")):
                self.problems.append(f"<{tag} {k}={v!r}> loads from the network")
            if k == "style":
                self._css(v, f"style attribute of <{tag}>")
        if tag == "link" and "stylesheet" in (a.get("rel") or "").lower() and not (a.get("href") or "").startswith("data:"):
            self.problems.append(f"<link rel=stylesheet href={a.get('href')!r}> (external stylesheet)")
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._css(data, "<style>")

    def _css(self, css: str, where: str):
        if re.search(r"@import", css, re.I):
            self.problems.append(f"@import in {where}")
        for m in _CSS_URL.finditer(css):
            self.problems.append(f"url({m.group(1)}) in {where}")
        if _CSS_LIVE.search(css):
            self.problems.append(f"script in CSS ({where})")


_CODE_MARKERS = ("jp-InputArea", "jp-CodeMirrorEditor", "cm-editor", 'class="highlight', "jp-InputPrompt",
                 "In&nbsp;[")


def check_report(html: str) -> list[str]:
    """Problems that make a page unfit for offline leadership use: anything loaded from the
    network (script/link/img/iframe/... src or href, CSS @import or url()), any live markup
    (script, iframe/frame/object/embed/form/base, ``srcdoc``, ``on*=`` handlers,
    ``javascript:``/``vbscript:``/``data:`` URLs other than embedded figures, meta refresh),
    or code cells. Empty list = fit."""
    scan = _Scan()
    scan.feed(html)
    scan.close()
    problems = list(scan.problems)
    for marker in _CODE_MARKERS:
        if marker in html:
            problems.append(f"code cell markup ({marker!r})")
    if 'name="viewport"' not in html:
        problems.append("no viewport meta tag (unreadable on phones)")
    return problems
