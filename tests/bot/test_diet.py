"""bot/components/diet.py: training batches of similar length, every example once an epoch."""

import numpy as np

from bot.components.diet import BATCHES_PER_WINDOW, length_bucketed_order


def padded_tokens(lengths: np.ndarray, order: np.ndarray, batch_size: int) -> int:
    batches = [lengths[order[i : i + batch_size]] for i in range(0, len(order), batch_size)]
    return sum(int(batch.max()) * len(batch) for batch in batches)


def test_every_example_is_used_once_and_padding_shrinks() -> None:
    rng = np.random.default_rng(7)
    # Like our training lines: mostly short, a long tail of paragraphs.
    lengths = np.minimum(rng.lognormal(mean=2.3, sigma=0.7, size=4267).astype(int) + 1, 90)
    batch_size = 64
    order = length_bucketed_order(lengths, batch_size)
    assert sorted(order.tolist()) == list(range(len(lengths)))
    shuffled = rng.permutation(len(lengths))
    assert padded_tokens(lengths, order, batch_size) < 0.5 * padded_tokens(
        lengths, shuffled, batch_size
    )


def test_batches_stay_within_their_window_and_a_short_last_batch_stays_last() -> None:
    batch_size = 4
    lengths = np.arange(2 * batch_size * BATCHES_PER_WINDOW + 3)[::-1].copy()
    order = length_bucketed_order(lengths, batch_size)
    window = batch_size * BATCHES_PER_WINDOW
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    for batch in batches[:-1]:
        assert len(batch) == batch_size
        # Every batch comes from one window: Rasa's class balance within it is kept.
        assert len({int(index) // window for index in batch}) == 1
    assert sorted(batches[-1].tolist()) == [len(lengths) - 3, len(lengths) - 2, len(lengths) - 1]
