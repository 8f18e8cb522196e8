# tesseractl: the host-side code behind scripts/tessera, the cluster launcher.
# topology.py reads cluster.toml, nodecfg.py writes each node's fw_cfg config,
# qemu.py starts and stops VMs, watch.py follows serial logs, fabric.py runs
# the fabric and `fault`, up.py runs `up`.
