"""The README's Python example runs as written."""

import os
import re

from conftest import REPO


def test_readme_python_example_runs(tmp_path):
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Python"):readme.index("## Examples")]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        scope = {}
        exec(compile(code, "README.md (Python)", "exec"), scope)
    finally:
        os.chdir(cwd)
    assert scope["student"].dale_violations_ == 0
    assert 0.0 < scope["similarity"].mean_cca <= 1.0
