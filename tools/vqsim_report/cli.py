"""The command line: tools/report.py RESULTS.json... [-o DIR] [--junit FILE] [--rules FILE]."""

import argparse
import os
import sys
import tempfile

from .coverage import DEFAULT_RULES, load_catalogue
from .inputs import (DEFAULT_MAX_EVENTS, InputError, OutputError, Scenario, load_results,
                     locate_pngs, make_anchors)
from .junit import render_junit
from .page import render_html
from .viewer_page import DEFAULT_TEACH, write_viewers


def write_atomic(path, content):
    d = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-", dir=d)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="\n") as f:
                f.write(content)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="report.py",
        description="Make an HTML report and/or JUnit XML from `vqsim run --json` results files.",
        epilog="Exit status: 0 written; 1 an output could not be written; 2 usage error or an "
               "input that is unreadable or not a vqsim results file. Failed scenarios do not "
               "change the exit status.")
    p.add_argument("results", nargs="+", metavar="RESULTS.json",
                   help="results file written by `vqsim run --json FILE`")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="write DIR/index.html (and copies of the scanout PNGs)")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML to FILE")
    p.add_argument("--rules", metavar="FILE", default=DEFAULT_RULES,
                   help="the rule catalogue for the coverage table (default: spec/rules.yaml "
                        "of this checkout)")
    p.add_argument("--teach", metavar="FILE", default=DEFAULT_TEACH,
                   help="where the step-through viewer opens each lesson (default: "
                        "scenarios/tour/viewer.yml of this checkout)")
    p.add_argument("--max-events", type=int, default=DEFAULT_MAX_EVENTS, metavar="N",
                   help=f"trace events shown per scenario (default {DEFAULT_MAX_EVENTS})")
    args = p.parse_args(argv)
    if not args.output and not args.junit:
        p.error("nothing to write: give -o DIR and/or --junit FILE")
    if args.max_events < 0:
        p.error("--max-events must be 0 or more")
    return args


def run(argv):
    args = parse_args(argv)
    docs = [(path, load_results(path)) for path in args.results]
    scenarios = [Scenario(sc, path, i) for path, doc in docs for i, sc in enumerate(doc["scenarios"])]
    make_anchors(scenarios)
    if args.output:
        try:
            os.makedirs(args.output, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create {args.output}: {e.strerror or e}") from None
        locate_pngs(scenarios, args.output)
        write_viewers(scenarios, args.output, write_atomic, args.teach)
        write_atomic(os.path.join(args.output, "index.html"),
                     render_html(docs, scenarios, args.max_events, load_catalogue(args.rules),
                                 args.rules))
    if args.junit:
        write_atomic(args.junit, render_junit(scenarios))
    return 0


def main(argv=None):
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except InputError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 2
    except OutputError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug here must not hide the results behind a traceback
        if os.environ.get("VQSIM_REPORT_DEBUG"):
            raise
        print(f"report.py: internal error: {type(e).__name__}: {e} "
              "(set VQSIM_REPORT_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1
