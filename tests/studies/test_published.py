"""The published Fashion-MNIST results read from the dataset README's Benchmark table."""

from __future__ import annotations

import pytest

from studies import published
from studies.published import PUBLISHED_README, parse_benchmark_table, published_results

README = """## Benchmark
| Classifier | Preprocessing | Fashion test accuracy | MNIST test accuracy | Submitter| Code |
| --- | --- | --- | --- | --- |--- |
|2 Conv+pooling | None | 0.876 | - | [Kashif Rasul](https://twitter.com/krasul) | [:link:](https://x) |
|2 Conv+pooling | None | 0.916| - |[Tensorflow's doc](https://www.tensorflow.org/tutorials/layers) | x |
|ResNet18 | Normalization | 0.949 | 0.979 | Kyriakos | x |
|Broken | None | n/a | - | someone | x |

## Visualization
| not | the table |
"""


def test_parse_benchmark_table():
    rows = parse_benchmark_table(README)
    assert [(r.classifier, r.accuracy, r.submitter) for r in rows] == [
        ("2 Conv+pooling", 0.876, "Kashif Rasul"),
        ("2 Conv+pooling", 0.916, "Tensorflow's doc"),
        ("ResNet18", 0.949, "Kyriakos"),
    ]
    assert rows[2].preprocessing == "Normalization"
    assert parse_benchmark_table("no table here") == []


def test_missing_readme_gives_no_rows(tmp_path):
    assert published_results.__wrapped__(tmp_path / "absent.md.gz") == ()


@pytest.mark.skipif(not PUBLISHED_README.is_file(), reason="dataset-fashion-mnist is not installed")
def test_the_installed_readme_has_the_rows_the_studies_cite():
    for classifier in ("2 Conv+pooling", "2 Conv+pooling+BN", "3 Conv+pooling+BN", "ResNet18"):
        assert published.published_rows(classifier), classifier
    assert {r.accuracy for r in published.published_rows("2 Conv+pooling")} == {0.876, 0.916}
