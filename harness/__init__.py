"""The test and benchmark rig: simulated buyers and agents, hostile inputs, fault drills,
the cluster starter and CPU accounting.

It drives the product from outside (`shopbot` never imports it) and lives only in a
checkout: it is not installed with the product and not copied into its image.
"""
