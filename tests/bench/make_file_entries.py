#!/usr/bin/python3
"""Fills a directory with FILE quarantine entries as pyquarantine-milter wrote them (data file
with LF headers and a CRLF body, `.metadata` by json.dump(indent=2)), for benchmarking
`qmilterctl quarantine NAME list` over many entries.

Entry i goes to recipient `user<i % recipients>@bench.example`, so a listing filtered by
one recipient matches entries/recipients of them.

usage: tests/bench/make_file_entries.py DIRECTORY [--entries 100000] [--recipients 1000]
"""
import argparse
import json
import os
import time


def make_entries(directory, entries=100000, recipients=1000, start=None):
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
    args = parser.parse_args()
    make_entries(args.directory, args.entries, args.recipients)


if __name__ == "__main__":
    main()
