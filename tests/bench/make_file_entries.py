#!/usr/bin/python3
"""Fills a directory with FILE quarantine entries as pyquarantine-milter wrote them (data file
with LF headers and a CRLF body, `.metadata` by json.dump(indent=2)), for benchmarking
`qmilterctl quarantine NAME list` over many entries.

Entry i goes to recipient `user<i % recipients>@bench.example`, so a listing filtered by
one recipient matches entries/recipients of them. Each entry has six short headers; with
--spam-headers it also has those a SpamAssassin-scanned message from a real MTA carries
(X-Spam-Report, X-Spam-Status, DKIM-Signature, Authentication-Results, ...: about 2.5 KB),
for measuring what holding many entries' metadata costs.

usage: tests/bench/make_file_entries.py DIRECTORY [--entries 100000] [--recipients 1000] [--spam-headers]
"""
import argparse
import json
import os
import time

# What a scanned message adds, folded as the MTA received it (the store keeps values as is).
SPAM_REPORT = "\n".join(
    ["Spam detection software, running on the system \"mx.example\","
     "\n\thas identified this incoming email as possible spam.  The original"
     "\n\tmessage has been attached to this so you can view it or label"
     "\n\tsimilar future email.  If you have any questions, see"
     "\n\tpostmaster@example for details."
     "\n\t\n\tContent analysis details:   (12.3 points, 5.0 required)"
     "\n\t\n\t pts rule name              description"
     "\n\t---- ---------------------- --------------------------------------------------"]
    + [f"\t{score:4.1f} {rule:<22} {text}" for score, rule, text in [
        (3.5, "BAYES_99", "BODY: Bayes spam probability is 99 to 100%"),
        (0.2, "BAYES_999", "BODY: Bayes spam probability is 99.9 to 100%"),
        (1.9, "URIBL_ABUSE_SURBL", "Contains an URL listed in the ABUSE SURBL blocklist"),
        (1.7, "URIBL_BLACK", "Contains an URL listed in the URIBL blacklist"),
        (2.7, "RCVD_IN_PSBL", "RBL: Received via a relay in PSBL"),
        (1.3, "RDNS_NONE", "Delivered to internal network by a host with no rDNS"),
        (0.1, "DKIM_SIGNED", "Message has a DKIM or DK signature, not necessarily valid"),
        (-0.1, "DKIM_VALID", "Message has at least one valid DKIM or DK signature"),
        (0.0, "HTML_MESSAGE", "BODY: HTML included in message"),
        (1.0, "MIME_HTML_ONLY", "BODY: Message only has text/html MIME parts"),
    ]])
SPAM_HEADERS = {
    "return-path": "<bounce-7f3a9c@mailer.example.org>",
    "x-original-to": "{rcpt}",
    "delivered-to": "{rcpt}",
    "authentication-results": "mx.example; dkim=pass (2048-bit key; unprotected)\n\theader.d=example.org "
                              "header.i=@example.org header.a=rsa-sha256 header.s=s1\n\theader.b=Qx7pL2aZ; "
                              "spf=pass smtp.mailfrom=bounce-7f3a9c@mailer.example.org; dmarc=pass",
    "dkim-signature": "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;\n\tt=1700000000; "
                      "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n\th=From:To:Subject:Date:Message-ID:"
                      "MIME-Version:Content-Type;\n\tb=" + "\n\t ".join(["Qx7pL2aZ" * 9] * 5),
    "date": "Tue, 14 Nov 2023 10:13:20 +0000",
    "mime-version": "1.0",
    "content-type": "text/html; charset=\"utf-8\"",
    "content-transfer-encoding": "quoted-printable",
    "list-unsubscribe": "<https://mailer.example.org/unsubscribe?u=7f3a9c&l=42>, <mailto:unsub@mailer.example.org>",
    "x-spam-checker-version": "SpamAssassin 4.0.0 (2022-12-13) on mx.example",
    "x-spam-level": "************",
    "x-spam-status": "Yes, score=12.3 required=5.0 tests=BAYES_99,BAYES_999,\n\tDKIM_SIGNED,DKIM_VALID,"
                     "HTML_MESSAGE,MIME_HTML_ONLY,RCVD_IN_PSBL,RDNS_NONE,\n\tURIBL_ABUSE_SURBL,URIBL_BLACK "
                     "autolearn=no autolearn_force=no version=4.0.0",
    "x-spam-report": SPAM_REPORT,
}


def make_entries(directory, entries=100000, recipients=1000, start=None, spam_headers=False):
    os.makedirs(directory, exist_ok=True)
    start = int(time.time()) - entries if start is None else start
    body = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n" * 20).encode()
    for i in range(entries):
        date = start + i
        queue_id = f"{i:010X}"
        qid = time.strftime("%Y%m%d%H%M%S", time.localtime(date)) + "_" + queue_id
        sender = f"sender{i % 977}@example.org"
        rcpt = f"user{i % recipients}@bench.example"
        subject = f"Spam message number {i}"
        headers = {"received": "from client.example (client.example [192.0.2.1]) by mx.example",
                   "from": sender, "to": rcpt, "subject": subject,
                   "message-id": f"<{queue_id}@example.org>", "x-spam-flag": "YES"}
        if spam_headers:
            headers.update({k: v.replace("{rcpt}", rcpt) for k, v in SPAM_HEADERS.items()})
        with open(os.path.join(directory, qid), "wb") as f:
            f.write("".join(f"{k.title()}: {v}\n" for k, v in headers.items()).encode() + b"\n" + body)
        metadata = {"mailfrom": sender, "recipients": [rcpt], "headers": headers, "date": date,
                    "queue_id": queue_id, "subgroups": ["YES"], "named_subgroups": {}}
        with open(os.path.join(directory, qid + ".metadata"), "w") as f:
            json.dump(metadata, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--entries", type=int, default=100000)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--spam-headers", action="store_true", help="add a scanned message's headers (~2.5 KB)")
    args = parser.parse_args()
    make_entries(args.directory, args.entries, args.recipients, spam_headers=args.spam_headers)


if __name__ == "__main__":
    main()
