#!/usr/bin/python3
"""Independent re-parse check of the sanitizer's output.

Runs the sanitize_corpus helper over the XSS corpus and re-tokenizes every output with
Python's html.parser (an HTML5-style tokenizer that shares no code with libxml2):
  * only allowed elements and attributes appear, href is "#", img src is the cid: of the
    replacement image, style values pass an independent check of their own;
  * no comment, declaration, processing instruction or raw-text element appears;
  * writing the tokens back with the same escaping gives the output byte for byte, so the
    tokenizer saw exactly the tokens the sanitizer meant (no mutation XSS).
Usage: check_reparse.py <sanitize_corpus> <xss_vectors.txt>
"""
import json
import re
import subprocess
import sys
from html.parser import HTMLParser

ALLOWED_ELEMENTS = set("""a b blockquote br center div em font h1 h2 h3 h4 h5 h6 hr i img li
    ol p pre span strong table tbody td th thead tr tt u ul""".split())
VOID_ELEMENTS = {"br", "hr", "img"}
PLAIN_ATTRIBUTES = set("""align alt bgcolor border cellpadding cellspacing color colspan dir
    face headers height id name rowspan size title type valign value width""".split())
REPLACEMENT_SRC = "cid:removed_for_security_reasons"
DANGEROUS_CSS = ("url(", "expression", "@", "behavior", "behaviour", "javascript:",
                 "vbscript:", "-moz-binding", "image(", "image-set(", "position:fixed",
                 "position:absolute")


def css_is_safe(value):
    """A second, separately written normalization of CSS: comments, escapes, spaces."""
    value = re.sub(r"/\*.*?(\*/|$)", "", value, flags=re.S)

    def unescape(match):
        text = match.group(1)
        if re.fullmatch(r"[0-9a-fA-F]{1,6}\s?", text):
            code = int(text.strip(), 16)
            return chr(code) if 0 < code < 0x110000 else ""
        return text if text not in "\n\r\f" else ""

    value = re.sub(r"\\([0-9a-fA-F]{1,6}\s?|.)", unescape, value, flags=re.S)
    value = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in value)
    value = "".join(c for c in value if ord(c) > 0x20 and ord(c) != 0x7F).lower()
    return not any(token in value for token in DANGEROUS_CSS)


def escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;").replace("\r", "&#13;"))


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.rebuilt = []

    def _tag(self, tag, attrs, self_closing):
        if tag not in ALLOWED_ELEMENTS:
            self.problems.append(f"element <{tag}>")
        seen = set()
        text = "<" + tag
        for name, value in attrs:
            value = "" if value is None else value
            if name in seen:
                self.problems.append(f"duplicate attribute {name}")
            seen.add(name)
            if name == "href":
                ok = tag == "a" and value == "#"
            elif name == "src":
                ok = tag == "img" and value == REPLACEMENT_SRC
            elif name == "style":
                ok = css_is_safe(value)
            else:
                ok = name in PLAIN_ATTRIBUTES
            if not ok:
                self.problems.append(f"attribute {name}={value!r} on <{tag}>")
            text += f' {name}="{escape(value)}"'
        if self_closing != (tag in VOID_ELEMENTS):
            self.problems.append(f"<{tag}> {'self-closed' if self_closing else 'not self-closed'}")
        self.rebuilt.append(text + ("/>" if self_closing else ">"))

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs, False)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs, True)

    def handle_endtag(self, tag):
        if tag not in ALLOWED_ELEMENTS or tag in VOID_ELEMENTS:
            self.problems.append(f"end tag </{tag}>")
        self.rebuilt.append(f"</{tag}>")

    def handle_data(self, data):
        self.rebuilt.append(escape(data))

    def handle_comment(self, data):
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data):
        self.problems.append(f"unknown declaration {data!r}")


def check(output):
    checker = Checker()
    checker.feed(output)
    checker.close()
    problems = checker.problems
    rebuilt = "".join(checker.rebuilt)
    if rebuilt != output:
        problems.append(f"tokens do not round-trip: {rebuilt!r}")
    return problems


def main():
    helper, corpus = sys.argv[1], sys.argv[2]
    result = subprocess.run([helper, corpus], check=True, capture_output=True, text=True)
    lines = result.stdout.splitlines()
    failures = 0
    for number, line in enumerate(lines, 1):
        for setting, output in zip(("replace", "remove", "strip"), json.loads(line)):
            problems = check(output)
            if setting != "replace" and "<img" in output:
                problems.append("img left although images are removed")
            if problems:
                failures += 1
                print(f"vector {number} ({setting}): {output!r}")
                for problem in problems:
                    print(f"    {problem}")
    print(f"{len(lines)} vectors x 3 settings checked, {failures} failing")
    if len(lines) < 150:
        print("the corpus must hold at least 150 vectors")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
