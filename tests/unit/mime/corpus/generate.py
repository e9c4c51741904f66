#!/usr/bin/python3
"""Writes the MIME preview corpus: NN-name.eml and NN-name.expect per message.

The messages are built here byte by byte, with Python's own codecs doing the charset
encoding, so the expectations (hand-written Unicode text) are independent of the C++ code.
.expect directives, one per line:
  kind: html|plain|none          what find_text_part must report
  text: S / no-text: S           S must (not) occur in find_text_part's UTF-8
  preview: S / no-preview: S     S must (not) occur in make_preview's HTML (256 KiB cap)
  image_replaced: true|false     make_preview's flag
Run from anywhere: it writes next to itself. Re-run after changing a message here.
"""
import base64
import os
import quopri

HERE = os.path.dirname(os.path.abspath(__file__))
messages = []


def add(name, raw, expect, crlf=False):
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if crlf:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    messages.append((name, raw, expect))


def b64(data):
    return base64.encodebytes(data).decode("ascii")


def qp(data):
    return quopri.encodestring(data).decode("ascii")


HEAD = "From: Sender <sender@example.org>\nTo: rcpt@example.net\nSubject: test\nDate: Tue, 24 Nov 2026 10:00:00 +0000\nMessage-ID: <{n}@example.org>\n"
MIME = HEAD + "MIME-Version: 1.0\n"


def single(n, ctype, body, cte=None, extra=""):
    head = MIME.format(n=n) + f"Content-Type: {ctype}\n" + (f"Content-Transfer-Encoding: {cte}\n" if cte else "") + extra
    return head.encode() + b"\n" + body


# --- plain and html basics
add("plain-no-mime-headers", HEAD.format(n=1) + "\nHello there,\nsecond line.\n",
    ["kind: plain", "text: Hello there,\nsecond line.", "preview: Hello there,<br/>", "preview: second line.",
     "image_replaced: false"])
add("plain-utf8-8bit", single(2, "text/plain; charset=utf-8", "Grüße aus Köln – 東京 😀\n".encode(), "8bit"),
    ["kind: plain", "text: Grüße aus Köln – 東京 😀"])
add("plain-utf8-qp", single(3, "text/plain; charset=UTF-8", qp("Ceci est un café à Paris = bien.\n".encode()).encode(), "quoted-printable"),
    ["kind: plain", "text: Ceci est un café à Paris = bien."])
add("plain-utf8-base64", single(4, "text/plain; charset=utf-8", b64("Zażółć gęślą jaźń\n".encode()).encode(), "base64"),
    ["kind: plain", "text: Zażółć gęślą jaźń"])
add("plain-markup-is-escaped", single(5, "text/plain; charset=us-ascii", b"<script>alert(1)</script> & <b>not bold</b>\n"),
    ["kind: plain", "text: <script>alert(1)</script>", "preview: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;",
     "no-preview: <script", "no-preview: <b>"])
add("html-only-with-script", single(6, "text/html; charset=utf-8",
    b"<html><body><p onclick='x()'>Hi <b>there</b></p><script>alert(1)</script></body></html>\n"),
    ["kind: html", "text: <script>alert(1)</script>", "preview: <p>Hi <b>there</b></p>", "no-preview: script",
     "no-preview: onclick"])
add("html-tracking-images", single(7, "text/html; charset=utf-8",
    b'<p>News</p><img src="http://t.example/open.gif" width="1" height="1"><a href="http://t.example/c?id=1">more</a>\n'),
    ["kind: html", "preview: <img src=\"cid:removed_for_security_reasons\" width=\"1\" height=\"1\"/>",
     "preview: <a href=\"#\">more</a>", "no-preview: t.example", "image_replaced: true"])
add("html-outlook-conditional-comments", single(8, "text/html; charset=utf-8",
    b'<!--[if mso]><style>v\\:* {behavior:url(#default#VML);}</style><![endif]--><div class=WordSection1>'
    b'<p class=MsoNormal>Outlook text<o:p></o:p></p></div><!--[if gte mso 9]><xml><o:shapedefaults/></xml><![endif]-->\n'),
    ["kind: html", "preview: <div><p>Outlook text</p></div>", "no-preview: mso", "no-preview: behavior"])

# --- multipart structures
ALT = """--alt
Content-Type: text/plain; charset=utf-8

plain alternative
--alt
Content-Type: text/html; charset=utf-8

<p>html <i>alternative</i></p>
--alt--
"""
add("alternative-plain-then-html", MIME.format(n=9) + 'Content-Type: multipart/alternative; boundary="alt"\n\n' + ALT,
    ["kind: html", "text: <p>html <i>alternative</i></p>", "no-text: plain alternative"])
add("alternative-html-then-plain", MIME.format(n=10) + 'Content-Type: multipart/alternative; boundary=alt\n\n'
    "--alt\nContent-Type: text/html; charset=utf-8\n\n<p>html first</p>\n--alt\nContent-Type: text/plain\n\nplain second\n--alt--\n",
    ["kind: html", "text: html first"])
add("mixed-alternative-attachment", MIME.format(n=11) + 'Content-Type: multipart/mixed; boundary="mix"\n\n'
    "This is a multi-part message in MIME format.\n--mix\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n" + ALT +
    "--mix\nContent-Type: application/pdf; name=doc.pdf\nContent-Disposition: attachment; filename=doc.pdf\n"
    "Content-Transfer-Encoding: base64\n\n" + b64(b"%PDF-1.4 fake") + "--mix--\n",
    ["kind: html", "text: html <i>alternative</i>", "no-text: multi-part message", "no-text: PDF"])
add("mixed-related-alternative-nested", MIME.format(n=12) + 'Content-Type: multipart/mixed; boundary="l1"\n\n'
    "--l1\nContent-Type: multipart/related; boundary=\"l2\"; type=\"multipart/alternative\"\n\n"
    "--l2\nContent-Type: multipart/alternative; boundary=\"l3\"\n\n"
    "--l3\nContent-Type: text/plain; charset=utf-8\n\nnested plain\n"
    "--l3\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
    + qp('<p>nested <img src="cid:logo@x">html é</p>'.encode()) + "\n--l3--\n"
    "--l2\nContent-Type: image/png\nContent-ID: <logo@x>\nContent-Transfer-Encoding: base64\n\n" + b64(b"\x89PNG....") +
    "--l2--\n--l1\nContent-Type: application/zip; name=a.zip\nContent-Transfer-Encoding: base64\n\n" + b64(b"PK\x03\x04") + "--l1--\n",
    ["kind: html", "text: nested <img src=\"cid:logo@x\">html é", "image_replaced: true",
     "preview: <p>nested <img src=\"cid:removed_for_security_reasons\"/>html é</p>"])
add("inline-text-beats-text-attachment", MIME.format(n=13) + 'Content-Type: multipart/mixed; boundary=b\n\n'
    "--b\nContent-Type: text/html; charset=utf-8\nContent-Disposition: attachment; filename=page.html\n\n<p>attached page</p>\n"
    "--b\nContent-Type: text/plain; charset=utf-8\nContent-Disposition: inline\n\nthe inline text\n--b--\n",
    ["kind: plain", "text: the inline text", "no-text: attached page"])
add("attachments-only", MIME.format(n=14) + 'Content-Type: multipart/mixed; boundary=b\n\n'
    "--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n" + b64(b"%PDF") +
    "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=notes.txt\n\nattached notes\n--b--\n",
    ["kind: none", "preview: no text part", "no-preview: attached notes", "image_replaced: false"])
add("image-only", single(15, "image/gif", b64(b"GIF89a").encode(), "base64"),
    ["kind: none", "preview: no text part"])
add("outer-plain-beats-attached-message-html", MIME.format(n=16) + 'Content-Type: multipart/mixed; boundary=b\n\n'
    "--b\nContent-Type: text/plain; charset=utf-8\n\nsee the forwarded message\n"
    "--b\nContent-Type: message/rfc822\n\nFrom: x@example.com\nSubject: inner\nContent-Type: text/html\n\n<p>inner html</p>\n--b--\n",
    ["kind: plain", "text: see the forwarded message", "no-text: inner html"])
add("attached-message-only", MIME.format(n=17) + 'Content-Type: multipart/mixed; boundary=b\n\n'
    "--b\nContent-Type: message/rfc822\n\nFrom: x@example.com\nSubject: inner\nMIME-Version: 1.0\n"
    "Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n<p>inner =E9t=E9</p>\n--b--\n",
    ["kind: html", "text: <p>inner été</p>"])
deep = "".join(f'--d{i}\nContent-Type: multipart/mixed; boundary="d{i+1}"\n\n' for i in range(12))
deep += "--d12\nContent-Type: text/plain; charset=utf-8\n\ndeep inside\n" + "".join(f"--d{i}--\n" for i in range(12, -1, -1))
add("deeply-nested", MIME.format(n=18) + 'Content-Type: multipart/mixed; boundary="d0"\n\n' + deep,
    ["kind: plain", "text: deep inside"])
add("preamble-and-epilogue-ignored", MIME.format(n=19) + 'Content-Type: multipart/alternative; boundary=b\n\n'
    "preamble text that is not a part\n--b\nContent-Type: text/plain\n\nreal part\n--b--\nepilogue text\n",
    ["kind: plain", "text: real part", "no-text: preamble", "no-text: epilogue"])
add("other-text-subtype-is-not-text", single(20, "text/enriched", b"<bold>enriched</bold>\n"),
    ["kind: none"])

# --- charsets (Python encodes; the expectation is the Unicode original)
CHARSETS = [
    ("iso-8859-1", "latin1", "Déjà vu, señor. Ça coûte 5 £.", "quoted-printable"),
    ("iso-8859-2", "iso-8859-2", "Zażółć gęślą jaźń. Příliš žluťoučký kůň.", "quoted-printable"),
    ("iso-8859-5", "iso-8859-5", "Съешь же ещё этих мягких французских булок.", "8bit"),
    ("iso-8859-7", "iso-8859-7", "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.", "base64"),
    ("iso-8859-15", "iso-8859-15", "Prix: 10 € - œuvre.", "quoted-printable"),
    ("windows-1250", "cp1250", "Šťastný „nový“ rok – ěščřž.", "quoted-printable"),
    ("windows-1251", "cp1251", "Привет, мир! «Ёлка» — №1.", "base64"),
    ("windows-1252", "cp1252", "“Smart quotes” – and … the € sign.", "quoted-printable"),
    ("koi8-r", "koi8_r", "Широкая электрификация южных губерний.", "8bit"),
    ("shift_jis", "shift_jis", "日本語のテキスト、カタカナ。", "base64"),
    ("iso-2022-jp", "iso2022_jp", "こんにちは世界。漢字とかな。", "7bit"),
    ("gb2312", "gb2312", "我能吞下玻璃而不伤身体。", "base64"),
    ("big5", "big5", "我能吞下玻璃而不傷身體。", "quoted-printable"),
    ("euc-kr", "euc_kr", "나는 유리를 먹을 수 있어요.", "base64"),
    ("utf-8", "utf-8", "Unicode ✓ ünïcödé 中文 🎉", "base64"),
]
for index, (label, codec, text, cte) in enumerate(CHARSETS):
    data = (text + "\n").encode(codec)
    body = {"quoted-printable": lambda d: qp(d).encode(), "base64": lambda d: b64(d).encode()}.get(cte, lambda d: d)(data)
    kind = "html" if index % 2 else "plain"
    if kind == "html":
        data_html = ("<p>" + text + "</p>\n").encode(codec)
        body = {"quoted-printable": lambda d: qp(d).encode(), "base64": lambda d: b64(d).encode()}.get(cte, lambda d: d)(data_html)
    add(f"charset-{label}-{cte}", single(21 + index, f"text/{kind}; charset=\"{label.upper() if index % 3 == 0 else label}\"", body, cte),
        [f"kind: {kind}", f"text: {text}", f"preview: {text}"])

add("charset-html-meta-only", single(40, "text/html", b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\"></head>"
    b"<body>" + "Кириллица в meta".encode("cp1251") + b"</body></html>\n", "8bit"),
    ["kind: html", "text: Кириллица в meta"])
add("charset-unknown-degrades", single(41, "text/plain; charset=x-no-such-charset", "ascii stays, ü goes\n".encode("latin1"), "8bit"),
    ["kind: plain", "text: ascii stays, \ufffd goes"])
add("charset-utf8-lying-latin1-bytes", single(42, "text/plain; charset=utf-8", "caf\xe9 cr\xe8me\n".encode("latin1"), "8bit"),
    ["kind: plain", "text: caf\ufffd cr\ufffdme"])
add("charset-ascii-holding-utf8", single(43, "text/plain; charset=us-ascii", "naïve UTF-8 in ascii\n".encode(), "8bit"),
    ["kind: plain", "text: naïve UTF-8 in ascii"])
add("charset-shift-jis-truncated-char", single(44, "text/plain; charset=shift_jis", "日本".encode("shift_jis") + b"\x93", "8bit"),
    ["kind: plain", "text: 日本\ufffd"])

# --- broken and unusual structure
add("missing-content-type-8bit", HEAD.format(n=45) + "MIME-Version: 1.0\n\nNo Content-Type here, ünïcode in UTF-8.\n",
    ["kind: plain", "text: No Content-Type here, ünïcode in UTF-8."])
add("broken-content-type", HEAD.format(n=46) + "MIME-Version: 1.0\nContent-Type: ;;; garbage\n\nbody after a broken header\n",
    ["kind: plain", "text: body after a broken header"])
add("multipart-without-boundary", HEAD.format(n=47) + "MIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--x\nContent-Type: text/html\n\n<b>lost</b>\n--x--\n",
    ["no-preview: <b>", "no-preview: lost</b>"])
add("unterminated-boundary", MIME.format(n=48) + "Content-Type: multipart/alternative; boundary=b\n\n"
    "--b\nContent-Type: text/plain\n\nplain part\n--b\nContent-Type: text/html; charset=utf-8\n\n<p>html never closed",
    ["kind: html", "text: <p>html never closed", "preview: <p>html never closed</p>"])
add("empty-body", HEAD.format(n=49) + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n",
    ["kind: plain", "no-preview: <"])
add("headers-only-no-separator", HEAD.format(n=50).rstrip("\n") + "\n",
    ["no-preview: <script"])
add("eight-bit-headers", "From: Jürgen Müller <jm@example.org>\nTo: Zoë <z@example.net>\nSubject: Grüße – ünïcödé 東京\n"
    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nbody under 8-bit headers\n",
    ["kind: plain", "text: body under 8-bit headers", "no-text: Jürgen"])
add("rfc2047-headers-html", "From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>\nSubject: =?iso-8859-1?q?gr=FC=DFe?=\n"
    "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<h1>Heading</h1><p>para</p>\n",
    ["kind: html", "preview: <h1>Heading</h1><p>para</p>"])
add("crlf-multipart", MIME.format(n=52) + 'Content-Type: multipart/alternative; boundary="c"\n\n'
    "--c\nContent-Type: text/plain\n\nline one\nline two\n--c\nContent-Type: text/html; charset=utf-8\n\n<p>crlf html</p>\n--c--\n",
    ["kind: html", "text: <p>crlf html</p>", "no-text: \r"], crlf=True)
add("crlf-plain-lines", single(53, "text/plain; charset=utf-8", b"first\nsecond\n\nfourth\n"),
    ["kind: plain", "preview: first<br/>\nsecond<br/>\n<br/>\nfourth", "no-preview: \r"], crlf=True)
add("base64-with-garbage", single(54, "text/plain; charset=utf-8",
    b"SGVsbG8g\n!!!d29y\nbGQ=\n", "base64"),
    ["kind: plain", "text: Hello world"])
add("qp-soft-breaks", single(55, "text/html; charset=utf-8",
    b"<p style=3D\"color:red\">soft =\nbreak and =C3=A9</p>\n", "quoted-printable"),
    ["kind: html", "text: <p style=\"color:red\">soft break and é</p>", "preview: <p style=\"color:red\">soft break and é</p>"])
add("odd-case-headers", HEAD.format(n=56) + "MIME-Version: 1.0\ncontent-type: TEXT/HTML; CHARSET=UTF-8\ncontent-transfer-encoding: BASE64\n\n"
    + b64("<p>odd case</p>".encode()),
    ["kind: html", "text: <p>odd case</p>"])
add("html-with-dangerous-css-and-links", single(57, "text/html; charset=utf-8",
    b'<div style="background:url(http://t.example/bg.png)">bg</div><p style="color:blue">ok</p>'
    b'<a href="javascript:alert(1)">js</a><form action="http://x"><input name=q></form><iframe src="http://x"></iframe>\n'),
    ["kind: html", "preview: <div>bg</div><p style=\"color:blue\">ok</p><a href=\"#\">js</a>", "no-preview: form",
     "no-preview: iframe", "no-preview: url("])
add("html-images-removed-setting-irrelevant", single(58, "text/html; charset=utf-8", b"<p>no images here</p>\n"),
    ["kind: html", "image_replaced: false"])


def main():
    for old in os.listdir(HERE):
        if old.endswith((".eml", ".expect")):
            os.remove(os.path.join(HERE, old))
    for number, (name, raw, expect) in enumerate(messages, 1):
        stem = os.path.join(HERE, f"{number:02d}-{name}")
        with open(stem + ".eml", "wb") as f:
            f.write(raw)
        with open(stem + ".expect", "w", encoding="utf-8", newline="\n") as f:
            for line in expect:
                f.write(line.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r") + "\n")
    print(f"{len(messages)} messages written to {HERE}")


if __name__ == "__main__":
    main()
