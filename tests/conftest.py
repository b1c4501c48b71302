"""Shared test helpers.

energy/ and bach/ are script folders, not packages, and both have a train.py.
`load_script` imports one file under a unique module name ("energy_train",
"bach_train") with its folder on sys.path, so sibling imports such as
`from model import Model` keep working; `run_script` runs a script the way a
user does, in a fresh interpreter, and returns the finished process.
"""
import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
