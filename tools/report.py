#!/usr/bin/env python3
"""Turn `vqsim run --json` results into a static HTML report and/or JUnit XML.

    tools/report.py RESULTS.json... [-o DIR] [--junit FILE] [--rules FILE] [--max-events N]

The command of the package tools/vqsim_report/ (its __init__.py says what the report holds;
--help the options). Exit status: 0 written, 1 an output could not be written, 2 usage error or
an input that is unreadable or not a vqsim results file.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from vqsim_report.cli import main  # noqa: E402  (after the path that finds the package)

if __name__ == "__main__":
    sys.exit(main())
