"""Booting and stopping the clusters make bench measures (`tessera up`)."""
import os
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESSERA = [sys.executable, os.path.join(ROOT, "scripts", "tessera")]


def up(run_dir, topology):
    """Boot topology in run_dir; the launcher, once the cluster is ready."""
    launcher = subprocess.Popen(TESSERA + ["up", "-t", topology, "--run-dir", run_dir],
                                stdout=subprocess.PIPE, text=True)
    for line in launcher.stdout:
        if "cluster ready" in line:
            return launcher
    down(launcher)
    sys.exit(f"bench: the cluster of {topology} did not come up")


def down(launcher):
    launcher.send_signal(signal.SIGINT)
    launcher.wait(timeout=30)


def node(run_dir, verb, name):
    """`tessera node VERB NAME` on the cluster in run_dir; exit on failure."""
    out = subprocess.run(TESSERA + ["node", verb, name, "--run-dir", run_dir],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        sys.exit(f"bench: tessera node {verb} {name} failed: {out.stdout}{out.stderr}")
    return out.stdout
