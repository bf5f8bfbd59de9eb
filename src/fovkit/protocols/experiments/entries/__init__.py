"""One module per variability experiment, each registering itself with `register_experiment`."""
