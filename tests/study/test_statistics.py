import math

import numpy as np
import pandas as pd

from wordinfo.study.statistics import NEVER, autocorrelation, concentration, forgetting_depth, log_sigma_gap, mean_kept


def words(rows):
    df = pd.DataFrame(rows, columns=["sid", "layer", "word_index", "word", "category", "special", "kept",
                                     "log_sigma"])
    return df


def one_sentence(kept_by_layer, log_sigma_by_layer, cats=None, specials=None):
    rows = []
    for layer, (kept, ls) in enumerate(zip(kept_by_layer, log_sigma_by_layer), 1):
        for w, (k, s) in enumerate(zip(kept, ls)):
            rows.append(["s", layer, w, f"w{w}", (cats or ["other"] * len(kept))[w],
                         (specials or [False] * len(kept))[w], k, s])
    return words(rows)


def test_concentration_is_zero_when_even_and_one_when_on_one_word():
    even = one_sentence([[5, 5, 5, 5]], [[0, 0, 0, 0]])
    single = one_sentence([[9, 0, 0, 0]], [[0, 0, 0, 0]])
    assert abs(concentration(even).iloc[0, 0]) < 1e-12
    assert abs(concentration(single).iloc[0, 0] - 1) < 1e-12


def test_special_tokens_are_left_out_of_the_means():
    df = one_sentence([[100, 1, 3]], [[0, 0, 0]], specials=[True, False, False])
    assert mean_kept(df).iloc[0, 0] == 2


def test_autocorrelation_of_a_smooth_profile_is_high_and_of_an_alternating_one_negative():
    smooth = one_sentence([[0] * 8], [[0, 1, 2, 3, 4, 5, 6, 7]])
    zigzag = one_sentence([[0] * 8], [[0, 1, 0, 1, 0, 1, 0, 1]])
    assert autocorrelation(smooth).iloc[0, 0] > 0.5
    assert autocorrelation(zigzag).iloc[0, 0] < -0.5
    assert math.isnan(autocorrelation(one_sentence([[0] * 3], [[0, 1, 2]])).iloc[0, 0])   # too short


def test_log_sigma_gap_is_within_the_sentence():
    df = one_sentence([[0, 0, 0, 0]], [[2.0, 2.0, 0.5, 0.5]], cats=["stop word", "stop word", "other", "other"])
    assert log_sigma_gap(df, ("stop word",), ("other",)).iloc[0, 0] == 1.5


def test_forgetting_depth_needs_every_later_layer_forgotten():
    # word 0: forgotten at layer 2 then kept again at 3, forgotten from 4: depth 4/4; word 1: never forgotten
    scale = 1.0
    gone, kept_ = np.log(0.6), np.log(0.1)
    df = one_sentence([[0, 9]] * 4, [[kept_, kept_], [gone, kept_], [kept_, kept_], [gone, kept_]])
    d = forgetting_depth(df, scale, "absolute").set_index("word_index")["depth"]
    assert d[0] == 1.0 and d[1] == NEVER
    rel = one_sentence([[10, 10], [4, 10], [4, 9], [3, 8]], [[0, 0]] * 4)
    r = forgetting_depth(rel, scale, "relative").set_index("word_index")["depth"]
    assert r[0] == 0.5 and r[1] == NEVER
