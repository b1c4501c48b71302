"""Shared test helpers.

energy/ and bach/ are script folders, not packages, and both have a train.py.
`load_script` imports one file under a unique module name ("energy_train",
"bach_train") with its folder on sys.path, so sibling imports such as
`from model import Model` keep working; `load_module` imports a module of one
folder whose name is unique (energy's series, lstm_model, ...); `run_script` runs a
script the way a user does, in a fresh interpreter, and returns the finished process.

Markers (declared in setup.cfg):
- `slow`: the test trains a model; `make test-fast` (pytest -m "not slow") leaves it out.
- `needs_abc_tools`: the test runs the Debian ABC tools; where one is missing it is skipped
  with the reason and the command that installs them. `needs_abc_tools("rsvg-convert")`
  names only the tools that test runs.
"""
import contextlib
import importlib
import importlib.util
import io
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ABC_TOOLS = ("abc2midi", "abc2abc", "abcm2ps", "rsvg-convert")
ABC_TOOLS_INSTALL = "sudo apt-get install -y abcmidi abcm2ps librsvg2-bin"


def load_script(relpath):
    path = os.path.join(ROOT, relpath)
    folder = os.path.dirname(path)
    name = "%s_%s" % (os.path.basename(folder), os.path.splitext(os.path.basename(path))[0])
    if name in sys.modules:
        return sys.modules[name]
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_module(folder, name):
    """`import name` with ROOT/folder on sys.path; for modules whose names no other folder
    uses (never train, the name both folders have)."""
    path = os.path.join(ROOT, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    module = importlib.import_module(name)
    assert os.path.dirname(os.path.abspath(module.__file__)) == path, module.__file__
    return module


def call_main(main, argv):
    """Run a script's main(argv) in this process; (stdout, exit code)."""
    out = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out):
        try:
            main(argv)
        except SystemExit as e:
            code = e.code
    return out.getvalue(), code


# The other TensorFlow line's interpreter, for the cross-line checkpoint tests (.ci/run sets it).
OTHER_PYTHON = os.environ.get("BACH_OTHER_PYTHON")


def run_other(*args):
    """Run a command under OTHER_PYTHON from the repository root; the finished process."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([OTHER_PYTHON] + [str(a) for a in args], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=600)


def run_script(relpath, *args, cwd=None, timeout=600, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, relpath)] + [str(a) for a in args],
        cwd=cwd or ROOT, env=full_env, timeout=timeout,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


@pytest.fixture
def script():
    """The `run_script` helper as a fixture."""
    return run_script


def missing_abc_tools(tools=ABC_TOOLS):
    return [tool for tool in tools if shutil.which(tool) is None]


def pytest_collection_modifyitems(config, items):
    """Tests marked needs_abc_tools are skipped, with the reason, where a tool is missing."""
    for item in items:
        marker = item.get_closest_marker("needs_abc_tools")
        if marker is None:
            continue
        missing = missing_abc_tools(marker.args or ABC_TOOLS)
        if missing:
            item.add_marker(pytest.mark.skip(
                reason="needs the ABC tools, missing: %s (install: %s)"
                % (", ".join(missing), ABC_TOOLS_INSTALL)))
