"""bench.model_cost: the per-message cost of models, timed in turns in one process."""
from bench import model_cost


def test_a_missing_model_is_named_and_nothing_is_timed(tmp_path, capsys):
    assert model_cost.main([str(tmp_path / "nope.tar.gz")]) == 2
    assert "model not found" in capsys.readouterr().err
