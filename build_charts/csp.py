"""The Content-Security-Policy of every page, as a <meta> tag (static hosts do not all allow headers).

One policy for the whole book: everything comes from the site's own origin. Scripts are files,
except the few small inline scripts Material writes into each page (palette, tabs, scope); those
are allowed one by one by the sha256 of their exact text, computed after the page is rendered, so
any other inline script (an injected one included) is refused. Styles keep 'unsafe-inline'
because Plotly and KaTeX set style attributes on the elements they draw.

The simulator page adds what its worker needs (``worker-src blob:``, ``'wasm-unsafe-eval'`` for
Pyodide), and the one package host an author may opt into (docs/authors.md); no other page gets them.
"""

import base64
import hashlib
import re

# An executable inline script: a <script> without src whose type is absent or JavaScript.
# (type="application/json" blocks, such as Material's __config, are data, never run.)
SCRIPT = re.compile(r"<script(?P<attrs>(?:\s[^>]*)?)>(?P<body>.*?)</script>", re.S | re.I)
TYPE = re.compile(r"""\stype\s*=\s*["']?([^"'\s>]+)""", re.I)
JS_TYPES = {"", "text/javascript", "application/javascript", "module"}


def inline_script_hashes(html: str) -> list[str]:
    """'sha256-…' sources for the executable inline scripts of ``html``, in page order, without repeats."""
    hashes = []
    for m in SCRIPT.finditer(html):
        attrs = m.group("attrs") or ""
        if re.search(r"\ssrc\s*=", attrs, re.I):
            continue
        kind = TYPE.search(attrs)
        if (kind.group(1).lower() if kind else "") not in JS_TYPES:
            continue
        digest = hashlib.sha256(m.group("body").encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return list(dict.fromkeys(hashes))


def policy(script_hashes=(), simulator: bool = False, package_origin: str = "") -> str:
    """The policy text. ``package_origin``: the opted-in Pyodide package host (simulator page only)."""
    extra = f" {package_origin}" if simulator and package_origin else ""
    scripts = " ".join(["'self'", *script_hashes])
    if simulator:
        # Pyodide compiles WebAssembly. (The book's worker is a file of the site, which 'self'
        # covers; blob: is the allowance for a worker built in the page, nothing more.)
        scripts += " 'wasm-unsafe-eval'"
    directives = [
        "default-src 'self'",
        f"script-src {scripts}{extra}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src 'self'{extra}",
        "worker-src 'self'" + (" blob:" if simulator else ""),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
    return "; ".join(directives)


def meta(policy_text: str) -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{policy_text}">'


def add_to_page(html: str, simulator: bool = False, package_origin: str = "") -> str:
    """``html`` with its policy as the first element of <head>, so it covers everything after it.

    Call it last, on the final HTML: a script added afterwards would have no hash and be refused.
    """
    text = policy(inline_script_hashes(html), simulator, package_origin)
    return html.replace("<head>", "<head>" + meta(text), 1)
