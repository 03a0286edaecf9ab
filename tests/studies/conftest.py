"""What every study's report must contain, shared by the convkit and torch study tests."""

import json

import matplotlib.image
import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def check_report():
    """``check_report(study, report) -> README``: title, headline, linked PNGs that open, results.json."""

    def check(study, report) -> str:
        folder = report.save()
        readme = (folder / "README.md").read_text()
        assert readme.startswith(f"# {study.TITLE}\n")
        assert report.headline and f"**Headline:** {report.headline}" in readme
        pngs = sorted(folder.glob("*.png"))
        assert pngs
        for png in pngs:
            assert png.read_bytes()[:8] == PNG_SIGNATURE
            image = matplotlib.image.imread(png)
            assert image.ndim == 3 and min(image.shape[:2]) > 50
            assert f"]({png.name})" in readme  # every saved figure is linked from the README
        results = json.loads((folder / "results.json").read_text())
        assert results["headline"] == report.headline and results["settings"]["mode"] == "tiny"
        return readme

    return check
