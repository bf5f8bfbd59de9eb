import numpy as np

from fovkit.analysis import AcceptableLabels, SameGroup, TopOne

PREDICTED = np.array([[0, 1], [2, 2], [3, 0]])  # samples x models


def test_top_one_compares_with_the_label():
    criterion = TopOne(np.array([0, 2, 1]))
    assert criterion.scored is None
    np.testing.assert_array_equal(criterion.correct(PREDICTED), [[True, False], [True, True], [False, False]])


def test_acceptable_labels_match_any_label_and_leave_out_empty_lists():
    lists = np.array([[1, 0], [-1, -1], [0, 3]])
    criterion = AcceptableLabels(lists)
    np.testing.assert_array_equal(criterion.scored, [True, False, True])
    np.testing.assert_array_equal(criterion.correct(PREDICTED), [[True, True], [False, False], [True, True]])


def test_same_group_never_matches_a_class_without_group():
    of_class = np.array([0, 0, 1, -1])
    criterion = SameGroup(of_class, of_sample=np.array([0, 1, 1]))
    np.testing.assert_array_equal(criterion.correct(PREDICTED), [[True, True], [True, True], [False, False]])
