"""Synthetic factor datasets: procedural assets, scene rendering, factor designs and dataset shards."""
