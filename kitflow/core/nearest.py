"""Near misses: the known words nearest a mistyped one, by edit distance.

A løbenummer keyed with two digits swapped, a header with a letter missing: the messages name
what was probably meant. The distance is the optimal string alignment distance: inserting,
deleting or changing a character, or swapping two neighbours, costs 1 each (a swap is the
commonest slip in a number typed by hand, and plain Levenshtein would count it as 2).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

# Two edits: a swapped pair and one wrong digit, or two wrong digits. Further than that, a
# suggestion would mostly be another project that happens to share digits.
MAX_DISTANCE = 2


def edit_distance(a: str, b: str) -> int:
    """The optimal string alignment distance between `a` and `b`."""
    return int(Vocabulary([b]).distances(a)[0])


class Vocabulary:
    """The known words, held as one array of character codes so that a word's distance to all
    of them is computed in one pass (a register of 5,000 løbenumre takes milliseconds a word).
    """

    def __init__(self, words: Iterable[str]) -> None:
        self.words = tuple(dict.fromkeys(words))
        width = max((len(w) for w in self.words), default=0)
        # -1 pads the shorter words: it equals no character, and the columns past a word's
        # end never reach the cell its distance is read from.
        self._codes = np.full((len(self.words), width), -1, dtype=np.int64)
        for i, w in enumerate(self.words):
            self._codes[i, : len(w)] = [ord(c) for c in w]
        self._lengths = np.array([len(w) for w in self.words], dtype=np.int64)

    def distances(self, word: str) -> np.ndarray:
        """The edit distance from `word` to every known word, in their order.

        The textbook table, one row per character of `word`, each cell computed for every
        known word at once: d[i][j] is the distance between word[:i] and known[:j].
        """
        n, width = self._codes.shape
        before = np.tile(np.arange(width + 1, dtype=np.int64), (n, 1))  # the row for word[:0]
        two_before = before
        for i, char in enumerate(word, start=1):
            code = ord(char)
            row = np.empty_like(before)
            row[:, 0] = i
            for j in range(1, width + 1):
                known = self._codes[:, j - 1]
                best = np.minimum(before[:, j] + 1, row[:, j - 1] + 1)  # delete, insert
                best = np.minimum(best, before[:, j - 1] + (known != code))  # keep or change
                if i > 1 and j > 1:  # word[i-2:i] is known[j-2:j] swapped
                    swapped = (self._codes[:, j - 2] == code) & (known == ord(word[i - 2]))
                    best = np.where(swapped, np.minimum(best, two_before[:, j - 2] + 1), best)
                row[:, j] = best
            two_before, before = before, row
        return before[np.arange(n), self._lengths]

    def nearest(
        self, word: str, max_distance: int = MAX_DISTANCE, limit: int = 3
    ) -> tuple[str, ...]:
        """The known words closest to `word` and at most `max_distance` from it: those at the
        smallest distance found, in the order given, at most `limit`; none for a known word."""
        if not self.words:
            return ()
        found = self.distances(word)
        best = int(found.min())
        if best == 0 or best > max_distance:
            return ()
        return tuple(self.words[k] for k in np.flatnonzero(found == best)[:limit])
