# Command line of scripts/tessera: one argparse subcommand per verb. Exit
# status of `up`: 0 success, 1 a node, the fabric or the environment failed,
# 2 bad usage or topology, 128+N interrupted by signal N before the cluster
# was up. `fault`: 0 ok, 1 the fabric said error, 2 no fabric answers.
import argparse
import collections
import os
import sys

from . import fabric, topology, up

Dirs = collections.namedtuple("Dirs", "repo run build")


def parser(repo):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-t", "--topology", metavar="FILE",
                        help="topology (default: scripts/cluster.toml)")
    common.add_argument("--run-dir", metavar="DIR",
                        default=os.path.join(repo, "run"),
                        help="node configs, serial logs, pids (default: run/)")
    common.add_argument("--build-dir", metavar="DIR",
                        default=os.path.join(repo, "build"),
                        help="holds iso/<role>.iso (default: build/)")
    p = argparse.ArgumentParser(prog="tessera",
                                description="Tessera cluster launcher")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    u = sub.add_parser("up", parents=[common],
                       help="boot every node of the topology in QEMU")
    u.add_argument("--smoke", action="store_true",
                   help="stop once all nodes are ready; print boot times")
    f = sub.add_parser(
        "fault", parents=[common],
        help="send one command to the running cluster's fabric",
        description="Send one command line to the fabric of the cluster "
        "running in --run-dir and print its reply. Exit status: 0 ok, "
        "1 the fabric answered error, 2 no fabric answers there. With no "
        "words, list the fabric's commands (docs/fabric.md).")
    f.add_argument("words", nargs="*", metavar="WORD",
                   help="the command, e.g. 'loss 0.1' or 'link pmon0 down'")
    return p


def load_topology(repo, path):
    if path is None:
        path = os.path.join(repo, "scripts", "cluster.toml")
        return topology.load(path, up.shown(path))
    return topology.load(path)


def main(repo, argv=None):
    sys.stdout.reconfigure(line_buffering=True)
    args = parser(repo).parse_args(argv)
    if args.command == "fault":
        return fabric.fault_main(os.path.abspath(args.run_dir), args.words)
    try:
        cluster = load_topology(repo, args.topology)
    except topology.TopologyError as e:
        print(f"tessera: {e}", file=sys.stderr)
        return 2
    dirs = Dirs(repo, os.path.abspath(args.run_dir),
                os.path.abspath(args.build_dir))
    if args.command == "up":
        return up.up(cluster, dirs, smoke=args.smoke)
    return 2
