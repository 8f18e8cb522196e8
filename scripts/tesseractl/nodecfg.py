# The per-node boot config: a key=value text file handed to the guest through
# QEMU's -fw_cfg name=opt/tessera/config. kernel/ parses it at boot; keep the
# two in step (the keys are documented in scripts/cluster.toml).
import os

FW_CFG_NAME = "opt/tessera/config"
MAX_LINE = 200          # kernel/config.c: CONFIG_MAX_LINE, comments included


def render(cluster, node):
    origin = os.path.basename(cluster.path)
    lines = [
        f"# {node.name}: written by scripts/tessera from {origin}"[:MAX_LINE],
        f"name={node.name}",
        f"id={node.id}",
        f"role={node.role}",
        f"mac={node.mac}",
        f"loglevel={node.loglevel}",
    ]
    if node.selftest:
        lines.append("selftest=1")
    if node.test_fault:
        lines.append(f"test_fault={node.test_fault}")
    lines.append(f"hb_timeout_ms={cluster.hb_timeout_ms}")
    if not cluster.replication:
        lines.append("replication=0")
    lines += [f"{k}={v}" for k, v in sorted(node.options.items())]
    return "\n".join(lines) + "\n" + cluster_map(cluster)


def cluster_map(cluster):
    """One peer line per member, as the kernel and tessera-net read them."""
    return "".join(f"peer={p.id} {p.name} {p.role} {p.mac}\n" for p in cluster.members())
