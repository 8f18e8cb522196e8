# Cluster topology: reads the TOML file (scripts/cluster.toml by default),
# checks every key against the schema below and returns a Cluster of Nodes.
# Any problem raises TopologyError: one line naming the file, node and key.
import dataclasses
import difflib
import os
import re
import tomllib

ROLES = ("pmon", "mmon", "smon", "gmon")
LOGLEVELS = ("debug", "info", "warn", "err")
TEST_FAULTS = ("pagefault",)
MAX_NODES = 60          # kernel/config.c: CONFIG_MAX_PEERS, less the host entries
HOST_SLOTS = 4          # host endpoints (build/tessera-net) that may join a cluster
HOST_BASE_ID = 240      # their node ids: 240..243, names host0..host3
NAME_RE = re.compile(r"[a-z0-9-]{1,15}")
DISK_MIB = 256          # an smon's disk when the file does not exist yet


REQUIRED = object()


class TopologyError(Exception):
    """A bad topology; str() is the one-line message for the user."""


@dataclasses.dataclass(frozen=True)
class Key:
    kind: str                   # "int", "number", "bool", "str", "table"
    default: object = None      # REQUIRED, None (absent) or a value
    lo: float = None
    hi: float = None
    choices: tuple = None
    pattern: re.Pattern = None


CLUSTER_KEYS = {
    "accel": Key("str", "auto", choices=("auto", "tcg", "kvm")),
    "boot_timeout": Key("number", 60, lo=1, hi=3600),
    "seed": Key("int", 1, lo=0, hi=2**63 - 1),
    "hb_timeout_ms": Key("int", 2000, lo=100, hi=600000),
    "mtu": Key("int", 9000, lo=576, hi=9000),
    "replication": Key("bool", True),
}

NODE_KEYS = {
    "name": Key("str", REQUIRED, pattern=NAME_RE),
    "role": Key("str", REQUIRED, choices=ROLES),
    "memory": Key("int", 64, lo=32, hi=65536),
    "vcpus": Key("int", 1, lo=1, hi=64),
    "selftest": Key("bool", False),
    "loglevel": Key("str", "info", choices=LOGLEVELS),
    "test_fault": Key("str", None, choices=TEST_FAULTS),
    "options": Key("table", {}),
    "disk": Key("str", None),
    "disk_mib": Key("int", None, lo=1, hi=1 << 20),
}

# Node keys that configure the node's QEMU rather than its kernel, and the
# only role each is for.
ROLE_KEYS = {"disk": "smon", "disk_mib": "smon"}

# Keys each role accepts in [node.options], passed to the node's boot config
# as key=value lines (kernel/config.c checks them again). A role that grows an
# option adds it here and documents it in scripts/cluster.toml.
ROLE_OPTIONS = {role: {} for role in ROLES}
ROLE_OPTIONS["pmon"] = {
    "excache_kb": Key("int", None, lo=64, hi=4 << 20),
    "excache_ways": Key("int", None, lo=1, hi=64),
    "excache_policy": Key("str", None, choices=("fifo", "clock")),
}
EXCACHE_DEFAULTS = {"excache_kb": 4096, "excache_ways": 8}


@dataclasses.dataclass(frozen=True)
class Node:
    id: int                     # index in file order
    name: str
    role: str
    memory: int                 # MiB
    vcpus: int
    selftest: bool
    loglevel: str
    test_fault: str             # None when absent
    options: dict
    disk: str = None            # smon: an absolute path, or None for the
                                # launcher's run/<name>.disk
    disk_mib: int = None        # smon: size of a disk file it creates

    @property
    def mac(self):
        return node_mac(self.id)


@dataclasses.dataclass(frozen=True)
class Host:
    """A host endpoint's entry in the cluster map (no VM: tessera-net)."""
    id: int
    name: str
    role: str = "host"

    @property
    def mac(self):
        return "52:54:00:7e:01:%02x" % (self.id - HOST_BASE_ID)


@dataclasses.dataclass(frozen=True)
class Cluster:
    path: str                   # as shown to the user
    accel: str
    boot_timeout: float
    seed: int                   # the fabric's --seed
    hb_timeout_ms: int          # gmon declares a silent node dead after this
    mtu: int                    # bytes after the Ethernet header, every NIC
    replication: bool           # GMM gives each vRegion a backup mmon
    nodes: tuple

    def roles(self):
        return sorted({n.role for n in self.nodes}, key=ROLES.index)

    @property
    def hosts(self):
        return tuple(Host(HOST_BASE_ID + i, f"host{i}") for i in range(HOST_SLOTS))

    def members(self):
        """Everything with a fabric port and a line in the cluster map."""
        return self.nodes + self.hosts


def node_mac(node_id):
    return "52:54:00:7e:00:%02x" % node_id


def load(path, shown=None):
    """Parse and validate the topology at path; shown is how errors name it.
    Relative paths in it are relative to its directory."""
    shown = shown or path
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise TopologyError(f"{shown}: cannot read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise TopologyError(f"{shown}: TOML syntax error: {e}") from None
    return parse(data, shown, os.path.dirname(os.path.abspath(path)))


def parse(data, shown, base):
    for key in data:
        if key not in ("cluster", "node"):
            raise TopologyError(f"{shown}: unknown top-level key '{key}' "
                                "(expected [cluster] and [[node]])")
    cluster = data.get("cluster", {})
    if not isinstance(cluster, dict):
        raise TopologyError(f"{shown}: 'cluster' must be a table ([cluster])")
    settings = check_table(f"{shown}: [cluster]", cluster, CLUSTER_KEYS)
    nodes = parse_nodes(shown, data.get("node", []), base)
    return Cluster(shown, settings["accel"], settings["boot_timeout"],
                   settings["seed"], settings["hb_timeout_ms"], settings["mtu"],
                   settings["replication"], nodes)


def parse_nodes(shown, raw, base):
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise TopologyError(f"{shown}: 'node' must be an array of tables "
                            "([[node]])")
    if not raw:
        raise TopologyError(f"{shown}: no nodes: add at least one [[node]]")
    if len(raw) > MAX_NODES:
        raise TopologyError(f"{shown}: {len(raw)} nodes; at most {MAX_NODES}")
    nodes = tuple(parse_node(shown, i, t, base) for i, t in enumerate(raw))
    check_unique_names(shown, nodes)
    check_unique_disks(shown, nodes)
    check_one_gmon(shown, nodes)
    return nodes


def node_label(shown, index, table):
    name = table.get("name")
    if isinstance(name, str) and NAME_RE.fullmatch(name):
        return f"{shown}: node[{index}] ({name})"
    return f"{shown}: node[{index}]"


def parse_node(shown, index, table, base):
    where = node_label(shown, index, table)
    v = check_table(where, table, NODE_KEYS)
    check_options(where, v["role"], v["options"])
    check_role_keys(where, v)
    if v["role"] == "smon":
        v["disk"] = disk_path(where, v["disk"], base)
        if v["disk_mib"] is None:
            v["disk_mib"] = DISK_MIB
    return Node(id=index, **v)


def check_role_keys(where, v):
    for key, role in ROLE_KEYS.items():
        if v[key] is not None and v["role"] != role:
            raise TopologyError(f"{where}: key '{key}' is for role {role} "
                                f"only, not {v['role']}")


def disk_path(where, disk, base):
    """An smon's disk as an absolute path (None: the launcher's default)."""
    if disk is None:
        return None
    if not disk:
        raise TopologyError(f"{where}: key 'disk' must not be empty")
    return os.path.normpath(os.path.join(base, disk))


def check_options(where, role, options):
    allowed = ROLE_OPTIONS[role]
    for key in options:
        if key not in allowed:
            have = ", ".join(sorted(allowed)) or "none"
            raise TopologyError(f"{where}: unknown key 'options.{key}' "
                                f"(role {role} options: {have})")
    for key, spec in allowed.items():
        if key in options:
            check_value(where, f"options.{key}", spec, options[key])
    if role == "pmon":
        check_excache(where, {**EXCACHE_DEFAULTS, **options})


def check_excache(where, o):
    lines, ways = o["excache_kb"] // 4, o["excache_ways"]
    if o["excache_kb"] % 4 or lines % ways:
        raise TopologyError(f"{where}: options.excache_kb = {o['excache_kb']} is not a "
                            f"whole number of {ways}-way sets of 4 KiB lines")


# Unknown keys are reported before missing or bad ones: a misspelt key is the
# likeliest reason a required one looks absent.
def check_table(where, table, schema):
    for key in table:
        if key not in schema:
            raise TopologyError(f"{where}: unknown key '{key}'"
                                + did_you_mean(key, schema))
    values = {}
    for key, spec in schema.items():
        if key not in table and spec.default is REQUIRED:
            raise TopologyError(f"{where}: missing required key '{key}'")
        if key in table:
            check_value(where, key, spec, table[key])
        values[key] = table.get(key, spec.default)
    return values


def did_you_mean(key, known):
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def toml_repr(value):
    """A value as it would be written in TOML, for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)


TYPE_NAMES = {"int": "an integer", "number": "a number",
              "bool": "true or false", "str": "a string", "table": "a table"}


def has_kind(value, kind):
    # TOML booleans are Python bools, which are ints: exclude them by hand.
    if kind in ("int", "number") and isinstance(value, bool):
        return False
    types = {"int": int, "number": (int, float), "bool": bool, "str": str,
             "table": dict}
    return isinstance(value, types[kind])


def check_value(where, key, spec, value):
    shown = toml_repr(value)
    if not has_kind(value, spec.kind):
        raise TopologyError(f"{where}: key '{key}' must be "
                            f"{TYPE_NAMES[spec.kind]}, not {shown}")
    if spec.lo is not None and not spec.lo <= value <= spec.hi:
        raise TopologyError(f"{where}: key '{key}' = {shown} is out of range "
                            f"{spec.lo}..{spec.hi}")
    if spec.choices and value not in spec.choices:
        raise TopologyError(f"{where}: key '{key}' = {shown} must be one of "
                            + ", ".join(spec.choices))
    if spec.pattern and not spec.pattern.fullmatch(value):
        raise TopologyError(f"{where}: key '{key}' = {shown} must match "
                            f"{spec.pattern.pattern}")


def check_unique_names(shown, nodes):
    first = {}
    for n in nodes:
        if n.name in first:
            raise TopologyError(f"{shown}: duplicate node name '{n.name}' "
                                f"(node[{n.id}] and node[{first[n.name]}])")
        first[n.name] = n.id


# QEMU locks a disk image for writing: two smons on one file would not boot.
def check_unique_disks(shown, nodes):
    first = {}
    for n in nodes:
        if n.disk in first:
            raise TopologyError(f"{shown}: node[{first[n.disk].id}] "
                                f"({first[n.disk].name}) and node[{n.id}] "
                                f"({n.name}) share the disk {n.disk}")
        if n.disk is not None:
            first[n.disk] = n


def check_one_gmon(shown, nodes):
    gmons = [f"node[{n.id}] ({n.name})" for n in nodes if n.role == "gmon"]
    if len(gmons) != 1:
        found = ": " + ", ".join(gmons) if gmons else ""
        raise TopologyError(f"{shown}: exactly one node with role 'gmon' is "
                            f"required, found {len(gmons)}{found}")
