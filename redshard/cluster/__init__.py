"""Cluster: key slots, cluster state, routing decisions, the cluster bus and nodes.conf."""
