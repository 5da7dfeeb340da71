#!/usr/bin/env python3
# check-links.py HTML_DIR INSTALL_DIR: every link of the gtk-doc book in
# HTML_DIR leads to a page that exists, as the book will be read once
# installed in INSTALL_DIR (a link to another book, "../glib/…", is
# resolved from there) and as it is read from the build tree.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import html.parser
import os
import sys
import urllib.parse


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def broken_links(html_dir, install_dir):
    for page in sorted(os.listdir(html_dir)):
        if not page.endswith(".html"):
            continue
        parser = Links()
        with open(os.path.join(html_dir, page), encoding="utf-8") as f:
            parser.feed(f.read())
        for href in parser.hrefs:
            url = urllib.parse.urlparse(href)
            if url.scheme or not url.path:
                continue
            path = urllib.parse.unquote(url.path)
            if os.path.isabs(path):
                targets = [path]
            elif path.startswith("../"):
                # Another book: where it is installed beside this one.
                targets = [os.path.normpath(os.path.join(install_dir, path))]
            else:
                targets = [os.path.join(html_dir, path)]
            for target in targets:
                if not os.path.exists(target):
                    yield page, href, target


def main():
    html_dir, install_dir = sys.argv[1:3]
    broken = list(broken_links(html_dir, install_dir))
    for page, href, target in broken:
        print(f"{page}: {href} leads nowhere ({target})")
    external = 0
    print(f"{len(broken)} broken links")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
