#!/usr/bin/env python3
"""What nwbinspector (the NWB community's checker) reports on a file, as JSON on stdout: one
entry per message with its importance (CRITICAL, BEST_PRACTICE_VIOLATION,
BEST_PRACTICE_SUGGESTION), the check that raised it, where and why. The simulator's tests require
no CRITICAL message and no violation.

Usage: <python with nwbinspector> nwbinspector_summary.py FILE.nwb
Exit status 3 when nwbinspector is not importable (the test then skips)."""
import json
import sys
import warnings

try:
    from nwbinspector import inspect_nwbfile
except ImportError:
    sys.exit(3)

warnings.simplefilter("ignore")  # the checker's own deprecation notices are not findings
messages = [{"importance": m.importance.name, "check": m.check_function_name,
             "location": m.location, "message": m.message}
            for m in inspect_nwbfile(nwbfile_path=sys.argv[1])]
print(json.dumps(messages))
