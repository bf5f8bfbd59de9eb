"""`fovkit predict`: a classifier's top-k predictions on a folder of images or a stored dataset, as one Parquet file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fovkit.cli.options import Quiet, RowFilter
from fovkit.errors import InputError


def predict(
    model: Annotated[
        str,
        typer.Argument(
            metavar="MODEL",
            help="Classifier as source:name\\[@weights], e.g. fovkit:efficientnet_lite0, timm:resnet50, "
            "torchvision:resnet18@/path/to/weights.pth, open_clip:ViT-B-32/openai (with --labels).",
            show_default=False,
        ),
    ],
    source: Annotated[
        Path,
        typer.Argument(
            metavar="SOURCE",
            help="A folder of images (flat or class folders), an ImageNet val folder, or a dataset folder written "
            "by fovkit (rendered, corrupted, counterfactual).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="Output Parquet file (.parquet), read by fovkit analyze and fovkit imagenetx.",
            show_default=False,
        ),
    ],
    weights: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Checkpoint of the model, or random (or write MODEL@PATH). \\[default: its pretrained weights]",
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            metavar="TXT",
            help="Class names, one per line (line i = logit i): needed by zero-shot open_clip models and heads that "
            "are not ImageNet-1k's. \\[default: the model's own]",
        ),
    ] = None,
    top_k: Annotated[
        int | None,
        typer.Option(min=1, metavar="K", help="Classes listed per image. \\[default: 5, or the number of classes]"),
    ] = None,
    logits: Annotated[bool, typer.Option("--logits/--no-logits", help="Also store every logit.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, metavar="N", help="Images per forward pass.")] = 64,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0, metavar="N", help="Processes decoding images (0: none). \\[default: one per core but one, at most 8]"
        ),
    ] = None,
    device: Annotated[str, typer.Option(metavar="DEVICE", help="Torch device: cpu, cuda, cuda:N or auto.")] = "cpu",
    filter: RowFilter = None,
    adapt: Annotated[
        str,
        typer.Option(
            metavar="METHOD",
            help="Test-time adaptation: none, bn (BatchNorm statistics), tent or rpl (self-learning). A copy of the "
            "model adapts over each shard of a dataset (one corruption and severity) or over the whole folder.",
        ),
    ] = "none",
    adapt_setting: Annotated[
        list[str] | None,
        typer.Option(
            "--adapt-setting",
            metavar="KEY=VALUE",
            help="A setting of the adaptation method, e.g. prior=16 for bn or lr=0.00025 for tent (repeatable).",
            show_default="the method's defaults",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace an earlier prediction file of fovkit at FILE, and start over.")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Predict every image of SOURCE with MODEL and write one resumable Parquet file (file_name, top-k, ...)."""
    from fovkit.models import load_classifier
    from fovkit.predict import predict as run_predict
    from fovkit.tables.factor_labels import read_class_names

    name, checkpoint = model_weights(model, weights)
    names = None
    if labels is not None:
        try:
            names = read_class_names(labels)
        except InputError as error:
            raise InputError(error.reason, path=error.path, field="--labels") from None
    classifier = load_classifier(name, checkpoint, names)
    result = run_predict(
        classifier,
        source,
        out,
        top_k=top_k,
        logits=logits,
        batch_size=batch_size,
        workers=workers,
        device=device,
        overwrite=overwrite,
        progress=not quiet,
        rows=row_filter(filter) if filter else None,
        adaptation=adapt,
        adaptation_settings=setting_pairs(adapt_setting) if adapt_setting else None,
    )
    resumed = f" ({result.resumed:,} from the interrupted run)" if result.resumed else ""
    typer.echo(
        f"Predicted {result.images:,} images{resumed} of {result.source_kind} {source} with {classifier.card.id} "
        f"on {result.device}; top-{result.top_k} classes in {result.path}"
    )


def model_weights(model: str, weights: Path | None) -> tuple[str, str | None]:
    """`(name, weights)` of `MODEL[@weights]` and `--weights`; weights given twice, or an empty `@`, are refused."""
    name, at, given = model.partition("@")
    if not at:
        return name, None if weights is None else str(weights)  # "random" stays a word, not a path
    if not given.strip():
        raise InputError(
            f"{model!r} has nothing after '@'; give a checkpoint path or random (e.g. {name}@random), or leave out "
            "'@' for the pretrained weights",
            field="MODEL",
        )
    if weights is not None:
        raise InputError(f"weights given twice, in {model!r} and --weights; give them once", field="--weights")
    return name, given


def row_filter(pairs: list[str]) -> dict[str, list[str]]:
    """`{column: values}` from `COLUMN=VALUE[,VALUE]` options; a pair without `=` or a column given twice is refused."""
    rows: dict[str, list[str]] = {}
    for pair in pairs:
        column, equals, values = pair.partition("=")
        column = column.strip()
        if not equals or not column or not values.strip():
            raise InputError(
                f"--filter takes COLUMN=VALUE[,VALUE], e.g. split=held_out; got {pair!r}", field="--filter"
            )
        if column in rows:
            raise InputError(
                f"--filter names column {column!r} twice; list its values once, comma-separated", field="--filter"
            )
        rows[column] = [value.strip() for value in values.split(",")]
    return rows


def setting_pairs(pairs: list[str]) -> dict[str, object]:
    """`{key: value}` from `KEY=VALUE` options; values read as TOML scalars (16, 0.001, true), else as text."""
    import tomllib

    settings: dict[str, object] = {}
    for pair in pairs:
        key, equals, text = pair.partition("=")
        key = key.strip()
        if not equals or not key or not text.strip():
            raise InputError(f"--adapt-setting takes KEY=VALUE, e.g. prior=16; got {pair!r}", field="--adapt-setting")
        try:
            settings[key] = tomllib.loads(f"value = {text.strip()}")["value"]
        except tomllib.TOMLDecodeError:
            settings[key] = text.strip()
    return settings
