import numpy as np
import pytest
import torch

from mmteach import checks, supervised


def test_close_passes_and_explains_a_difference():
    checks.close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]))
    with pytest.raises(checks.CheckFailed) as err:
        checks.close(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 5.0]]), name="m", hint="look again")
    msg = str(err.value)
    assert "largest difference 1" in msg and "(1, 1)" in msg and "expected 5" in msg and "got 4" in msg and "hint: look again" in msg


def test_close_reports_shape_none_and_nan():
    with pytest.raises(checks.CheckFailed, match=r"expected shape \(3,\), got \(2,\)"):
        checks.close(np.zeros(2), np.zeros(3))
    with pytest.raises(checks.CheckFailed, match="forget to `return`"):
        checks.close(None, np.zeros(3))
    with pytest.raises(checks.CheckFailed, match="non-finite"):
        checks.close(np.array([np.nan, 1.0]), np.array([0.0, 1.0]))


def test_close_accepts_tensors_and_tuples():
    checks.close(torch.tensor([1.0, 2.0]), np.array([1.0, 2.0]))
    checks.close((np.ones((2, 2)), np.zeros(3)), (np.ones((2, 2)), np.zeros(3)))
    with pytest.raises(checks.CheckFailed, match=r"\[1\]"):
        checks.close((np.ones((2, 2)), np.ones(3)), (np.ones((2, 2)), np.zeros(3)))
    with pytest.raises(checks.CheckFailed, match="tuple of 2"):
        checks.close(np.ones(3), (np.ones((2, 2)), np.zeros(3)))


def test_equal_and_shape():
    checks.equal((1, 2), (1, 2))
    with pytest.raises(checks.CheckFailed, match="expected 3, got 2"):
        checks.equal(2, 3, name="n")
    with pytest.raises(checks.CheckFailed, match="first difference at index"):
        checks.equal(np.array([1, 2, 3]), np.array([1, 5, 3]))
    with pytest.raises(checks.CheckFailed, match=r"expected shape \(2, 3\)"):
        checks.shape(np.zeros((3, 2)), (2, 3))


def test_calling_the_reference_inside_an_answer_is_refused():
    def lazy_softmax(z):
        return supervised.softmax(z)

    with pytest.raises(checks.ReferenceUsed, match="mmteach.supervised.softmax"):
        checks.call(lazy_softmax, np.zeros(3))
    # outside a learner's answer the reference works as usual
    assert np.allclose(supervised.softmax(np.zeros(2)), 0.5)


def test_forbidding_a_library_function():
    def uses_torch(z):
        return torch.softmax(torch.as_tensor(z), -1)

    with pytest.raises(checks.ReferenceUsed, match="torch.softmax"):
        checks.call(uses_torch, np.zeros(3), forbid=["torch.softmax"])
    assert torch.softmax(torch.zeros(2), -1)[0] == 0.5  # restored afterwards


def test_call_explains_unfinished_and_broken_answers():
    def todo(x):
        raise NotImplementedError()

    def broken(x):
        return x / "a"

    with pytest.raises(checks.CheckFailed, match="not written yet"):
        checks.call(todo, 1)
    with pytest.raises(checks.CheckFailed, match="raised TypeError"):
        checks.call(broken, 1)
    with pytest.raises(checks.CheckFailed, match="should be a function"):
        checks.call(42)


def test_function_compares_with_the_reference_case_by_case():
    def almost(z):
        out = supervised.softmax.__wrapped__(z)
        return out if out.shape[-1] < 4 else out * 0

    assert checks.function(almost, supervised.softmax, [(np.zeros(3),)]) == 1
    with pytest.raises(checks.CheckFailed, match=r"almost\(array of shape \(5,\)\)"):
        checks.function(almost, supervised.softmax, [(np.zeros(3),), (np.zeros(5),)])


def test_use_yours_falls_back_until_the_answer_works(capsys):
    def todo(z):
        raise NotImplementedError()

    def mine(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    assert checks.use_yours(todo, supervised.softmax, np.zeros(3)) is supervised.softmax
    assert "not finished yet" in capsys.readouterr().out
    assert checks.use_yours(mine, supervised.softmax, np.zeros(3)) is mine
    assert checks.use_yours(lambda a, b, c: object(), supervised.make_mlp, 2, 3, 4, compare=False) is not supervised.make_mlp
