"""Stanford Cars (or any annotated image release) into the image-folder layout the studies read:
``DEST/train/<class>/<image>`` and ``DEST/test/<class>/<image>``, by hard links (copies where linking is
not possible). See ``studies/stanford_cars.md``.

    python -m studies.stanford_cars_layout SRC DEST                       # the devkit's .mat files (scipy)
    python -m studies.stanford_cars_layout SRC DEST --annotations a.csv   # fname,class_name,split (no scipy)
"""

from __future__ import annotations

import argparse
import collections
import csv
import dataclasses
import filecmp
import os
import re
import shutil
import sys
from pathlib import Path

SPLITS = ("train", "test")
CSV_COLUMNS = ("fname", "class_name", "split")
# the devkit's files, and where the images they name lie under SRC
DEVKIT_META = "devkit/cars_meta.mat"
DEVKIT_ANNOTATIONS = {"train": "devkit/cars_train_annos.mat", "test": "cars_test_annos_withlabels.mat"}
DEVKIT_IMAGES = {"train": "cars_train", "test": "cars_test"}


@dataclasses.dataclass(frozen=True)
class Annotation:
    image: Path  # relative to SRC
    class_name: str
    split: str  # "train" or "test"


def folder_name(class_name: str) -> str:
    """A class name as one safe folder name: "Ram C/V Cargo Van Minivan 2012" ->
    "Ram_C_V_Cargo_Van_Minivan_2012"."""
    name = re.sub(r"[^\w.-]+", "_", class_name.strip()).strip("._")
    if not name:
        raise ValueError(f"folder_name: class name has no usable character. Received: {class_name!r}")
    return name


def read_csv(path: Path) -> list[Annotation]:
    """Rows ``fname,class_name,split`` (a header line first; fname relative to SRC, split train or test)."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(
                f"read_csv: {path} must have the columns {','.join(CSV_COLUMNS)}. "
                f"Received: {reader.fieldnames} (missing {', '.join(missing)})"
            )
        rows = [Annotation(Path(row["fname"]), row["class_name"], row["split"].strip()) for row in reader]
    for line, row in enumerate(rows, start=2):
        if row.split not in SPLITS:
            raise ValueError(
                f"read_csv: {path} line {line}: split must be train or test. Received: {row.split!r}"
            )
    return rows


def read_devkit(src: Path) -> list[Annotation]:
    """The annotations of the Stanford Cars release under ``src``: ``devkit/cars_meta.mat`` (class names),
    ``devkit/cars_train_annos.mat`` and ``cars_test_annos_withlabels.mat`` (images and 1-based classes;
    the latter in ``src`` or ``src/devkit``), images in ``cars_train/`` and ``cars_test/``. Needs scipy."""
    try:
        from scipy.io import loadmat
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            "read_devkit: reading the devkit's .mat files needs scipy (pip install scipy); without it, "
            "pass --annotations with a CSV file of fname,class_name,split",
            name=err.name,
        ) from err

    def mat(relative: str) -> Path:
        for candidate in (src / relative, src / "devkit" / Path(relative).name):
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(f"read_devkit: {relative} not found under {src}")

    class_names = [str(name) for name in loadmat(mat(DEVKIT_META), squeeze_me=True)["class_names"]]
    annotations = []
    for split, relative in DEVKIT_ANNOTATIONS.items():
        for record in loadmat(mat(relative), squeeze_me=True)["annotations"]:
            image = Path(DEVKIT_IMAGES[split]) / str(record["fname"])
            annotations.append(Annotation(image, class_names[int(record["class"]) - 1], split))
    return annotations


def _place(source: Path, target: Path, copy: bool) -> None:
    """``target`` as a hard link to ``source`` (a copy with ``copy``, or where linking fails); a target
    already there from an earlier run (same size and time) is kept."""
    if target.exists():
        if filecmp.cmp(source, target):
            return
        raise FileExistsError(f"convert: {target} exists and differs from {source}")
    if not copy:
        try:
            os.link(source, target)
            return
        except OSError:  # another file system, or links not allowed
            pass
    shutil.copy2(source, target)


def convert(annotations: list[Annotation], src: Path, dest: Path, copy: bool = False) -> dict[str, int]:
    """Put each annotated image of ``src`` at ``dest/<split>/<class folder>/<image name>``; returns the
    number of images per split. Both splits must hold every class (the loaders require the same class
    folders in train/ and test/)."""
    missing = [a.image for a in annotations if not (src / a.image).is_file()]
    if missing:
        raise FileNotFoundError(
            f"convert: {len(missing)} annotated images are not under {src}, e.g. {missing[0]}"
        )
    classes = {
        split: {folder_name(a.class_name) for a in annotations if a.split == split} for split in SPLITS
    }
    if classes["train"] != classes["test"]:
        only = sorted(classes["train"] ^ classes["test"])
        raise ValueError(
            f"convert: every class needs train and test images. Classes in one split only: {only}"
        )
    counts: collections.Counter[str] = collections.Counter()
    for a in annotations:
        folder = dest / a.split / folder_name(a.class_name)
        folder.mkdir(parents=True, exist_ok=True)
        _place(src / a.image, folder / a.image.name, copy)
        counts[a.split] += 1
    return {split: counts[split] for split in SPLITS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m studies.stanford_cars_layout",
        description="Lay out Stanford Cars as DEST/train/<class>/ and DEST/test/<class>/.",
    )
    parser.add_argument(
        "src", type=Path, help="the release: cars_train/, cars_test/, devkit/ (or CSV images)"
    )
    parser.add_argument("dest", type=Path, help="where train/ and test/ are made")
    parser.add_argument(
        "--annotations", type=Path, help="a CSV file of fname,class_name,split instead of the devkit"
    )
    parser.add_argument("--copy", action="store_true", help="copy the images instead of hard-linking them")
    args = parser.parse_args(argv)
    annotations = read_csv(args.annotations) if args.annotations else read_devkit(args.src)
    counts = convert(annotations, args.src, args.dest, copy=args.copy)
    classes = len({folder_name(a.class_name) for a in annotations})
    print(f"{counts['train']} train and {counts['test']} test images of {classes} classes in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
