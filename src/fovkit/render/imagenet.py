"""The ImageNet-1k classes that show each catalog class, so ImageNet classifiers are scored on renders untrained.

Each catalog class lists the ImageNet-1k classes (index in the standard order, WordNet id) that a person would accept
as naming an object of that class: a rendered bottle is right as a beer, wine, water, pop or pill bottle. Classes
with no ImageNet counterpart (anchor, cactus, snowman, windmill...) are absent and left out of such scoring; where
ImageNet only has a near relative (a generic tower, a pencil, a gift box) the class is left out rather than guessed.
The WordNet ids are checked against timm's copy of the ImageNet-1k class list in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

IMAGENET_CLASSES = 1000

CATALOG_IMAGENET: dict[str, tuple[tuple[int, str], ...]] = {
    "airplane": ((404, "n02690373"), (895, "n04552348"), (908, "n04592741")),
    "barrel": ((427, "n02795169"), (756, "n04049303")),
    "bed": ((564, "n03388549"), (520, "n03131574"), (516, "n03125729"), (831, "n04344873")),
    "bell": ((494, "n03017168"),),
    "bench": ((703, "n03891251"),),
    "bicycle": ((671, "n03792782"), (444, "n02835271")),
    "boat": (
        (472, "n02951358"),
        (484, "n02981792"),
        (510, "n03095699"),
        (554, "n03344393"),
        (576, "n03447447"),
        (625, "n03662601"),
        (628, "n03673027"),
        (694, "n03874293"),
        (724, "n03947888"),
        (780, "n04147183"),
        (814, "n04273569"),
        (871, "n04483307"),
        (914, "n04612504"),
    ),
    "bookshelf": ((453, "n02870880"),),
    "bottle": ((440, "n02823428"), (720, "n03937543"), (737, "n03983396"), (898, "n04557648"), (907, "n04591713")),
    "bowl": ((659, "n03775546"), (809, "n04263257")),
    "bucket": ((463, "n02909870"),),
    "bus": ((654, "n03769881"), (779, "n04146614"), (874, "n04487081")),
    "cabinet": ((493, "n03016953"), (495, "n03018349"), (553, "n03337140"), (648, "n03742115"), (894, "n04550184")),
    "car": (
        (436, "n02814533"),
        (468, "n02930766"),
        (511, "n03100240"),
        (609, "n03594945"),
        (627, "n03670208"),
        (656, "n03770679"),
        (661, "n03777568"),
        (751, "n04037443"),
        (817, "n04285008"),
    ),
    "chair": ((423, "n02791124"), (559, "n03376595"), (765, "n04099969"), (857, "n04429376")),
    "clock": ((409, "n02708093"), (530, "n03196217"), (892, "n04548280")),
    "cup": ((968, "n07930864"), (504, "n03063599"), (647, "n03733805")),
    "dumbbell": ((543, "n03255030"), (422, "n02790996")),
    "fan": ((545, "n03271574"),),
    "guitar": ((402, "n02676566"), (546, "n03272010")),
    "hammer": ((587, "n03481172"),),
    "ice_cream": ((928, "n07614500"),),
    "lamp": ((846, "n04380533"), (619, "n03637318")),
    "laptop": ((620, "n03642806"), (681, "n03832673")),
    "lighthouse": ((437, "n02814860"),),
    "monitor": ((664, "n03782006"), (782, "n04152593"), (851, "n04404412"), (527, "n03180011")),
    "mug": ((504, "n03063599"), (968, "n07930864")),
    "mushroom": ((947, "n07734744"), (992, "n12998815"), (997, "n13054560")),
    "rocket": ((657, "n03773504"), (744, "n04008634"), (812, "n04266014")),
    "screwdriver": ((784, "n04154565"),),
    "sofa": ((831, "n04344873"),),
    "table": ((532, "n03201208"), (526, "n03179701")),
    "teapot": ((849, "n04398044"), (505, "n03063689")),
    "truck": (
        (555, "n03345487"),
        (569, "n03417042"),
        (675, "n03796401"),
        (717, "n03930630"),
        (734, "n03977966"),
        (864, "n04461696"),
        (867, "n04467665"),
    ),
    "umbrella": ((879, "n04507155"),),
    "vase": ((883, "n04522168"),),
    "wine_glass": ((572, "n03443371"), (966, "n07892512")),
}
"""Catalog class -> (ImageNet-1k index, WordNet id) of the ImageNet classes that count as naming it."""


def imagenet_lists(class_names: Sequence[str]) -> np.ndarray:
    """(classes x k) ImageNet-1k indices accepted for each class, padded with -1 (a row of -1: no counterpart)."""
    rows = [[index for index, _ in CATALOG_IMAGENET.get(name, ())] for name in class_names]
    width = max((len(row) for row in rows), default=0) or 1
    lists = np.full((len(rows), width), -1, dtype=np.int64)
    for position, row in enumerate(rows):
        lists[position, : len(row)] = row
    return lists
