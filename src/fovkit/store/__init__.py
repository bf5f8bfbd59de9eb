"""Sharded image datasets on disk: codec, manifest, resumable writer, verified streaming loader and exports.

Renders use it; corruptions and counterfactuals write and read their datasets through it too.
"""

from fovkit.store.codec import decode, encode
from fovkit.store.export import export_imagefolder, export_webdataset
from fovkit.store.loader import ImageBatch, ShardedDataset, ShardImageDataset
from fovkit.store.manifest import ImageSpec, Manifest, ShardRecord, read_manifest, write_manifest
from fovkit.store.writer import ShardLayout, image_table, write_shard, write_shards

__all__ = [
    "ImageBatch",
    "ImageSpec",
    "Manifest",
    "ShardImageDataset",
    "ShardLayout",
    "ShardRecord",
    "ShardedDataset",
    "decode",
    "encode",
    "export_imagefolder",
    "export_webdataset",
    "image_table",
    "read_manifest",
    "write_manifest",
    "write_shard",
    "write_shards",
]
