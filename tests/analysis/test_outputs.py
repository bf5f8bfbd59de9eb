import json

import pandas as pd

from fovkit.analysis import analyze_files
from fovkit.analysis.config import AnalyzeConfig
from fovkit.analysis.outputs import ANALYSIS_FILE, write_analysis
from fovkit.jobs.analyze import load_spec


def test_analysis_folder_describes_its_tables(tmp_path, user_files):
    config = AnalyzeConfig(group_column="kind", canonical={"lighting": "day"}, bootstrap=10)
    spec = load_spec(user_files.factors, config, user_files.classes)
    result = analyze_files(spec, list(user_files.predictions), config, workers=1)
    written = write_analysis(result, tmp_path)
    description = json.loads((tmp_path / ANALYSIS_FILE).read_text())
    assert description["kind"] == "factor_analysis"
    assert description["factors"] == list(spec.factor_names)
    assert list(description["criteria"]) == ["class", "kind"]
    assert description["hierarchy"] == "kind" and description["reference_model"] is None
    assert sorted(description["tables"]) == sorted(str(path.relative_to(tmp_path)) for path in written)
    for name in ("factor_accuracies", "kind_accuracies", "kind/kind_counts", "gaps", "active_factors", "intervals"):
        assert (tmp_path / f"{name}.csv").is_file() and (tmp_path / "parquet" / f"{name}.parquet").is_file()
    back = pd.read_parquet(tmp_path / "parquet" / "factor_accuracies.parquet")
    pd.testing.assert_frame_equal(back, result.criteria["class"].factor_accuracies, check_index_type=False)
    reference_csv = pd.read_csv(tmp_path / "error_ratios.csv", index_col="model")
    assert list(reference_csv.columns) == list(spec.factor_names)
