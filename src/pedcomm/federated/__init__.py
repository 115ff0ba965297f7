"""Federated one-stage fits of the survey models: sites keep their rows, the centre gets the pooled estimate.

The centre (pedcomm.federated.centre) iterates as the pooled fit would (pedcomm.federated.iterate);
each site (pedcomm.federated.site) answers with sums of its rows (pedcomm.federated.aggregates),
checked by its disclosure guards (pedcomm.federated.guards) and written to its audit file
(pedcomm.federated.audit) before they leave. Flower (pedcomm.federated.flower) carries the messages
between processes; pedcomm.federated.local carries them within one process.
"""
