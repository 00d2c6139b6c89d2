"""Strict well-formedness check of report's HTML, and what it holds.

usage: report-html.py page.html
Every element but the void ones must be closed, in order; SVG leaves self-closed or closed.
Prints "ERROR ..." lines for problems, then: figures N, svgs N, figures-with-one-svg N,
scripts N, external N (attributes that would fetch: src, or href not starting with '#').
"""
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


class Strict(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []
        self.figures = self.svgs = self.scripts = self.external = 0
        self.svgs_in_figure = []

    def where(self):
        line, col = self.getpos()
        return f"line {line} col {col}"

    def attrs_check(self, attrs):
        for name, value in attrs:
            if name == "src" or (name == "href" and not (value or "").startswith("#")):
                self.external += 1

    def handle_starttag(self, tag, attrs):
        self.attrs_check(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "figure":
            self.figures += 1
            self.svgs_in_figure.append(0)
        if tag == "svg":
            self.svgs += 1
            if "figure" in self.stack:
                self.svgs_in_figure[-1] += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.attrs_check(attrs)
        if tag in ("svg", "figure", "script"):
            self.errors.append(f"{self.where()}: empty <{tag}/>")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"{self.where()}: </{tag}> of a void element")
        elif not self.stack or self.stack[-1] != tag:
            top = self.stack[-1] if self.stack else "nothing"
            self.errors.append(f"{self.where()}: </{tag}> closes <{top}>")
        else:
            self.stack.pop()

    def handle_decl(self, decl):
        if decl.lower() != "doctype html":
            self.errors.append(f"{self.where()}: unexpected declaration {decl}")

    def unknown_decl(self, data):
        self.errors.append(f"{self.where()}: unknown declaration {data}")


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    p = Strict()
    if not text.startswith("<!DOCTYPE html>"):
        p.errors.append("no <!DOCTYPE html> first")
    p.feed(text)
    p.close()
    if p.stack:
        p.errors.append(f"unclosed at the end: {p.stack}")
    for e in p.errors:
        print("ERROR", e)
    print("figures", p.figures)
    print("svgs", p.svgs)
    print("figures-with-one-svg", sum(1 for n in p.svgs_in_figure if n == 1))
    print("scripts", p.scripts)
    print("external", p.external)


main()
