# Command line of scripts/tessera: one argparse subcommand per verb. Exit
# status of `up`: 0 success, 1 a node, the fabric or the environment failed,
# 2 bad usage or topology, 128+N interrupted by signal N before the cluster
# was up. `fault`: 0 ok, 1 the fabric said error, 2 no fabric answers.
# `run` and `shell` become build/tessera-net (docs/running.md): the program's
# status, or the tool's own codes. `put`, `get` and `ls` become `tessera-net fs`
# (a running cluster's vNode files), `image` becomes build/tessera-fs (disk
# images offline; docs/storage.md). `node` talks to the running launcher
# (control.py): 0 ok, 1 refused, 2 no launcher answers.
import argparse
import collections
import os
import sys

from . import control, fabric, topology, up

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
    place = argparse.ArgumentParser(add_help=False)
    place.add_argument("--pmon", metavar="NAME", default="any",
                       help="the process monitor to run on (default: GPM picks)")
    place.add_argument("--vnode", metavar="N", type=int, default=1,
                       help="the virtual server (default 1)")
    r = sub.add_parser(
        "run", parents=[common, place],
        help="run a static ELF on a vNode; this terminal is its terminal",
        description="Run PROG (a static x86-64 ELF on this host) on the running "
        "cluster; its output comes here, our stdin goes to it, Ctrl-C interrupts it, "
        "and the exit status is its own.")
    r.add_argument("prog", metavar="PROG")
    r.add_argument("args", nargs=argparse.REMAINDER, metavar="ARG")
    sub.add_parser(
        "shell", parents=[common, place],
        help="an interactive busybox sh on a vNode",
        description="Debian's busybox sh, interactive, on the running cluster: "
        "type commands, Ctrl-C interrupts the one running, Ctrl-D leaves.")
    n = sub.add_parser(
        "node", parents=[common],
        help="kill, stop, continue or restart a node of the running cluster",
        description="Ask the launcher running the cluster in --run-dir to act on "
        "one node: kill (SIGKILL its QEMU; the launcher goes on), stop (SIGSTOP: "
        "a hung node), cont (SIGCONT), restart (kill if running, boot it again "
        "with the same configuration and disk; returns once it is ready), or "
        "list the nodes' states. Exit status: 0 ok, 1 refused, 2 no launcher.")
    n.add_argument("verb", choices=control.VERBS)
    n.add_argument("name", nargs="?", metavar="NAME")
    files_parsers(sub, common)
    return p


def files_parsers(sub, common):
    """put/get/ls on a running cluster's vNode, image on disk images."""
    p = sub.add_parser("put", parents=[common], help="copy a file to a vNode's disk",
                       description="Copy FILE to VNODE:PATH on the running cluster "
                       "(made durable before the command returns).")
    p.add_argument("file", metavar="FILE")
    p.add_argument("dest", metavar="VNODE:PATH")
    g = sub.add_parser("get", parents=[common], help="copy a file from a vNode's disk",
                       description="Copy VNODE:PATH of the running cluster to FILE "
                       "(default: standard output).")
    g.add_argument("src", metavar="VNODE:PATH")
    g.add_argument("file", metavar="FILE", nargs="?", default="-")
    ls = sub.add_parser("ls", parents=[common], help="list a directory of a vNode")
    ls.add_argument("src", metavar="VNODE:PATH")
    i = sub.add_parser(
        "image", parents=[common], help="build, list, extract or check a disk image",
        description="Disk images offline, with build/tessera-fs: build DIR IMG "
        "[MIB], ls IMG [PATH], extract IMG PATH DESTDIR, put IMG SRC PATH, get IMG "
        "PATH DEST, check IMG. --vnode N picks the vNode whose files PATH names.")
    i.add_argument("--vnode", metavar="N", type=int, default=1,
                   help="the virtual server (default 1)")
    i.add_argument("words", nargs=argparse.REMAINDER, metavar="ARG")


BUSYBOX = "/bin/busybox"


def vnode_path(arg):
    """VNODE:PATH as (vnode, path), or None."""
    vnode, sep, path = arg.partition(":")
    return (vnode, path) if sep and vnode.isdigit() and path.startswith("/") else None


def files_argv(args):
    """The tool command line a put, get, ls or image stands for; None: bad usage."""
    build = os.path.abspath(args.build_dir)
    if args.command == "image":
        return [os.path.join(build, "tessera-fs"), "--vnode", str(args.vnode),
                *args.words]
    where = vnode_path(args.dest if args.command == "put" else args.src)
    if not where:
        return None
    net = [os.path.join(build, "tessera-net"), "--run-dir",
           os.path.abspath(args.run_dir), "fs"]
    if args.command == "put":
        return net + ["put", where[0], args.file, where[1]]
    if args.command == "get":
        return net + ["get", where[0], where[1], args.file]
    return net + ["ls", where[0], where[1]]


def files_main(args):
    argv = files_argv(args)
    if argv is None:
        print("tessera: name a vNode's file as VNODE:PATH, e.g. 1:/bin/busybox",
              file=sys.stderr)
        return 2
    try:
        os.execv(argv[0], argv)
    except OSError as e:
        print(f"tessera: cannot run {argv[0]}: {e.strerror}", file=sys.stderr)
        return 2


def tool_argv(args, prog, prog_args):
    """build/tessera-net's command line that runs prog on the cluster."""
    return [os.path.join(os.path.abspath(args.build_dir), "tessera-net"),
            "--run-dir", os.path.abspath(args.run_dir), "run", args.pmon,
            "--vnode", str(args.vnode), prog, *prog_args]


def run_main(args):
    """Become tessera-net: the terminal stays ours, and so do signals."""
    if args.command == "shell":
        argv = tool_argv(args, BUSYBOX, ["sh", "-i"])
    else:
        argv = tool_argv(args, args.prog, args.args)
    try:
        os.execv(argv[0], argv)
    except OSError as e:
        print(f"tessera: cannot run {argv[0]}: {e.strerror}", file=sys.stderr)
        return 2


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
    if args.command in ("run", "shell"):
        return run_main(args)
    if args.command == "node":
        return control.node_main(os.path.abspath(args.run_dir), args.verb, args.name)
    if args.command in ("put", "get", "ls", "image"):
        return files_main(args)
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
