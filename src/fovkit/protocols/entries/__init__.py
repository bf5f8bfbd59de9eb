"""One module per protocol, each registering itself with `fovkit.protocols.registry.register_protocol`.

Modules here stay light at import (heavy imports inside the run function), since the registry imports them all.
"""
