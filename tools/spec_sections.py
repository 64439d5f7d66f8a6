#!/usr/bin/env python3
"""spec_sections.py — the catalogue's rules in every VirtIO version, from the OASIS TC's sources.

Reads the LaTeX sources of the VirtIO specification (github.com/oasis-tcs/virtio-spec) at the
commit of each version below, numbers their sections as the PDF build does (\\chapter ..
\\subparagraph, secnumdepth 5; the \\drivernormative / \\devicenormative macros make numbered
headings; \\appendix switches chapters to letters) and maps every rule of spec/rules.yaml, and
every section a cause cites, from the version its section is of to the same section in every
other version. A section is the same section when it carries the same \\label (the TC's labels are
stable across versions: "sec:Basic Facilities of a Virtio Device / Virtqueues / ..."); failing
that, when its heading path (titles from the chapter down) is the same.

Whether a rule still holds in a version is decided by its text: its `anchor:` (words of its
sentence, for rules the 1.1 catalogue does not have) and, with --catalogue (the 1.1
catalogue of normative statements, verbatim sentences by catalogue id) each sentence a rule covers
is looked for in the mapped section of each version (words compared, LaTeX stripped, section
numbers ignored): `same` (found), `reworded` (a sentence of that section is close), `moved`
(found in another section), `absent`. A rule whose sentences are absent from a version does not
hold in it. Without a catalogue sentence (rules of level informative/implied/device-limit, rules
first stated after 1.1) the section's normative sentences (those with MUST/SHOULD/MAY) are
compared instead: `same` or `changed`.

Writes:
  spec/sections.yaml   versions (tag, commit, REVISION), the section map, and per rule and
                       version: section, title, text status (generated: do not edit)
  spec/rules.yaml      each rule's `sections:` line ({version: section} for every version the rule
                       holds in), inserted or replaced in place (nothing else in the file changes)

Reproduce (the committed files were made with exactly this; needs git and PyYAML only):
  git clone https://github.com/oasis-tcs/virtio-spec /tmp/virtio-spec
  tools/find-python.sh tools/spec_sections.py --git /tmp/virtio-spec \\
      --catalogue /work/shared/spec/virtio-1.1-driver-rules.yaml
  (--check: exit 1 if the files would change, write nothing)

Exit codes: 0 done (or --check: up to date), 1 --check found a difference, 2 bad input.
"""
import argparse
import difflib
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# The versions and the commit each is read at. 1.3 has no csd01/cs01 tag in the TC's repository:
# v1.3-wd02 is the commit whose REVISION names virtio-v1.3-csd01 (06 October 2023); it differs
# from the CSD01 text by editorial fixes (labels, links) only.
VERSIONS = [("1.1", "v1.1-cs01"), ("1.2", "v1.2-cs01"), ("1.3", "v1.3-wd02"), ("1.4", "v1.4-cs01")]

LEVELS = ["chapter", "section", "subsection", "subsubsection", "paragraph", "subparagraph"]
HEADING = re.compile(
    r"\\(?:(?P<norm>drivernormative|devicenormative)\s*\{\\(?P<nlevel>[a-z]+)\}\s*"
    r"|conformance\s*\{\\(?P<clevel>[a-z]+)\}\s*"
    r"|(?P<level>chapter|section|subsection|subsubsection|paragraph|subparagraph)(?P<star>\*?)\s*"
    r"|(?P<appendix>appendix)\b|(?P<label>label)\s*\{|(?P<input>input|include)\s*\{)")


class Source:
    """The files of one version: from a git repository at a commit (or a plain checkout)."""

    def __init__(self, git, rev):
        self.git, self.rev = git, rev

    def read(self, path):
        if self.rev is None:
            p = Path(self.git) / path
            return p.read_text(errors="replace") if p.is_file() else None
        r = subprocess.run(["git", "-C", str(self.git), "show", f"{self.rev}:{path}"],
                           capture_output=True)
        return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else None

    def commit(self):
        if self.rev is None:
            return ""
        return subprocess.run(["git", "-C", str(self.git), "rev-parse", f"{self.rev}^{{commit}}"],
                              capture_output=True, text=True, check=True).stdout.strip()


def strip_comments(text):
    return re.sub(r"(?<!\\)%[^\n]*", "", text)


def braced(text, i):
    """The {...} group starting at text[i] == '{': (content, index after it)."""
    depth, j = 0, i
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1:j], j + 1
        j += 1
    return text[i + 1:], len(text)


def expand(src, path, seen=0):
    """virtio.tex with every \\input / \\include replaced by its file, comments gone."""
    text = src.read(path) or src.read(path + ".tex")
    if text is None or seen > 20:
        return ""
    text = strip_comments(text)
    out, i = [], 0
    for m in re.finditer(r"\\(?:input|include)\s*\{([^}]*)\}", text):
        out.append(text[i:m.start()])
        name = m.group(1).strip()
        out.append(expand(src, name if name.endswith(".tex") else name + ".tex", seen + 1))
        i = m.end()
    out.append(text[i:])
    return "".join(out)


def norm_label(s):
    return " ".join(s.split())


def plain(tex, titles=None):
    """Words of a LaTeX fragment: markup and section numbers gone, lower case; \\nameref{label}
    becomes that section's title (as the PDF prints it)."""
    if titles is not None:
        tex = re.sub(r"\\nameref\s*\{([^}]*)\}",
                     lambda m: " " + titles.get(norm_label(m.group(1)), "") + " ", tex)
    tex = re.sub(r"\\(?:field|emph|textbf|texttt)\s*\{([^{}]*)\}", r"\1", tex)
    # a table is cited by its caption, the last part of its label
    tex = re.sub(r"\\ref\s*\{tab:([^}]*)\}", lambda m: " " + m.group(1).split("/")[-1] + " ", tex)
    tex = re.sub(r"\\(?:ref|nameref|hyperref)\s*(?:\[[^\]]*\])?\s*\{[^}]*\}", " ", tex)
    tex = re.sub(r"\\[a-zA-Z]+\*?", " ", tex)
    tex = re.sub(r"\b\d+(?:\.\d+)+\b", " ", tex)
    return " ".join(re.findall(r"[a-z0-9_]+", tex.lower()))


def normative_sentences(tex, titles):
    parts = re.split(r"(?<=[.:;])\s+|\\item\b|\n\s*\n", tex)
    return [plain(p, titles) for p in parts
            if re.search(r"\b(MUST|SHOULD|MAY|REQUIRED|OPTIONAL)\b", p)]


def title_text(tex):
    tex = re.sub(r"\\(?:field|emph|textbf|texttt)\s*\{([^{}]*)\}", r"\1", tex)
    tex = re.sub(r"\\_", "_", tex)
    tex = re.sub(r"\\[a-zA-Z]+\s*", "", tex)
    return " ".join(tex.replace("{", "").replace("}", "").split())


def parse_sections(text):
    """[{number, title, labels, path, body}] in document order, as the PDF numbers them."""
    counters, appendix, sections, cur = [0] * 6, False, [], None
    pos = 0
    for m in HEADING.finditer(text):
        if m.start() < pos:
            continue
        if cur is not None:
            cur["body"].append(text[pos:m.start()])
        pos = m.end()
        if m.group("appendix"):
            appendix, counters = True, [0] * 6
            continue
        if m.group("label"):
            lab, pos = braced(text, m.end() - 1)
            if cur is not None:
                cur["labels"].append(norm_label(lab))
            continue
        if m.group("input"):
            continue
        level = m.group("nlevel") or m.group("clevel") or m.group("level")
        if level not in LEVELS:
            continue
        star = bool(m.group("star"))
        title, pos = braced(text, pos) if pos < len(text) and text[pos] == "{" else ("", pos)
        if m.group("norm"):
            kind = "Driver" if m.group("norm") == "drivernormative" else "Device"
            title = f"{kind} Requirements: {title}"
            lab, pos = braced(text, text.index("{", pos))
            labels = [("drivernormative:" if kind == "Driver" else "devicenormative:")
                      + norm_label(lab)]
        else:
            labels = []
            if m.group("clevel"):
                title = "Clause: " + title
        d = LEVELS.index(level)
        if star:
            cur = {"number": None, "title": title_text(title), "labels": labels, "body": [],
                   "depth": d}
            continue
        counters[d] += 1
        for k in range(d + 1, 6):
            counters[k] = 0
        first = chr(ord("A") + counters[0] - 1) if appendix else str(counters[0])
        number = ".".join([first] + [str(c) for c in counters[1:d + 1]])
        cur = {"number": number, "title": title_text(title), "labels": labels, "body": [],
               "depth": d}
        sections.append(cur)
    if cur is not None:
        cur["body"].append(text[pos:])
    stack = []
    titles = {lab: s["title"] for s in sections for lab in s["labels"]}
    for s in sections:
        s["body"] = "".join(s["body"])
        stack = stack[:s["depth"]] + [s["title"]]
        s["path"] = " / ".join(stack)
        s["words"] = plain(s["body"], titles)
        s["normative"] = normative_sentences(s["body"], titles)
        s["wordlist"] = s["words"].split()
        s["vocab"] = set(s["wordlist"])
    return sections


class Version:
    def __init__(self, name, tag, src):
        self.name, self.tag, self.src = name, tag, src
        text = expand(src, "virtio.tex")
        begin = text.find("\\begin{document}")  # the preamble defines, it does not number
        self.sections = parse_sections(text[max(begin, 0):])
        self.by_number = {s["number"]: s for s in self.sections}
        self.by_label = {lab: s for s in self.sections for lab in s["labels"]}
        self.by_path = {}
        for s in self.sections:
            self.by_path.setdefault(s["path"].lower(), s)

    def same_section(self, s):
        """This version's section that is `s` of another version (None when it has none)."""
        for lab in s["labels"]:
            if lab in self.by_label:
                return self.by_label[lab]
        return self.by_path.get(s["path"].lower())


def closeness(words, sec):
    """How much of a sentence (its words) the section says, in order: 1.0 when it is there
    verbatim; else the share of its words in runs of 3 or more that the section has in order."""
    if words in sec["words"]:
        return 1.0
    w = words.split()
    if not w or len(set(w) & sec["vocab"]) < 0.6 * len(set(w)):
        return 0.0
    m = difflib.SequenceMatcher(None, w, sec["wordlist"], autojunk=False)
    return sum(b.size for b in m.get_matching_blocks() if b.size >= 3) / len(w)


def locate(words, version):
    """The section of `version` that states the sentence, and how closely (best first)."""
    best, where = 0.0, None
    for s in version.sections:
        if words in s["words"]:
            return s, 1.0
    for s in version.sections:
        c = closeness(words, s)
        if c > best:
            best, where = c, s
    return where, best


def follow(versions, origin, sec, target):
    """Section `sec` of version `origin` in version `target`: by label or heading path, directly
    or else step by step through the versions between (a label renamed in 1.3 is still found
    through 1.2's)."""
    names = list(versions)
    if origin == target:
        return sec
    direct = versions[target].same_section(sec)
    if direct is not None:
        return direct
    i, j = names.index(origin), names.index(target)
    step = 1 if j > i else -1
    cur = sec
    for k in range(i + step, j + step, step):
        cur = versions[names[k]].same_section(cur)
        if cur is None:
            return None
    return cur


def sentence_status(sentence, versions, origin_name, version_name):
    """same | reworded | moved | absent | unknown: one catalogue sentence of the origin version
    in `version` (unknown: not found in the origin version either, so it cannot be followed)."""
    origin, version = versions[origin_name], versions[version_name]
    words = plain(sentence)
    src, score = locate(words, origin)
    if src is None or score < 0.85:
        return "unknown"
    target = follow(versions, origin_name, src, version_name)
    if target is not None:
        c = closeness(words, target)
        if c >= 0.95:
            return "same"
        lead = " ".join(words.split()[:6])
        if c >= 0.6 or (len(lead.split()) == 6 and lead in target["words"]):
            return "reworded"
    where, c = locate(words, version)
    return "moved" if where is not None and c >= 0.95 else "absent"


def rule_text_status(rule, versions, origin_name, origin_sec, home, name, catalogue):
    sentences = [catalogue[c] for c in rule.get("catalogue") or [] if c in catalogue]
    sentences += [rule["anchor"]] if rule.get("anchor") else []
    st = [sentence_status(s, versions, origin_name, name) for s in sentences]
    st = [x for x in st if x != "unknown"]
    if st:
        for worst in ("absent", "moved", "reworded"):
            if worst in st:
                return worst
        return "same"
    if home is None:
        return "absent"
    return "same" if home["normative"] == origin_sec["normative"] else "changed"


def home_of(entry, versions):
    """(version name, section) an entry of rules.yaml is stated in; None when not a section."""
    v = str(entry.get("spec") or "1.1")
    sec = str(entry.get("section") or "")
    if v not in versions or not re.match(r"^\d+(\.\d+)*$", sec):
        return None
    return v, versions[v].by_number.get(sec)


def map_rule(rule, versions, catalogue):
    """{version: {section, title, text}} for every version; section None where it has none."""
    home = home_of(rule, versions)
    if home is None or home[1] is None:
        return None
    origin = home[1]
    if rule.get("anchor") and plain(rule["anchor"]) not in origin["words"]:
        sys.exit(f"spec_sections.py: {rule['id']}: its anchor is not in VirtIO {home[0]} "
                 f"§{origin['number']}")
    out = {}
    for name, v in versions.items():
        sec = follow(versions, home[0], origin, name)
        text = (rule_text_status(rule, versions, home[0], origin, sec, name, catalogue)
                if name != home[0] else "same")
        if name not in rule.get("only_in", [name]):  # a finding about that version alone
            out[name] = {"section": None, "title": None, "text": "absent"}
        elif sec is None:
            out[name] = {"section": None, "title": None, "text": "absent"}
        else:
            out[name] = {"section": sec["number"], "title": sec["title"], "text": text}
    return out


def holds(mapping):
    return {v: m["section"] for v, m in mapping.items()
            if m["section"] is not None and m["text"] != "absent"}


def section_map(versions, origin="1.1"):
    """Every numbered section of `origin`: its number in each version (None: it has none)."""
    out = {}
    for s in versions[origin].sections:
        out[s["number"]] = {n: (follow(versions, origin, s, n) or {}).get("number")
                            for n in versions if n != origin}
    return out


def q(v):
    return "null" if v is None else json.dumps(v, ensure_ascii=False)


def render(meta, catalogue, rules_out, smap):
    """spec/sections.yaml: one line per version, rule place and section."""
    out = ["# Generated by tools/spec_sections.py from the OASIS TC's LaTeX sources (see its",
           "# docstring to reproduce): do not edit. `rules`: where each rule of spec/rules.yaml is",
           "# in each version, and whether its text is the same there (same | reworded | moved |",
           "# changed | absent). `sections`: every numbered 1.1 section, its number in 1.2..1.4.",
           f"catalogue_text: {'yes' if catalogue else 'no'}", "versions:"]
    for n, m in meta.items():
        out.append(f"  {q(n)}: {{" + ", ".join(f"{k}: {q(v)}" for k, v in m.items()) + "}")
    out.append("rules:")
    for rid, m in rules_out.items():
        out.append(f"  {rid}:")
        for n, x in m.items():
            out.append(f"    {q(n)}: {{section: {q(x['section'])}, title: {q(x['title'])}, "
                       f"text: {x['text']}}}")
    out.append("sections:")
    for sec, m in smap.items():
        out.append(f"  {q(sec)}: {{" + ", ".join(f"{q(n)}: {q(v)}" for n, v in m.items()) + "}")
    return "\n".join(out) + "\n"


def flow(mapping):
    return "{" + ", ".join(f'"{k}": "{v}"' for k, v in mapping.items()) + "}"


def rewrite_rules(text, lines_by_id):
    """rules.yaml with each rule's `sections:` line set (inserted after `title:`)."""
    out, current = [], None
    for line in text.splitlines(keepends=True):
        m = re.match(r"^  - id: (\S+)", line)
        if m:
            current = m.group(1)
        elif re.match(r"^  - ", line) or re.match(r"^\S", line):
            current = None
        if current and re.match(r"^    sections: \{", line):
            continue
        out.append(line)
        if current in lines_by_id and re.match(r"^    title: ", line):
            out.append(f"    sections: {lines_by_id[current]}\n")
    return "".join(out)


def load_catalogue(path):
    if not path:
        return {}
    doc = yaml.safe_load(Path(path).read_text())
    out = {}
    for key in ("driver_rules", "device_rules", "packed_rules", "informative_constraints"):
        for e in doc.get(key) or []:
            if e.get("id") and e.get("text"):
                out[e["id"]] = e["text"]
    return out


def generate(args):
    versions, meta = {}, {}
    for name, tag in VERSIONS:
        src = Source(args.git, tag)
        if src.read("virtio.tex") is None:
            sys.exit(f"spec_sections.py: {args.git}: no virtio.tex at {tag}")
        versions[name] = Version(name, tag, src)
        meta[name] = {"tag": tag, "commit": src.commit(),
                      "revision": " ".join((src.read("REVISION") or "").split()),
                      "date": " ".join((src.read("REVISION-DATE") or "").split()),
                      "sections": len(versions[name].sections)}
    catalogue = load_catalogue(args.catalogue)
    rules_path = ROOT / "spec" / "rules.yaml"
    text = rules_path.read_text()
    doc = yaml.safe_load(text)
    rules_out, lines = {}, {}
    for r in doc["rules"]:
        m = map_rule(r, versions, catalogue)
        if m is None:
            continue
        rules_out[r["id"]] = m
        lines[r["id"]] = flow(holds(m))
    out_yaml = render(meta, catalogue, rules_out, section_map(versions))
    new_rules = rewrite_rules(text, lines)
    targets = [(ROOT / "spec" / "sections.yaml", out_yaml), (rules_path, new_rules)]
    if args.check:
        stale = [str(p.relative_to(ROOT)) for p, t in targets
                 if not p.exists() or p.read_text() != t]
        if stale:
            print("spec_sections.py: out of date: " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0
    for p, t in targets:
        p.write_text(t)
    held = {n: sum(1 for m in rules_out.values() if holds(m).get(n)) for n in versions}
    print(f"spec_sections.py: {len(rules_out)} rules mapped; hold in "
          + ", ".join(f"{n}: {held[n]}" for n in versions))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--git", required=True, help="a clone of oasis-tcs/virtio-spec (bare is fine)")
    ap.add_argument("--catalogue", help="the 1.1 catalogue of normative statements (YAML)")
    ap.add_argument("--check", action="store_true", help="exit 1 if the files would change")
    ap.add_argument("--dump", metavar="VERSION", help="print that version's numbered sections")
    args = ap.parse_args(argv)
    if args.dump:
        tag = dict(VERSIONS).get(args.dump)
        if not tag:
            ap.error(f"--dump: one of {', '.join(v for v, _ in VERSIONS)}")
        for s in Version(args.dump, tag, Source(args.git, tag)).sections:
            print(s["number"], s["title"])
        return 0
    return generate(args)


if __name__ == "__main__":
    sys.exit(main())
