"""Protocols that turn backbones into classifiers and run the paper's experiments."""
