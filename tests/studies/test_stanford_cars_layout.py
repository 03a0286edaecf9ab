"""The Stanford Cars converter: a tiny fake release (CSV annotations, or the devkit's .mat files where
scipy is installed) becomes train/<class>/ and test/<class>/ folders that the image-folder loader reads."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from studies import StudyContext
from studies.data import load_study_data
from studies.stanford_cars_layout import Annotation, convert, folder_name, main, read_csv, read_devkit

CLASSES = ("AM General Hummer SUV 2000", "Ram C/V Cargo Van Minivan 2012")


def write_release(src, images_per_split: int = 2) -> list[tuple[str, str, str]]:
    """JPEGs in cars_train/ and cars_test/; returns their (fname, class_name, split) rows."""
    from PIL import Image

    rng = np.random.default_rng(0)
    rows = []
    for split in ("train", "test"):
        (src / f"cars_{split}").mkdir(parents=True)
        for index in range(images_per_split * len(CLASSES)):
            fname = f"cars_{split}/{index + 1:05d}.jpg"
            Image.fromarray(rng.integers(0, 256, (12, 20, 3), dtype=np.uint8)).save(src / fname)
            rows.append((fname, CLASSES[index % len(CLASSES)], split))
    return rows


def test_csv_release_becomes_class_folders_of_links(tmp_path, capsys):
    src, dest = tmp_path / "release", tmp_path / "cars"
    rows = write_release(src)
    csv_file = tmp_path / "annotations.csv"
    csv_file.write_text("fname,class_name,split\n" + "".join(f"{f},{c},{s}\n" for f, c, s in rows))

    assert main([str(src), str(dest), "--annotations", str(csv_file)]) == 0
    assert "4 train and 4 test images of 2 classes" in capsys.readouterr().out
    folders = sorted(p.name for p in (dest / "train").iterdir())
    assert folders == ["AM_General_Hummer_SUV_2000", "Ram_C_V_Cargo_Van_Minivan_2012"]
    linked = dest / "test" / folders[1] / "00002.jpg"
    assert os.path.samefile(linked, src / "cars_test" / "00002.jpg")  # a hard link, not a copy
    assert main([str(src), str(dest), "--annotations", str(csv_file)]) == 0  # a rerun keeps what is there

    data = load_study_data(StudyContext(mode="quick", data_root=dest, dataset="imagefolder"), size=8)
    assert data.x_train.shape == (4, 3, 8, 8) and data.x_test.shape == (4, 3, 8, 8)
    assert data.class_names == tuple(folders) and sorted(data.y_test) == [0, 0, 1, 1]


def test_copies_when_asked(tmp_path):
    src = tmp_path / "release"
    rows = write_release(src, images_per_split=1)
    counts = convert([Annotation(Path(f), c, s) for f, c, s in rows], src, tmp_path / "cars", copy=True)
    assert counts == {"train": 2, "test": 2}
    copied = tmp_path / "cars" / "train" / folder_name(CLASSES[0]) / "00001.jpg"
    assert copied.read_bytes() == (src / "cars_train" / "00001.jpg").read_bytes()
    assert not os.path.samefile(copied, src / "cars_train" / "00001.jpg")


def test_bad_annotations_are_clear_errors(tmp_path):
    src = tmp_path / "release"
    rows = write_release(src, images_per_split=1)
    bad_split = tmp_path / "bad.csv"
    bad_split.write_text("fname,class_name,split\ncars_train/00001.jpg,Audi,val\n")
    with pytest.raises(ValueError, match=r"line 2: split must be train or test\. Received: 'val'"):
        read_csv(bad_split)
    no_column = tmp_path / "columns.csv"
    no_column.write_text("fname,label\ncars_train/00001.jpg,3\n")
    with pytest.raises(ValueError, match=r"missing class_name, split"):
        read_csv(no_column)
    with pytest.raises(FileNotFoundError, match=r"1 annotated images are not under"):
        convert([Annotation(Path("cars_train/nope.jpg"), "Audi", "train")], src, tmp_path / "out")
    train_only = [Annotation(Path(f), c, s) for f, c, s in rows if s == "train" or c == CLASSES[0]]
    with pytest.raises(ValueError, match=r"Classes in one split only: \['Ram_C_V_Cargo_Van_Minivan_2012'\]"):
        convert(train_only, src, tmp_path / "out")


def test_devkit_mat_files_are_read(tmp_path):
    savemat = pytest.importorskip("scipy.io", reason="the devkit's .mat files need scipy").savemat
    src = tmp_path / "release"
    rows = write_release(src, images_per_split=1)
    (src / "devkit").mkdir()
    savemat(src / "devkit" / "cars_meta.mat", {"class_names": np.array(CLASSES, dtype=object)})
    fields = [
        ("bbox_x1", "O"),
        ("bbox_y1", "O"),
        ("bbox_x2", "O"),
        ("bbox_y2", "O"),
        ("class", "O"),
        ("fname", "O"),
    ]
    for split, path in (("train", "devkit/cars_train_annos.mat"), ("test", "cars_test_annos_withlabels.mat")):
        records = [
            (1, 1, 10, 10, CLASSES.index(c) + 1, f.rpartition("/")[2]) for f, c, s in rows if s == split
        ]
        savemat(src / path, {"annotations": np.array(records, dtype=fields)})
    annotations = read_devkit(src)
    assert sorted((str(a.image), a.class_name, a.split) for a in annotations) == sorted(rows)
